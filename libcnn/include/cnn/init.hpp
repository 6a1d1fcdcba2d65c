// Weight initialisation of a whole network, deterministic for a seed: each layer sets its own weights
// (Layer::init_params: He normal or Glorot uniform, see init_weights in layer.hpp), in layer order, from one
// generator. Biases start at zero; BatchNorm at gamma = 1, beta = 0.
#pragma once

#include <random>

#include "sequential.hpp"

namespace cnn {

inline void initialize(Sequential& net, uint64_t seed, Init kind = Init::He) {
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < net.size(); ++i) net.layer(i).init_params(rng, kind);
}

}  // namespace cnn
