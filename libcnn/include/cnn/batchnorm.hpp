// BatchNorm: per-channel normalisation over the batch and spatial positions, with affine gamma/beta, after a
// convolution (N, C, H, W) or a dense layer (N, C, 1, 1). PyTorch's conventions: eps 1e-5, momentum 0.1,
// running variance updated with the unbiased batch variance.
//
//   train:  mu = mean(x), var = mean((x - mu)^2) over M = N*H*W values per channel
//           xhat = (x - mu) / sqrt(var + eps),  y = gamma * xhat + beta
//   eval:   the same with the running mean and variance
//   backward (train): dgamma += sum(dy * xhat), dbeta += sum(dy),
//           dx = gamma / sqrt(var + eps) / M * (M * dy - sum(dy) - xhat * sum(dy * xhat))
#pragma once

#include <cmath>

#include "registry.hpp"
#include "simd.hpp"

namespace cnn {

class BatchNorm : public Layer {
  public:
    explicit BatchNorm(int channels, double eps = 1e-5, double momentum = 0.1)
        : channels_(channels), eps_(eps), momentum_(momentum) {
        check(channels > 0 && eps > 0 && momentum >= 0 && momentum <= 1,
              "BatchNorm: invalid hyperparameters");
        gamma_.init("gamma", channels, 1, 1, 1, false);
        gamma_.value.fill(1.0f);
        beta_.init("beta", channels, 1, 1, 1, false);
        running_mean_.resize(channels, 1, 1, 1);
        running_mean_.zero();
        running_var_.resize(channels, 1, 1, 1);
        running_var_.fill(1.0f);
    }

    static constexpr char kType[] = "batchnorm";
    static std::unique_ptr<Layer> from_hyper(const Hyper& h) {
        return std::make_unique<BatchNorm>(hyper_int(h, "channels"), hyper_get(h, "eps"),
                                           hyper_get(h, "momentum"));
    }
    static double stored_floats(const Hyper& h) { return 4 * hyper_get(h, "channels", 0); }
    std::string type() const override { return kType; }
    // Eval mode as one affine map per channel: scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
    FrozenForm frozen_form() const override {
        FrozenForm form{FrozenForm::Kind::channel_affine};
        form.scale.resize(size_t(channels_));
        form.shift.resize(size_t(channels_));
        for (int c = 0; c < channels_; ++c) {
            double inv = 1.0 / std::sqrt(double(running_var_[c]) + eps_);
            form.scale[c] = float(gamma_.value[c] * inv);
            form.shift[c] = float(beta_.value[c] - running_mean_[c] * gamma_.value[c] * inv);
        }
        return form;
    }
    bool reads_output() const override { return false; }
    Hyper hyper() const override { return {{"channels", channels_}, {"eps", eps_}, {"momentum", momentum_}}; }
    Shape output_shape(const Shape& in) const override {
        check(in.c == channels_,
              "BatchNorm: expected " + std::to_string(channels_) + " channels, got " + in.str());
        return in;
    }
    std::vector<Param*> params() override { return {&gamma_, &beta_}; }
    std::vector<std::pair<std::string, Tensor*>> buffers() override {
        return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
    }
    Param& gamma() { return gamma_; }
    Param& beta() { return beta_; }
    Tensor& running_mean() { return running_mean_; }
    Tensor& running_var() { return running_var_; }
    double eps() const { return eps_; }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        output_shape(x.sample_shape());
        const int N = x.n(), C = channels_, hw = x.h() * x.w();
        y.resize(N, C, x.h(), x.w());
        mean_.resize(C);
        invstd_.resize(C);
        if (ctx.training) {
            check(size_t(N) * hw > 1, "BatchNorm: training needs more than one value per channel");
            // Per-slice sums in double, then reduced in slice order: deterministic for a thread count.
            // Two passes (mean, then squared deviations) keep the variance accurate when |mean| >> std.
            const double M = double(N) * hw;
            channel_sums(
                ctx, x, nullptr, [](auto v, auto, int) { return v; },
                [](auto v, auto, int) { return v * 0.0f; });
            for (int c = 0; c < C; ++c) mean_[c] = sum_a_[c] / M;
            channel_sums(
                ctx, x, nullptr, [](auto v, auto, int) { return v * 0.0f; },
                [this](auto v, auto, int c) {
                    auto d = v - float(mean_[c]);
                    return d * d;
                });
            for (int c = 0; c < C; ++c) {
                double mu = mean_[c];
                double var = sum_b_[c] / M;
                invstd_[c] = 1.0 / std::sqrt(var + eps_);
                running_mean_[c] = float((1 - momentum_) * running_mean_[c] + momentum_ * mu);
                running_var_[c] = float((1 - momentum_) * running_var_[c] + momentum_ * var * M / (M - 1));
            }
        } else {
            for (int c = 0; c < C; ++c) {
                mean_[c] = running_mean_[c];
                invstd_[c] = 1.0 / std::sqrt(double(running_var_[c]) + eps_);
            }
        }
        parallel_slices(ctx.pool, N, [&](int b, int e, int) {
            for (int n = b; n < e; ++n)
                for (int c = 0; c < C; ++c) {
                    const float scale = float(gamma_.value[c] * invstd_[c]);
                    const float shift = float(beta_.value[c] - mean_[c] * gamma_.value[c] * invstd_[c]);
                    const float* in = x.sample(n) + size_t(c) * hw;
                    float* out = y.sample(n) + size_t(c) * hw;
                    for (int i = 0; i < hw; ++i) out[i] = in[i] * scale + shift;
                }
        });
    }

    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                  const Context& ctx) override {
        (void)y;
        const int N = x.n(), C = channels_, hw = x.h() * x.w();
        dx.resize(N, C, x.h(), x.w());
        if (!ctx.training) {  // eval mode: a fixed per-channel affine map
            channel_sums(
                ctx, x, &dy, [](auto, auto g, int) { return g; },
                [this](auto v, auto g, int c) { return g * (v - float(mean_[c])); });
            for (int c = 0; c < C; ++c) {
                beta_.grad[c] += float(sum_a_[c]);
                gamma_.grad[c] += float(sum_b_[c] * invstd_[c]);
            }
            parallel_slices(ctx.pool, N, [&](int b, int e, int) {
                for (int n = b; n < e; ++n)
                    for (int c = 0; c < C; ++c) {
                        const float scale = float(gamma_.value[c] * invstd_[c]);
                        const float* g = dy.sample(n) + size_t(c) * hw;
                        float* out = dx.sample(n) + size_t(c) * hw;
                        for (int i = 0; i < hw; ++i) out[i] = g[i] * scale;
                    }
            });
            return;
        }
        channel_sums(
            ctx, x, &dy, [](auto, auto g, int) { return g; },
            [this](auto v, auto g, int c) { return g * (v - float(mean_[c])); });
        const double M = double(N) * hw;
        std::vector<float> k_dy(C), k_x(C), k_0(C);
        for (int c = 0; c < C; ++c) {
            double sum_dy = sum_a_[c];
            double sum_dy_xhat = invstd_[c] * sum_b_[c];
            beta_.grad[c] += float(sum_dy);
            gamma_.grad[c] += float(sum_dy_xhat);
            // dx = a * dy + b * x + c0, expanding xhat = (x - mean) * invstd
            double a = gamma_.value[c] * invstd_[c];
            double bx = -a * invstd_[c] * sum_dy_xhat / M;
            k_dy[c] = float(a);
            k_x[c] = float(bx);
            k_0[c] = float(-a * sum_dy / M - bx * mean_[c]);
        }
        parallel_slices(ctx.pool, N, [&](int b, int e, int) {
            for (int n = b; n < e; ++n)
                for (int c = 0; c < C; ++c) {
                    const float* in = x.sample(n) + size_t(c) * hw;
                    const float* g = dy.sample(n) + size_t(c) * hw;
                    float* out = dx.sample(n) + size_t(c) * hw;
                    for (int i = 0; i < hw; ++i) out[i] = k_dy[c] * g[i] + k_x[c] * in[i] + k_0[c];
                }
        });
    }

  private:
    // sum_a_[c] = sum f(x, dy, c) and sum_b_[c] = sum g(x, dy, c) over channel c, per slice then in slice
    // order.
    template <class F, class G>
    void channel_sums(const Context& ctx, const Tensor& x, const Tensor* dy, F f, G g) {
        const int N = x.n(), C = channels_, hw = x.h() * x.w();
        int parts = slice_count(ctx.pool, N);
        partial_.assign(size_t(parts) * 2 * C, 0.0);
        parallel_slices(ctx.pool, N, [&](int b, int e, int part) {
            double* pa = partial_.data() + size_t(part) * 2 * C;
            double* pb = pa + C;
            for (int n = b; n < e; ++n)
                for (int c = 0; c < C; ++c) {
                    const float* in = x.sample(n) + size_t(c) * hw;
                    const float* gr = dy ? dy->sample(n) + size_t(c) * hw : in;
                    // Float lanes within one plane (fixed order, so deterministic), double across planes.
                    simd::vec va = simd::zero(), vb = simd::zero();
                    int i = 0;
                    for (; i + simd::kWidth <= hw; i += simd::kWidth) {
                        const simd::vec xv = simd::load(in + i), gv = simd::load(gr + i);
                        va += f(xv, gv, c);
                        vb += g(xv, gv, c);
                    }
                    float sa = simd::sum(va), sb = simd::sum(vb);
                    for (; i < hw; ++i) {
                        sa += f(in[i], gr[i], c);
                        sb += g(in[i], gr[i], c);
                    }
                    pa[c] += sa;
                    pb[c] += sb;
                }
        });
        sum_a_.assign(C, 0.0);
        sum_b_.assign(C, 0.0);
        for (int part = 0; part < parts; ++part)
            for (int c = 0; c < C; ++c) {
                sum_a_[c] += partial_[size_t(part) * 2 * C + c];
                sum_b_[c] += partial_[size_t(part) * 2 * C + C + c];
            }
    }

    int channels_;
    double eps_, momentum_;
    Param gamma_, beta_;
    Tensor running_mean_, running_var_;
    std::vector<double> mean_, invstd_, sum_a_, sum_b_, partial_;
};

CNN_REGISTER_LAYER(BatchNorm);

}  // namespace cnn
