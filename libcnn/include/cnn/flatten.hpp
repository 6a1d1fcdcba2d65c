// Flatten: (N, C, H, W) -> (N, C*H*W, 1, 1). The memory order is unchanged (PyTorch's flatten of NCHW).
#pragma once

#include "layer.hpp"

namespace cnn {

class Flatten : public Layer {
  public:
    std::string type() const override { return "flatten"; }
    bool reads_output() const override { return false; }
    Shape output_shape(const Shape& in) const override { return {int(in.size()), 1, 1}; }
    void forward(const Tensor& x, Tensor& y, const Context&) override {
        y.resize(x.n(), int(x.sample_size()), 1, 1);
        std::copy(x.data(), x.data() + x.size(), y.data());
    }
    void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx, const Context&) override {
        dx.resize(x.n(), x.c(), x.h(), x.w());
        std::copy(dy.data(), dy.data() + dy.size(), dx.data());
    }
};

}  // namespace cnn
