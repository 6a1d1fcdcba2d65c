// Weight initialisation, deterministic for a seed: He (Kaiming) normal for layers followed by ReLU, Glorot
// (Xavier) uniform otherwise. Biases start at zero; BatchNorm at gamma = 1, beta = 0.
//   He:     W ~ N(0, 2 / fan_in)            Glorot: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))
#pragma once

#include <cmath>
#include <random>

#include "conv2d.hpp"
#include "dense.hpp"
#include "sequential.hpp"

namespace cnn {

enum class Init { He, Glorot };

inline void init_weights(Param& weight, int fan_in, int fan_out, Init kind, std::mt19937_64& rng) {
    if (kind == Init::He) {
        std::normal_distribution<float> dist(0.0f, std::sqrt(2.0f / fan_in));
        for (size_t i = 0; i < weight.value.size(); ++i) weight.value[i] = dist(rng);
    } else {
        float a = std::sqrt(6.0f / float(fan_in + fan_out));
        std::uniform_real_distribution<float> dist(-a, a);
        for (size_t i = 0; i < weight.value.size(); ++i) weight.value[i] = dist(rng);
    }
}

// Initialises every convolution and dense layer of the network.
inline void initialize(Sequential& net, uint64_t seed, Init kind = Init::He) {
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < net.size(); ++i) {
        Layer& l = net.layer(i);
        if (auto* conv = dynamic_cast<Conv2D*>(&l)) {
            int k2 = conv->kernel() * conv->kernel();
            init_weights(conv->weight(), conv->in_channels() * k2, conv->out_channels() * k2, kind, rng);
            conv->bias().value.zero();
        } else if (auto* dense = dynamic_cast<Dense*>(&l)) {
            init_weights(dense->weight(), dense->in_features(), dense->out_features(), kind, rng);
            dense->bias().value.zero();
        }
    }
}

}  // namespace cnn
