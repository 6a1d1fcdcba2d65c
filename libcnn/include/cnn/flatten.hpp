// Flatten: (N, C, H, W) -> (N, C*H*W, 1, 1). The memory order is unchanged (PyTorch's flatten of NCHW).
#pragma once

#include "registry.hpp"

namespace cnn {

class Flatten : public Layer {
  public:
    static constexpr char kType[] = "flatten";
    static std::unique_ptr<Layer> from_hyper(const Hyper&) { return std::make_unique<Flatten>(); }
    std::string type() const override { return kType; }
    FrozenForm frozen_form() const override { return {FrozenForm::Kind::reshape}; }
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

CNN_REGISTER_LAYER(Flatten);

}  // namespace cnn
