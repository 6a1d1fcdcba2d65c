// ReLU: y = max(x, 0);  dx = dy where y > 0, else 0. Any shape.
#pragma once

#include "registry.hpp"

namespace cnn {

class ReLU : public Layer {
  public:
    static constexpr char kType[] = "relu";
    static std::unique_ptr<Layer> from_hyper(const Hyper&) { return std::make_unique<ReLU>(); }
    std::string type() const override { return kType; }
    FrozenForm frozen_form() const override { return {FrozenForm::Kind::relu}; }
    bool elementwise() const override { return true; }
    bool reads_output() const override { return true; }
    Shape output_shape(const Shape& in) const override { return in; }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        y.resize(x.n(), x.c(), x.h(), x.w());
        const size_t per = x.sample_size();
        parallel_slices(ctx.pool, x.n(), [&](int b, int e, int) {
            const float* in = x.sample(b);
            float* out = y.sample(b);
            for (size_t i = 0, n = size_t(e - b) * per; i < n; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
        });
    }

    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                  const Context& ctx) override {
        dx.resize(x.n(), x.c(), x.h(), x.w());
        const size_t per = x.sample_size();
        parallel_slices(ctx.pool, x.n(), [&](int b, int e, int) {
            const float* out = y.sample(b);
            const float* g = dy.sample(b);
            float* d = dx.sample(b);
            for (size_t i = 0, n = size_t(e - b) * per; i < n; ++i) d[i] = out[i] > 0.0f ? g[i] : 0.0f;
        });
    }
};

CNN_REGISTER_LAYER(ReLU);

}  // namespace cnn
