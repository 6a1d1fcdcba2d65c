// GlobalAvgPool: the mean of each channel's plane.  y[n,c] = mean_{i,j} x[n,c,i,j];  dx = dy / (H*W).
//   shapes: x (N, C, H, W) -> y (N, C, 1, 1)
#pragma once

#include "registry.hpp"

namespace cnn {

class GlobalAvgPool : public Layer {
  public:
    static constexpr char kType[] = "global_avg_pool";
    static std::unique_ptr<Layer> from_hyper(const Hyper&) { return std::make_unique<GlobalAvgPool>(); }
    std::string type() const override { return kType; }
    FrozenForm frozen_form() const override { return {FrozenForm::Kind::global_avg_pool}; }
    bool reads_output() const override { return false; }
    Shape output_shape(const Shape& in) const override { return {in.c, 1, 1}; }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        const int N = x.n(), C = x.c(), hw = x.h() * x.w();
        y.resize(N, C, 1, 1);
        parallel_slices(ctx.pool, N, [&](int b, int e, int) {
            for (int n = b; n < e; ++n)
                for (int c = 0; c < C; ++c) {
                    const float* in = x.sample(n) + size_t(c) * hw;
                    float s = 0.0f;
                    for (int i = 0; i < hw; ++i) s += in[i];
                    y.sample(n)[c] = s / float(hw);
                }
        });
    }

    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                  const Context& ctx) override {
        (void)y;
        const int N = x.n(), C = x.c(), hw = x.h() * x.w();
        dx.resize(N, C, x.h(), x.w());
        parallel_slices(ctx.pool, N, [&](int b, int e, int) {
            for (int n = b; n < e; ++n)
                for (int c = 0; c < C; ++c) {
                    const float g = dy.sample(n)[c] / float(hw);
                    float* d = dx.sample(n) + size_t(c) * hw;
                    for (int i = 0; i < hw; ++i) d[i] = g;
                }
        });
    }
};

CNN_REGISTER_LAYER(GlobalAvgPool);

}  // namespace cnn
