// Conv2D: 2-D convolution (cross-correlation, as in PyTorch), any kernel size, stride and zero padding.
//
//   y[n,o,i,j] = b[o] + sum_{c,u,v} W[o,c,u,v] * x[n, c, i*s - p + u, j*s - p + v]
//   shapes: x (N, C, H, W), W (O, C, k, k), b (O), y (N, O, Ho, Wo), Ho = (H + 2p - k) / s + 1
//
// Computed as im2col + one matrix product per chunk of samples: cols (C*k*k, S*Ho*Wo) holds the input
// patches of S samples side by side, so Y = W (O, C*k*k) * cols is a single large GEMM.
//   backward:  dW += dY * cols^T,  db += row sums of dY,  dcols = W^T * dY, then col2im adds dcols into dx.
// A 3×3 / stride 1 / padding 1 convolution with enough channels instead computes y, and dx (itself such a
// convolution of dy, with the kernel turned by 180° and its channel axes swapped), with the Winograd kernels
// of fast_conv.hpp, a few samples at a time moved to NHWC and back; dW stays im2col + GEMM.
#pragma once

#include <cstring>

#include <memory>

#include "fast_conv.hpp"
#include "registry.hpp"
#include "simd.hpp"

namespace cnn {

namespace detail {

// Patches of samples [first, first + count) of x into cols (C*k*k rows, count*Ho*Wo columns).
// `x` points at the first sample, consecutive samples C*H*W floats apart.
inline void im2col(const float* x, int C, int H, int W, int count, int k, int stride, int pad, int ho, int wo,
                   float* cols) {
    const size_t sample_stride = size_t(C) * H * W;
    const size_t hw = size_t(ho) * wo, row_len = size_t(count) * hw;
    for (int c = 0; c < C; ++c)
        for (int u = 0; u < k; ++u)
            for (int v = 0; v < k; ++v) {
                float* row = cols + (size_t(c * k + u) * k + v) * row_len;
                // Output columns j whose input column j*stride - pad + v lies inside the image.
                int j_lo = 0, j_hi = wo;
                while (j_lo < wo && j_lo * stride - pad + v < 0) ++j_lo;
                while (j_hi > j_lo && (j_hi - 1) * stride - pad + v >= W) --j_hi;
                for (int s = 0; s < count; ++s) {
                    const float* plane = x + s * sample_stride + size_t(c) * H * W;
                    float* out = row + s * hw;
                    for (int i = 0; i < ho; ++i, out += wo) {
                        int iy = i * stride - pad + u;
                        if (iy < 0 || iy >= H) {
                            std::memset(out, 0, sizeof(float) * wo);
                            continue;
                        }
                        const float* in = plane + size_t(iy) * W - pad + v;
                        for (int j = 0; j < j_lo; ++j) out[j] = 0.0f;
                        if (stride == 1) {
                            std::memcpy(out + j_lo, in + j_lo, sizeof(float) * (j_hi - j_lo));
                        } else {
                            for (int j = j_lo; j < j_hi; ++j) out[j] = in[j * stride];
                        }
                        for (int j = j_hi; j < wo; ++j) out[j] = 0.0f;
                    }
                }
            }
}

// The adjoint of im2col: adds cols back into dx for samples [first, first + count).
inline void col2im_add(const float* cols, int first, int count, int k, int stride, int pad, int ho, int wo,
                       Tensor& dx) {
    const int C = dx.c(), H = dx.h(), W = dx.w();
    const size_t hw = size_t(ho) * wo, row_len = size_t(count) * hw;
    for (int c = 0; c < C; ++c)
        for (int u = 0; u < k; ++u)
            for (int v = 0; v < k; ++v) {
                const float* row = cols + (size_t(c * k + u) * k + v) * row_len;
                int j_lo = 0, j_hi = wo;
                while (j_lo < wo && j_lo * stride - pad + v < 0) ++j_lo;
                while (j_hi > j_lo && (j_hi - 1) * stride - pad + v >= W) --j_hi;
                for (int s = 0; s < count; ++s) {
                    float* plane = dx.sample(first + s) + size_t(c) * H * W;
                    const float* in = row + s * hw;
                    for (int i = 0; i < ho; ++i, in += wo) {
                        int iy = i * stride - pad + u;
                        if (iy < 0 || iy >= H) continue;
                        float* out = plane + size_t(iy) * W - pad + v;
                        if (stride == 1) {  // contiguous: vectorises
                            for (int j = j_lo; j < j_hi; ++j) out[j] += in[j];
                        } else {
                            for (int j = j_lo; j < j_hi; ++j) out[j * stride] += in[j];
                        }
                    }
                }
            }
}

// Per-task scratch buffers that keep their allocation between calls.
struct Scratch {
    std::vector<float, Eigen::aligned_allocator<float>> buf;
    float* get(size_t n) {
        if (buf.size() < n) buf.resize(n);
        return buf.data();
    }
};

// Samples per GEMM so that a chunk's matrix has about this many columns: large enough for an efficient
// product, small enough that the patches stay in cache.
constexpr int kConvChunkColumns = 1536;

inline int conv_chunk(int hw) {
    return std::max(1, kConvChunkColumns / std::max(1, hw));
}

}  // namespace detail

class Conv2D : public Layer {
  public:
    Conv2D(int in_channels, int out_channels, int kernel, int stride = 1, int padding = 0)
        : in_c_(in_channels), out_c_(out_channels), k_(kernel), stride_(stride), pad_(padding) {
        check(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0 && padding >= 0 &&
                  padding < kernel,
              "Conv2D: invalid hyperparameters");
        weight_.init("weight", out_c_, in_c_, k_, k_, true);
        bias_.init("bias", out_c_, 1, 1, 1, false);
    }

    static constexpr char kType[] = "conv2d";
    static std::unique_ptr<Layer> from_hyper(const Hyper& h) {
        return std::make_unique<Conv2D>(hyper_int(h, "in_channels"), hyper_int(h, "out_channels"),
                                        hyper_int(h, "kernel"), hyper_int(h, "stride"),
                                        hyper_int(h, "padding"));
    }
    static double stored_floats(const Hyper& h) {
        const double k = hyper_get(h, "kernel", 0);
        return hyper_get(h, "out_channels", 0) * (hyper_get(h, "in_channels", 0) * k * k + 1);
    }
    std::string type() const override { return kType; }
    void init_params(std::mt19937_64& rng, Init kind) override {
        init_weights(weight_, in_c_ * k_ * k_, out_c_ * k_ * k_, kind, rng);
        bias_.value.zero();
    }
    FrozenForm frozen_form() const override {
        FrozenForm form{FrozenForm::Kind::conv};
        form.weight = &weight_.value;
        form.bias = &bias_.value;
        form.kernel = k_;
        form.stride = stride_;
        form.padding = pad_;
        return form;
    }
    bool reads_output() const override { return false; }
    Hyper hyper() const override {
        return {{"in_channels", in_c_},
                {"out_channels", out_c_},
                {"kernel", k_},
                {"stride", stride_},
                {"padding", pad_}};
    }
    Shape output_shape(const Shape& in) const override {
        check(in.c == in_c_,
              "Conv2D: expected " + std::to_string(in_c_) + " input channels, got " + std::to_string(in.c));
        int ho = (in.h + 2 * pad_ - k_) / stride_ + 1, wo = (in.w + 2 * pad_ - k_) / stride_ + 1;
        check(in.h + 2 * pad_ >= k_ && in.w + 2 * pad_ >= k_,
              "Conv2D: input " + in.str() + " smaller than the kernel");
        return {out_c_, ho, wo};
    }
    std::vector<Param*> params() override { return {&weight_, &bias_}; }
    Param& weight() { return weight_; }
    Param& bias() { return bias_; }
    int kernel() const { return k_; }
    int stride() const { return stride_; }
    int padding() const { return pad_; }
    int in_channels() const { return in_c_; }
    int out_channels() const { return out_c_; }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        Shape os = output_shape(x.sample_shape());
        const int N = x.n(), hw = os.h * os.w, K = in_c_ * k_ * k_;
        y.resize(N, os);
        int parts = slice_count(ctx.pool, N);
        if (winograd_shape(in_c_)) {
            if (!fwd_)
                fwd_ = std::make_unique<fast::Conv3x3>(in_c_, out_c_, simd::round_up(in_c_), false, false);
            fwd_->set_bias(bias_.value.data());
            load_weights(ctx, *fwd_, false);
            run_nchw(ctx, *fwd_, x, in_c_, out_c_, y);
            return;
        }
        scratch_.resize(std::max<size_t>(scratch_.size(), parts * 2));
        ConstMatMap W(weight_.value.data(), out_c_, K);
        parallel_slices(ctx.pool, N, [&](int b, int e, int part) {
            const int chunk = detail::conv_chunk(hw);
            float* cols = scratch_[2 * part].get(size_t(K) * chunk * hw);
            float* prod = scratch_[2 * part + 1].get(size_t(out_c_) * chunk * hw);
            for (int s0 = b; s0 < e; s0 += chunk) {
                int S = std::min(chunk, e - s0);
                detail::im2col(x.sample(s0), x.c(), x.h(), x.w(), S, k_, stride_, pad_, os.h, os.w, cols);
                MatMap P(prod, out_c_, size_t(S) * hw);
                P.noalias() = W * ConstMatMap(cols, K, size_t(S) * hw);
                for (int s = 0; s < S; ++s)
                    for (int o = 0; o < out_c_; ++o) {
                        const float* src = prod + size_t(o) * S * hw + size_t(s) * hw;
                        float* dst = y.sample(s0 + s) + size_t(o) * hw;
                        const float bo = bias_.value[o];
                        for (int i = 0; i < hw; ++i) dst[i] = src[i] + bo;
                    }
            }
        });
    }

    // With input_grad() off (a network's first layer) dx is left unwritten and its product skipped.
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                  const Context& ctx) override {
        (void)y;
        const int N = x.n(), K = in_c_ * k_ * k_;
        const int ho = dy.h(), wo = dy.w(), hw = ho * wo;
        check(dy.n() == N && dy.c() == out_c_, "Conv2D backward: dy shape " + dy.shape_str());
        dx.resize(N, x.c(), x.h(), x.w());
        int parts = slice_count(ctx.pool, N);
        scratch_.resize(std::max<size_t>(scratch_.size(), parts * 2));
        grad_parts_.resize(std::max<size_t>(grad_parts_.size(), parts));
        ConstMatMap W(weight_.value.data(), out_c_, K);
        const bool fast_dx = input_grad_ && winograd_shape(out_c_);
        parallel_slices(ctx.pool, N, [&](int b, int e, int part) {
            if (input_grad_ && !fast_dx)
                std::fill(dx.sample(b), dx.sample(b) + size_t(e - b) * dx.sample_size(), 0.0f);
            const int chunk = detail::conv_chunk(hw);
            float* cols = scratch_[2 * part].get(size_t(K) * chunk * hw);
            float* dprod = scratch_[2 * part + 1].get(size_t(out_c_) * chunk * hw);
            float* dw = grad_parts_[part].get(size_t(out_c_) * (K + 1));
            std::fill(dw, dw + size_t(out_c_) * (K + 1), 0.0f);
            MatMap dW(dw, out_c_, K);
            float* db = dw + size_t(out_c_) * K;
            for (int s0 = b; s0 < e; s0 += chunk) {
                int S = std::min(chunk, e - s0);
                const size_t cols_n = size_t(S) * hw;
                for (int s = 0; s < S; ++s)
                    for (int o = 0; o < out_c_; ++o) {
                        const float* src = dy.sample(s0 + s) + size_t(o) * hw;
                        float* dst = dprod + size_t(o) * cols_n + size_t(s) * hw;
                        std::memcpy(dst, src, sizeof(float) * hw);
                        db[o] += simd::sum(src, hw);
                    }
                detail::im2col(x.sample(s0), x.c(), x.h(), x.w(), S, k_, stride_, pad_, ho, wo, cols);
                ConstMatMap dP(dprod, out_c_, cols_n);
                dW.noalias() += dP * ConstMatMap(cols, K, cols_n).transpose();
                if (!input_grad_ || fast_dx) continue;
                MatMap dcols(cols, K, cols_n);  // the patches are no longer needed: reuse their buffer
                dcols.noalias() = W.transpose() * dP;
                detail::col2im_add(cols, s0, S, k_, stride_, pad_, ho, wo, dx);
            }
        });
        if (fast_dx) {
            if (!bwd_)
                bwd_ = std::make_unique<fast::Conv3x3>(out_c_, in_c_, simd::round_up(out_c_), false, false);
            load_weights(ctx, *bwd_, true);
            run_nchw(ctx, *bwd_, dy, out_c_, in_c_, dx);
        }
        // Sum the per-slice gradients in a fixed order, so results do not depend on thread timing.
        for (int part = 0; part < parts; ++part) {
            const float* dw = grad_parts_[part].buf.data();
            for (size_t i = 0; i < weight_.grad.size(); ++i) weight_.grad[i] += dw[i];
            for (int o = 0; o < out_c_; ++o) bias_.grad[o] += dw[weight_.grad.size() + o];
        }
    }

  private:
    // Shapes the Winograd kernels take: 3×3, stride 1, padding 1, and `channels` in (input channels of the
    // forward convolution, output channels for the input gradient) enough for their products.
    bool winograd_shape(int channels) const {
        return k_ == 3 && stride_ == 1 && pad_ == 1 && channels >= simd::kWidth / 2;
    }

    // The kernel's weights from weight_ (they change every step), input channels split over the threads.
    void load_weights(const Context& ctx, fast::Conv3x3& conv, bool transposed) {
        parallel_slices(ctx.pool, conv.in_channels(),
                        [&](int b, int e, int) { conv.set_weights(weight_.value.data(), transposed, b, e); });
    }

    // out (NCHW, Co channels) = conv(in (NCHW, Ci channels)), same height and width, a few samples at a time
    // through NHWC buffers that stay in cache.
    void run_nchw(const Context& ctx, const fast::Conv3x3& conv, const Tensor& in, int ci, int co,
                  Tensor& out) {
        const int N = in.n(), H = in.h(), W = in.w(), hw = H * W;
        const int cs = simd::round_up(ci), os = simd::round_up(co);
        constexpr int kChunk = 4;
        const int parts = slice_count(ctx.pool, N);
        fast_scratch_.resize(std::max<size_t>(fast_scratch_.size(), size_t(parts) * 3));
        parallel_slices(ctx.pool, N, [&](int b, int e, int part) {
            float* xin = fast_scratch_[3 * part].get(size_t(kChunk) * hw * cs);
            float* yout = fast_scratch_[3 * part + 1].get(size_t(kChunk) * hw * os);
            float* work = fast_scratch_[3 * part + 2].get(conv.scratch_size(H, W));
            for (int s0 = b; s0 < e; s0 += kChunk) {
                const int S = std::min(kChunk, e - s0);
                fast::nchw_to_nhwc(in.sample(s0), S, ci, hw, cs, xin);
                conv.run(xin, S, H, W, yout, work);
                fast::nhwc_to_nchw(yout, S, co, hw, os, out.sample(s0));
            }
        });
    }

    int in_c_, out_c_, k_, stride_, pad_;
    Param weight_, bias_;
    std::vector<detail::Scratch> scratch_, grad_parts_, fast_scratch_;
    std::unique_ptr<fast::Conv3x3> fwd_, bwd_;  // weights reloaded every call
};

CNN_REGISTER_LAYER(Conv2D);

}  // namespace cnn
