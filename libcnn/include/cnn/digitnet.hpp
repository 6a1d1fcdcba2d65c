// DigitNet, the reference network of the benchmarks (SPEC): input 1×28×28 normalised with mean 0.1307 and
// std 0.3081; three blocks of conv 3×3 (pad 1) + BatchNorm + ReLU + max-pool 2 with 32, 64, 128 channels;
// flatten (1152); dense 128 + ReLU + dropout 0.5; dense 10. 241,994 trainable parameters.
#pragma once

#include "batchnorm.hpp"
#include "conv2d.hpp"
#include "dense.hpp"
#include "dropout.hpp"
#include "flatten.hpp"
#include "init.hpp"
#include "maxpool.hpp"
#include "relu.hpp"
#include "sequential.hpp"

namespace cnn {

constexpr float kMnistMean = 0.1307f;
constexpr float kMnistStd = 0.3081f;

inline Sequential make_digitnet(uint64_t seed = 1) {
    Sequential net({1, 28, 28});
    int channels = 1;
    for (int width : {32, 64, 128}) {
        net.add<Conv2D>(channels, width, 3, 1, 1);
        net.add<BatchNorm>(width);
        net.add<ReLU>();
        net.add<MaxPool2D>(2, 2);
        channels = width;
    }
    net.add<Flatten>();
    net.add<Dense>(128 * 3 * 3, 128);
    net.add<ReLU>();
    net.add<Dropout>(0.5, seed ^ 0xD20F);
    net.add<Dense>(128, 10);
    initialize(net, seed);
    net.metadata["architecture"] = "digitnet";
    net.metadata["input_mean"] = "0.1307";
    net.metadata["input_std"] = "0.3081";
    return net;
}

}  // namespace cnn
