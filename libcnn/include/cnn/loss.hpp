// Softmax cross-entropy on logits, numerically stable (log-sum-exp), with optional label smoothing.
//   p = softmax(z),  target t = (1 - eps) * onehot(label) + eps / K
//   loss = mean over the batch of -sum_k t_k log p_k,   dz = (p - t) / N
//   shapes: logits (N, K, 1, 1), labels N values in [0, K)
#pragma once

#include <cmath>
#include <vector>

#include "tensor.hpp"

namespace cnn {

struct LossResult {
    double loss = 0.0;  // mean over the batch
    int correct = 0;    // samples whose largest logit is the label
};

// p = softmax(z) over K values, stable for any logits (the largest is subtracted first).
inline void softmax(const float* z, float* p, int K) {
    float zmax = z[0];
    for (int k = 1; k < K; ++k) zmax = std::max(zmax, z[k]);
    double total = 0.0;
    for (int k = 0; k < K; ++k) total += std::exp(double(z[k] - zmax));
    for (int k = 0; k < K; ++k) p[k] = float(std::exp(double(z[k] - zmax)) / total);
}

// Writes the softmax of each row of `logits` into `probs`.
inline void softmax(const Tensor& logits, Tensor& probs) {
    const int N = logits.n(), K = int(logits.sample_size());
    probs.resize(N, K, 1, 1);
    for (int n = 0; n < N; ++n) softmax(logits.sample(n), probs.sample(n), K);
}

inline int argmax(const float* v, int n) {
    int best = 0;
    for (int i = 1; i < n; ++i)
        if (v[i] > v[best]) best = i;
    return best;
}

// Returns the loss; writes dL/dlogits into dlogits when it is not null.
inline LossResult softmax_cross_entropy(const Tensor& logits, const int* labels, Tensor* dlogits,
                                        float label_smoothing = 0.0f) {
    const int N = logits.n(), K = int(logits.sample_size());
    check(N > 0 && K > 1, "softmax_cross_entropy: empty logits " + logits.shape_str());
    check(label_smoothing >= 0.0f && label_smoothing < 1.0f,
          "softmax_cross_entropy: label smoothing in [0, 1)");
    if (dlogits) dlogits->resize(N, K, 1, 1);
    LossResult result;
    const double off = label_smoothing / K, on = 1.0 - label_smoothing + off;
    for (int n = 0; n < N; ++n) {
        const float* z = logits.sample(n);
        const int y = labels[n];
        check(y >= 0 && y < K, "softmax_cross_entropy: label " + std::to_string(y) + " out of range");
        float zmax = z[0];
        for (int k = 1; k < K; ++k) zmax = std::max(zmax, z[k]);
        double total = 0.0;
        for (int k = 0; k < K; ++k) total += std::exp(double(z[k] - zmax));
        const double log_total = std::log(total);
        double loss = 0.0;
        for (int k = 0; k < K; ++k) {
            double log_p = double(z[k] - zmax) - log_total;
            double t = (k == y) ? on : off;
            if (t > 0) loss -= t * log_p;
            if (dlogits) dlogits->sample(n)[k] = float((std::exp(log_p) - t) / N);
        }
        result.loss += loss / N;
        if (argmax(z, K) == y) ++result.correct;
    }
    return result;
}

}  // namespace cnn
