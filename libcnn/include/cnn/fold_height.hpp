// FoldHeight: (N, C, H, W) -> (N, C*H, 1, W), each column's features stacked into channels, so that what
// follows reads a line column by column (a 1x1 convolution after it is a dense layer applied to every column;
// its output (N, classes, 1, W) is what ctc_loss takes). The memory order is unchanged: channel c*H + h of
// the output is row h of channel c.
#pragma once

#include "registry.hpp"

namespace cnn {

class FoldHeight : public Layer {
  public:
    static constexpr char kType[] = "fold_height";
    static std::unique_ptr<Layer> from_hyper(const Hyper&) { return std::make_unique<FoldHeight>(); }
    std::string type() const override { return kType; }
    FrozenForm frozen_form() const override { return {FrozenForm::Kind::reshape}; }
    bool reads_output() const override { return false; }
    Shape output_shape(const Shape& in) const override { return {in.c * in.h, 1, in.w}; }
    void forward(const Tensor& x, Tensor& y, const Context&) override {
        y.resize(x.n(), x.c() * x.h(), 1, x.w());
        std::copy(x.data(), x.data() + x.size(), y.data());
    }
    void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx, const Context&) override {
        dx.resize(x.n(), x.c(), x.h(), x.w());
        std::copy(dy.data(), dy.data() + dy.size(), dx.data());
    }
};

CNN_REGISTER_LAYER(FoldHeight);

}  // namespace cnn
