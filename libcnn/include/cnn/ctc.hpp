// Connectionist temporal classification (Graves et al., 2006): a loss for a network that answers, column by
// column, the chances of each label or of none (the blank), trained on whole sequences whose alignment to
// the columns is unknown; and the decoders that read such columns back into a sequence.
//
// Layout: logits (N, C, 1, T) — class k of sample n at column t is logits.at(n, k, 0, t) — as a convolution
// over a line gives them. Sample n uses its first lengths[n] columns (a batch of lines of different widths is
// padded to the widest); the columns after it get no gradient. Class 0 is the blank unless told otherwise.
//
// With y_t = softmax over the classes at column t and the target l extended with blanks, l' = (b, l1, b, l2,
// ..., lL, b) of length S = 2L + 1:
//   alpha_t(s) = y_t(l'_s) * (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [l'_s != b and l'_s != l'_{s-2}]
//   alpha_{t-1}(s-2)) beta_t(s)  = sum over s' in {s, s+1, s+2 (same rule)} of y_{t+1}(l'_s') beta_{t+1}(s'),
//   beta_{T-1} = 1 at S-1, S-2 p(l | x) = alpha_{T-1}(S-1) + alpha_{T-1}(S-2) = sum_s alpha_t(s) beta_t(s)
//   for every t d(-log p) / d logit_t(k) = y_t(k) - sum_{s: l'_s = k} alpha_t(s) beta_t(s) / p
// all in log space (double), so long lines neither underflow nor lose the gradient.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace cnn {

namespace ctc_detail {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

inline double log_add(double a, double b) {
    if (a == kNegInf) return b;
    if (b == kNegInf) return a;
    const double m = std::max(a, b);
    return m + std::log1p(std::exp(-std::fabs(a - b)));
}

}  // namespace ctc_detail

// Log-probabilities of one sample's first `length` columns, row-major (column t, class k) -> [t * C + k].
inline std::vector<double> ctc_log_probabilities(const Tensor& logits, int n, int length) {
    const int C = logits.c(), T = logits.w();
    check(logits.h() == 1, "ctc: logits must be (N, C, 1, T), got " + logits.shape_str());
    check(n >= 0 && n < logits.n() && length >= 1 && length <= T, "ctc: sample " + std::to_string(n) +
                                                                      " length " + std::to_string(length) +
                                                                      " out of " + logits.shape_str());
    std::vector<double> lp(std::size_t(length) * std::size_t(C));
    for (int t = 0; t < length; ++t) {
        double zmax = logits.at(n, 0, 0, t);
        for (int k = 1; k < C; ++k) zmax = std::max(zmax, double(logits.at(n, k, 0, t)));
        double total = 0.0;
        for (int k = 0; k < C; ++k) total += std::exp(double(logits.at(n, k, 0, t)) - zmax);
        const double log_total = zmax + std::log(total);
        for (int k = 0; k < C; ++k) lp[std::size_t(t) * C + k] = double(logits.at(n, k, 0, t)) - log_total;
    }
    return lp;
}

// log p(target | columns) for log-probabilities `lp` of T columns and C classes: the forward pass alone.
// -inf when no alignment exists (the target needs more columns than there are).
inline double ctc_log_likelihood(const std::vector<double>& lp, int T, int C, const std::vector<int>& target,
                                 int blank = 0) {
    using ctc_detail::kNegInf;
    using ctc_detail::log_add;
    const int S = 2 * int(target.size()) + 1;
    auto label = [&](int s) { return s % 2 == 0 ? blank : target[std::size_t(s / 2)]; };
    std::vector<double> alpha(std::size_t(S), kNegInf), next(static_cast<std::size_t>(S));
    alpha[0] = lp[std::size_t(blank)];
    if (S > 1) alpha[1] = lp[std::size_t(label(1))];
    for (int t = 1; t < T; ++t) {
        for (int s = 0; s < S; ++s) {
            double a = alpha[std::size_t(s)];
            if (s >= 1) a = log_add(a, alpha[std::size_t(s - 1)]);
            if (s >= 2 && label(s) != blank && label(s) != label(s - 2))
                a = log_add(a, alpha[std::size_t(s - 2)]);
            next[std::size_t(s)] = a == kNegInf ? kNegInf : a + lp[std::size_t(t) * C + label(s)];
        }
        alpha.swap(next);
    }
    return S > 1 ? log_add(alpha[std::size_t(S - 1)], alpha[std::size_t(S - 2)]) : alpha[0];
}

enum class CtcReduction {
    mean,  // each sample's loss over its target's length (at least 1), then the batch mean (PyTorch's
           // default)
    sum,   // the sum of the samples' losses
};

struct CtcResult {
    double loss = 0.0;           // reduced as asked
    std::vector<double> losses;  // per sample, -log p(target | x); +inf when no alignment exists
};

// The CTC loss of a batch; writes dL/dlogits into dlogits (shaped as logits) when it is not null.
// `targets[n]` holds labels in [0, C) other than `blank`. With zero_infinity, a sample no alignment fits
// (its target needs more columns than it has) adds 0 to the loss and no gradient, as PyTorch's option does;
// without, the loss is +inf and that sample's gradient is 0.
inline CtcResult ctc_loss(const Tensor& logits, const std::vector<int>& lengths,
                          const std::vector<std::vector<int>>& targets, Tensor* dlogits,
                          CtcReduction reduction = CtcReduction::mean, bool zero_infinity = false,
                          int blank = 0) {
    using ctc_detail::kNegInf;
    using ctc_detail::log_add;
    const int N = logits.n(), C = logits.c(), T = logits.w();
    check(logits.h() == 1, "ctc_loss: logits must be (N, C, 1, T), got " + logits.shape_str());
    check(N > 0 && C > 1 && T > 0, "ctc_loss: empty logits " + logits.shape_str());
    check(int(lengths.size()) == N && int(targets.size()) == N,
          "ctc_loss: one length and one target per sample");
    check(blank >= 0 && blank < C, "ctc_loss: blank out of range");
    if (dlogits) {
        dlogits->resize(N, C, 1, T);
        dlogits->zero();
    }
    CtcResult result;
    result.losses.assign(std::size_t(N), 0.0);
    for (int n = 0; n < N; ++n) {
        const std::vector<int>& target = targets[std::size_t(n)];
        const int Tn = lengths[std::size_t(n)], L = int(target.size()), S = 2 * L + 1;
        check(Tn >= 1 && Tn <= T, "ctc_loss: length " + std::to_string(Tn) + " of sample " +
                                      std::to_string(n) + " out of 1.." + std::to_string(T));
        for (int c : target)
            check(c >= 0 && c < C && c != blank,
                  "ctc_loss: target label " + std::to_string(c) + " out of range");
        const std::vector<double> lp = ctc_log_probabilities(logits, n, Tn);
        auto label = [&](int s) { return s % 2 == 0 ? blank : target[std::size_t(s / 2)]; };
        auto skip_allowed = [&](int s) { return s >= 2 && label(s) != blank && label(s) != label(s - 2); };
        std::vector<double> alpha(std::size_t(Tn) * S, kNegInf), beta(std::size_t(Tn) * S, kNegInf);
        auto A = [&](int t, int s) -> double& { return alpha[std::size_t(t) * S + s]; };
        auto B = [&](int t, int s) -> double& { return beta[std::size_t(t) * S + s]; };
        A(0, 0) = lp[std::size_t(blank)];
        if (S > 1) A(0, 1) = lp[std::size_t(label(1))];
        for (int t = 1; t < Tn; ++t)
            for (int s = 0; s < S; ++s) {
                double a = A(t - 1, s);
                if (s >= 1) a = log_add(a, A(t - 1, s - 1));
                if (skip_allowed(s)) a = log_add(a, A(t - 1, s - 2));
                A(t, s) = a == kNegInf ? kNegInf : a + lp[std::size_t(t) * C + label(s)];
            }
        const double log_p = S > 1 ? log_add(A(Tn - 1, S - 1), A(Tn - 1, S - 2)) : A(Tn - 1, 0);
        const double weight = reduction == CtcReduction::mean ? 1.0 / (double(N) * std::max(L, 1)) : 1.0;
        if (log_p == kNegInf) {
            result.losses[std::size_t(n)] = std::numeric_limits<double>::infinity();
            if (!zero_infinity) result.loss = std::numeric_limits<double>::infinity();
            continue;
        }
        result.losses[std::size_t(n)] = -log_p;
        result.loss += -log_p * weight;
        if (!dlogits) continue;
        B(Tn - 1, S - 1) = 0.0;
        if (S > 1) B(Tn - 1, S - 2) = 0.0;
        for (int t = Tn - 2; t >= 0; --t)
            for (int s = 0; s < S; ++s) {
                double b = B(t + 1, s) + lp[std::size_t(t + 1) * C + label(s)];
                if (s + 1 < S) b = log_add(b, B(t + 1, s + 1) + lp[std::size_t(t + 1) * C + label(s + 1)]);
                if (s + 2 < S && skip_allowed(s + 2))
                    b = log_add(b, B(t + 1, s + 2) + lp[std::size_t(t + 1) * C + label(s + 2)]);
                B(t, s) = b;
            }
        std::vector<double> occupancy(static_cast<std::size_t>(C));
        for (int t = 0; t < Tn; ++t) {
            std::fill(occupancy.begin(), occupancy.end(), kNegInf);
            for (int s = 0; s < S; ++s) {
                const std::size_t k = std::size_t(label(s));
                occupancy[k] = log_add(occupancy[k], A(t, s) + B(t, s));
            }
            for (int k = 0; k < C; ++k) {
                const double y = std::exp(lp[std::size_t(t) * C + k]);
                const double posterior =
                    occupancy[std::size_t(k)] == kNegInf ? 0.0 : std::exp(occupancy[std::size_t(k)] - log_p);
                dlogits->at(n, k, 0, t) = float((y - posterior) * weight);
            }
        }
    }
    return result;
}

// One character read from the columns: its label, the first and last column it spans, and its confidence
// (the largest chance the columns it spans give its label).
struct CtcChar {
    int label = 0;
    int first = 0, last = 0;
    float confidence = 0.0f;
};

// The columns a decoded sequence's characters span: the most likely alignment of `labels` to the columns
// (Viterbi over the extended sequence); each character spans the columns its state holds. Empty when no
// alignment exists.
inline std::vector<CtcChar> ctc_align(const std::vector<double>& lp, int T, int C,
                                      const std::vector<int>& labels, int blank = 0) {
    using ctc_detail::kNegInf;
    const int S = 2 * int(labels.size()) + 1;
    if (labels.empty()) return {};
    auto label = [&](int s) { return s % 2 == 0 ? blank : labels[std::size_t(s / 2)]; };
    std::vector<double> score(std::size_t(T) * S, kNegInf);
    std::vector<int> from(std::size_t(T) * S, -1);
    score[0] = lp[std::size_t(blank)];
    score[1] = lp[std::size_t(label(1))];
    for (int t = 1; t < T; ++t)
        for (int s = 0; s < S; ++s) {
            int best = s;
            double v = score[std::size_t(t - 1) * S + s];
            if (s >= 1 && score[std::size_t(t - 1) * S + s - 1] > v)
                v = score[std::size_t(t - 1) * S + s - 1], best = s - 1;
            if (s >= 2 && label(s) != blank && label(s) != label(s - 2) &&
                score[std::size_t(t - 1) * S + s - 2] > v)
                v = score[std::size_t(t - 1) * S + s - 2], best = s - 2;
            if (v == kNegInf) continue;
            score[std::size_t(t) * S + s] = v + lp[std::size_t(t) * C + label(s)];
            from[std::size_t(t) * S + s] = best;
        }
    const std::size_t last = std::size_t(T - 1) * S;
    int s = score[last + S - 1] >= score[last + S - 2] ? S - 1 : S - 2;
    if (score[last + s] == kNegInf) return {};
    std::vector<CtcChar> chars(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i)
        chars[i].label = labels[i], chars[i].first = T, chars[i].last = -1;
    for (int t = T - 1; t >= 0; --t) {
        if (s % 2 == 1) {
            CtcChar& c = chars[std::size_t(s / 2)];
            c.first = std::min(c.first, t), c.last = std::max(c.last, t);
            c.confidence = std::max(c.confidence, float(std::exp(lp[std::size_t(t) * C + label(s)])));
        }
        if (t > 0) s = from[std::size_t(t) * S + s];
    }
    return chars;
}

// Best path: the likeliest class of each column, repeats merged, blanks dropped.
inline std::vector<int> ctc_best_path(const std::vector<double>& lp, int T, int C, int blank = 0) {
    std::vector<int> out;
    int previous = blank;
    for (int t = 0; t < T; ++t) {
        const double* row = lp.data() + std::size_t(t) * C;
        const int k = int(std::max_element(row, row + C) - row);
        if (k != blank && k != previous) out.push_back(k);
        previous = k;
    }
    return out;
}

// What a prefix beam search may read: the labels allowed (empty: all but the blank) and the sequence's
// length (min_length..max_length; max_length < 0: any). `prune`: at a column, a label whose log-probability
// there is under `prune` is not started (the paths already in it go on); -infinity prunes nothing.
struct CtcConstraint {
    std::vector<int> allowed;
    int min_length = 0;
    int max_length = -1;
    double prune = ctc_detail::kNegInf;
};

// A prior over the label sequences, fused with the columns' evidence (shallow fusion): a prefix is ranked by
// log p(prefix | columns) + weight * log P(prefix) + bonus * length, where log P(prefix) sums next(prefix,
// label) over its labels, and a complete sequence also adds weight * end(sequence). Empty functions: no
// prior.
struct CtcPrior {
    std::function<double(const std::vector<int>& prefix, int label)> next;
    std::function<double(const std::vector<int>& sequence)> end;
    double weight = 1.0, bonus = 0.0;
    bool active() const { return bool(next); }
};

struct CtcHypothesis {
    std::vector<int> labels;
    double log_probability = ctc_detail::kNegInf;  // log p(labels | columns) over the alignments kept
    double log_prior = 0.0;                        // log P(labels) under the prior, its end included
    double score = ctc_detail::kNegInf;            // what ranked it (with the prior's weight and bonus)
};

struct CtcBeamResult {
    std::vector<int> labels;
    double log_probability = ctc_detail::kNegInf;  // log p(labels | columns) summed over the alignments kept
    double log_prior = 0.0;                        // log P(labels) under the prior (0 without one)
    bool found = false;                            // false when no sequence meets the constraint
    // Every complete sequence left in the beam that meets the constraint, best first.
    std::vector<CtcHypothesis> finalists;
};

// Prefix beam search: keeps the `beam` likeliest prefixes, each with its chance of ending in a blank and in
// its last label, over every alignment of it. The sequence returned is the likeliest complete one that meets
// the constraint (with a prior: the one of the best fused score).
inline CtcBeamResult ctc_prefix_beam_search(const std::vector<double>& lp, int T, int C, int beam,
                                            const CtcConstraint& constraint = {}, const CtcPrior& prior = {},
                                            int blank = 0) {
    using ctc_detail::kNegInf;
    using ctc_detail::log_add;
    check(beam >= 1, "ctc_prefix_beam_search: beam must be at least 1");
    std::vector<int> allowed = constraint.allowed;
    if (allowed.empty())
        for (int k = 0; k < C; ++k)
            if (k != blank) allowed.push_back(k);
    const bool fused = prior.active();
    struct Score {
        double blank = kNegInf, label = kNegInf;
        double log_prior = 0.0;  // log P(prefix)
        double total() const { return log_add(blank, label); }
    };
    std::map<std::vector<int>, Score> beams;
    beams[{}].blank = 0.0;
    for (int t = 0; t < T; ++t) {
        const double* row = lp.data() + std::size_t(t) * C;
        std::map<std::vector<int>, Score> next;
        for (const auto& [prefix, score] : beams) {
            const double total = score.total();
            Score& same = next[prefix];
            same.log_prior = score.log_prior;
            same.blank = log_add(same.blank, total + row[blank]);
            if (!prefix.empty()) same.label = log_add(same.label, score.label + row[prefix.back()]);
            if (constraint.max_length >= 0 && int(prefix.size()) >= constraint.max_length) continue;
            for (int c : allowed) {
                if (row[c] < constraint.prune) continue;
                std::vector<int> longer = prefix;
                longer.push_back(c);
                // A repeat of the last label needs a blank between: only the paths ending in a blank extend.
                const double from = !prefix.empty() && prefix.back() == c ? score.blank : total;
                Score& grown = next[longer];
                if (fused && grown.label == kNegInf && grown.blank == kNegInf)
                    grown.log_prior = score.log_prior + prior.next(prefix, c);
                grown.label = log_add(grown.label, from + row[c]);
            }
        }
        std::vector<std::pair<double, const std::vector<int>*>> ranked;
        ranked.reserve(next.size());
        for (const auto& [prefix, score] : next)
            ranked.push_back(
                {score.total() +
                     (fused ? prior.weight * score.log_prior + prior.bonus * double(prefix.size()) : 0.0),
                 &prefix});
        const std::size_t keep = std::min<std::size_t>(std::size_t(beam), ranked.size());
        std::partial_sort(ranked.begin(), ranked.begin() + std::ptrdiff_t(keep), ranked.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
        std::map<std::vector<int>, Score> kept;
        for (std::size_t i = 0; i < keep; ++i) kept[*ranked[i].second] = next[*ranked[i].second];
        beams.swap(kept);
    }
    CtcBeamResult best;
    for (const auto& [prefix, score] : beams) {
        if (int(prefix.size()) < constraint.min_length) continue;
        if (constraint.max_length >= 0 && int(prefix.size()) > constraint.max_length) continue;
        CtcHypothesis h;
        h.labels = prefix;
        h.log_probability = score.total();
        h.score = h.log_probability;
        if (fused) {
            h.log_prior = score.log_prior + (prior.end ? prior.end(prefix) : 0.0);
            h.score = h.log_probability + prior.weight * h.log_prior + prior.bonus * double(prefix.size());
        }
        best.finalists.push_back(std::move(h));
    }
    std::sort(best.finalists.begin(), best.finalists.end(),
              [](const CtcHypothesis& a, const CtcHypothesis& b) { return a.score > b.score; });
    if (!best.finalists.empty()) {
        best.labels = best.finalists.front().labels;
        best.log_probability = best.finalists.front().log_probability;
        best.log_prior = best.finalists.front().log_prior;
        best.found = true;
    }
    return best;
}

}  // namespace cnn
