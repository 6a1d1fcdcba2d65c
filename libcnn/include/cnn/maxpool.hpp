// MaxPool2D: the maximum over each k×k window, moved by `stride`, no padding (PyTorch's floor mode).
//   y[n,c,i,j] = max_{u,v < k} x[n, c, i*s + u, j*s + v],  Ho = (H - k) / s + 1
//   backward: dx = 0, then each dy goes to the position that held its window's maximum (the first one on
//   ties).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "registry.hpp"

namespace cnn {

class MaxPool2D : public Layer {
  public:
    explicit MaxPool2D(int kernel = 2, int stride = 0) : k_(kernel), stride_(stride > 0 ? stride : kernel) {
        check(kernel > 0, "MaxPool2D: invalid kernel");
    }
    static constexpr char kType[] = "maxpool2d";
    static std::unique_ptr<Layer> from_hyper(const Hyper& h) {
        return std::make_unique<MaxPool2D>(hyper_int(h, "kernel"), hyper_int(h, "stride"));
    }
    std::string type() const override { return kType; }
    FrozenForm frozen_form() const override {
        FrozenForm form{FrozenForm::Kind::max_pool};
        form.kernel = k_;
        form.stride = stride_;
        return form;
    }
    bool reads_output() const override { return false; }
    Hyper hyper() const override { return {{"kernel", k_}, {"stride", stride_}}; }
    Shape output_shape(const Shape& in) const override {
        check(in.h >= k_ && in.w >= k_, "MaxPool2D: input " + in.str() + " smaller than the window");
        return {in.c, (in.h - k_) / stride_ + 1, (in.w - k_) / stride_ + 1};
    }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        Shape os = output_shape(x.sample_shape());
        const int N = x.n(), H = x.h(), W = x.w();
        y.resize(N, os);
        argmax_.resize(y.size());
        const int planes_per_sample = x.c();
        parallel_slices(ctx.pool, N, [&](int b, int e, int) {
            for (int p = b * planes_per_sample; p < e * planes_per_sample; ++p) {
                const float* in = x.data() + size_t(p) * H * W;
                float* out = y.data() + size_t(p) * os.h * os.w;
                int32_t* arg = argmax_.data() + size_t(p) * os.h * os.w;
                if (k_ == 2 && stride_ == 2) {
                    for (int i = 0; i < os.h; ++i) {
                        const float* r0 = in + size_t(2 * i) * W;
                        const float* r1 = r0 + W;
                        const int32_t top = 2 * i * W, bottom = top + W;
                        // Branch-free (which element wins is data, not a pattern the predictor can learn).
                        // Pairwise maxima keep the first position on ties, as the sequential scan does.
                        for (int j = 0; j < os.w; ++j) {
                            const int c0 = 2 * j;
                            const float a = r0[c0], b = r0[c0 + 1], c = r1[c0], d = r1[c0 + 1];
                            const float m1 = std::max(a, b), m2 = std::max(c, d);
                            const int32_t w1 = top + c0 + int32_t(b > a), w2 = bottom + c0 + int32_t(d > c);
                            const int32_t second = -int32_t(m2 > m1);  // all ones when the bottom pair wins
                            out[i * os.w + j] = std::max(m1, m2);
                            arg[i * os.w + j] = w1 ^ ((w1 ^ w2) & second);
                        }
                    }
                    continue;
                }
                for (int i = 0; i < os.h; ++i)
                    for (int j = 0; j < os.w; ++j) {
                        float best = -std::numeric_limits<float>::infinity();
                        int32_t where = (i * stride_) * W + j * stride_;
                        for (int u = 0; u < k_; ++u)
                            for (int v = 0; v < k_; ++v) {
                                int at = (i * stride_ + u) * W + j * stride_ + v;
                                if (in[at] > best) best = in[at], where = at;
                            }
                        out[i * os.w + j] = best;
                        arg[i * os.w + j] = where;
                    }
            }
        });
    }

    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                  const Context& ctx) override {
        (void)y;
        const int N = x.n(), H = x.h(), W = x.w(), ohw = dy.h() * dy.w();
        check(argmax_.size() == dy.size(), "MaxPool2D backward: no matching forward");
        dx.resize(N, x.c(), H, W);
        const int planes_per_sample = x.c();
        parallel_slices(ctx.pool, N, [&](int b, int e, int) {
            std::fill(dx.sample(b), dx.sample(b) + size_t(e - b) * dx.sample_size(), 0.0f);
            for (int p = b * planes_per_sample; p < e * planes_per_sample; ++p) {
                float* d = dx.data() + size_t(p) * H * W;
                const float* g = dy.data() + size_t(p) * ohw;
                const int32_t* arg = argmax_.data() + size_t(p) * ohw;
                for (int i = 0; i < ohw; ++i) d[arg[i]] += g[i];
            }
        });
    }

  private:
    int k_, stride_;
    std::vector<int32_t> argmax_;
};

CNN_REGISTER_LAYER(MaxPool2D);

}  // namespace cnn
