// FrozenNet: a trained Sequential compiled for inference from each layer's frozen_form(). BatchNorm is folded
// into the convolution or dense layer before it (W' = W * gamma / sqrt(var + eps),
// b' = (b - mean) * gamma / sqrt(var + eps) + beta), ReLU and a following 2-D max-pool are fused into the
// convolution's output pass, dropout and flatten vanish.
// 3×3 / stride 1 / padding 1 convolutions (with no pool or a 2×2/2 pool) run on the NHWC kernels of
// fast_conv.hpp (Winograd, or direct for few input channels); a dense layer after them reads NHWC through
// weights permuted once here, so no activation is ever transposed on the way. Other layers run in NCHW.
// The weights are read-only after construction, so one FrozenNet serves any number of threads, each with its
// own Workspace. Results match Sequential::forward in eval mode to float rounding.
#pragma once

#include <limits>
#include <memory>

#include "conv2d.hpp"  // the im2col kernels that general convolutions run on
#include "fast_conv.hpp"
#include "sequential.hpp"

namespace cnn {

class FrozenNet {
  public:
    // Per-thread scratch memory; reuse one per thread across calls to avoid allocations.
    struct Workspace {
        std::vector<detail::Scratch> parts;
    };

    // Compiles the first `layers` layers of `net` (all of them by default): a prefix gives the activations of
    // an inner layer, such as the features a network's last dense layer reads.
    explicit FrozenNet(Sequential& net, size_t layers = std::numeric_limits<size_t>::max())
        : input_(net.input_shape()), metadata_(net.metadata) {
        Shape s = input_;
        check(layers > 0, "FrozenNet: no layers to compile");
        for (size_t i = 0; i < std::min(layers, net.size()); ++i) {
            Layer& l = net.layer(i);
            Shape out = l.output_shape(s);
            const FrozenForm form = l.frozen_form();
            using Kind = FrozenForm::Kind;
            Op* prev = ops_.empty() ? nullptr : &ops_.back();
            switch (form.kind) {
                case Kind::conv:
                case Kind::dense: {
                    Op op;
                    op.kind = form.kind == Kind::conv ? Op::Conv : Op::Dense;
                    op.in = s;
                    op.out = out;
                    if (form.kind == Kind::conv) {
                        op.conv_out = out;
                        op.plane_out = out;
                        op.k = form.kernel;
                        op.stride = form.stride;
                        op.pad = form.padding;
                    }
                    op.weight.assign(form.weight->data(), form.weight->data() + form.weight->size());
                    op.bias.assign(form.bias->data(), form.bias->data() + form.bias->size());
                    ops_.push_back(std::move(op));
                    break;
                }
                case Kind::channel_affine: {
                    const int C = s.c;
                    check(int(form.scale.size()) == C && int(form.shift.size()) == C,
                          "FrozenNet: " + l.type() + " has an affine map of the wrong size");
                    if (prev && (prev->kind == Op::Conv || prev->kind == Op::Dense) && !prev->relu &&
                        prev->pool_k == 0 && prev->out.c == C) {
                        const size_t per_out = prev->weight.size() / C;
                        for (int c = 0; c < C; ++c) {
                            for (size_t j = 0; j < per_out; ++j)
                                prev->weight[c * per_out + j] *= form.scale[c];
                            prev->bias[c] = prev->bias[c] * form.scale[c] + form.shift[c];
                        }
                    } else {
                        Op op;
                        op.kind = Op::Affine;
                        op.in = s;
                        op.out = out;
                        op.weight.assign(form.scale.begin(), form.scale.end());
                        op.bias.assign(form.shift.begin(), form.shift.end());
                        ops_.push_back(std::move(op));
                    }
                    break;
                }
                case Kind::relu:
                    if (prev && prev->kind != Op::MaxPool && !prev->relu) {
                        prev->relu =
                            true;  // max-pool after ReLU equals ReLU after max-pool, so order is free
                    } else {
                        Op op;
                        op.kind = Op::Relu;
                        op.in = s;
                        op.out = out;
                        ops_.push_back(std::move(op));
                    }
                    break;
                case Kind::max_pool:
                    if (prev && prev->kind == Op::Conv && prev->pool_k == 0) {
                        prev->pool_k = form.kernel;
                        prev->pool_stride = form.stride;
                        prev->out = out;
                        prev->plane_out = out;
                    } else {
                        Op op;
                        op.kind = Op::MaxPool;
                        op.in = s;
                        op.out = out;
                        op.plane_out = out;
                        op.pool_k = form.kernel;
                        op.pool_stride = form.stride;
                        ops_.push_back(std::move(op));
                    }
                    break;
                case Kind::global_avg_pool: {
                    Op op;
                    op.kind = Op::Gap;
                    op.in = s;
                    op.out = out;
                    ops_.push_back(std::move(op));
                    break;
                }
                case Kind::reshape:
                    if (prev) prev->out = out;  // same memory, new shape
                    break;
                case Kind::unsupported:
                    throw std::invalid_argument("FrozenNet: unsupported layer " + l.type());
            }
            s = out;
        }
        output_ = s;
        lower();
    }

    Shape input_shape() const { return input_; }
    Shape output_shape() const { return output_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    size_t op_count() const { return ops_.size(); }

    // x: n samples of input_shape(); out: n samples of output_shape().
    void run(const float* x, int n, float* out, Workspace& ws, ThreadPool* pool = nullptr) const {
        const int parts = slice_count(pool, n);
        if (ws.parts.size() < size_t(parts) * 4) ws.parts.resize(size_t(parts) * 4);
        parallel_slices(pool, n, [&](int b, int e, int part) {
            // Slices of up to kBlock samples keep the activations in cache.
            constexpr int kBlock = 32;
            for (int s0 = b; s0 < e; s0 += kBlock) {
                int count = std::min(kBlock, e - s0);
                run_block(x + size_t(s0) * input_.size(), count, out + size_t(s0) * output_.size(),
                          &ws.parts[size_t(part) * 4]);
            }
        });
    }

  private:
    struct Op {
        enum Kind { Conv, FastConv, Dense, Affine, Relu, MaxPool, Gap, ToNHWC, ToNCHW } kind;
        Shape in, out;    // what the op reads and writes (out may be a flattened view of plane_out)
        Shape conv_out;   // a convolution's output before pooling
        Shape plane_out;  // the written planes' shape (convolution and max-pool)
        int k = 0, stride = 1, pad = 0;
        int pool_k = 0, pool_stride = 0;
        bool relu = false;
        std::vector<float, Eigen::aligned_allocator<float>> weight, bias;
        // Buffers: floats per sample read and written; NHWC inputs have this channel stride (0: NCHW).
        size_t in_elems = 0, out_elems = 0;
        int nhwc_stride = 0;
        std::shared_ptr<const fast::Conv3x3> fast;
    };

    // Second pass: picks the NHWC kernels and inserts layout changes where an NCHW op follows them.
    void lower() {
        std::vector<Op> lowered;
        int stride = 0;  // channel stride of the current NHWC activations, 0 while they are NCHW
        Shape plane;     // the current NHWC activations' shape
        auto to_nchw = [&]() {
            Op t;
            t.kind = Op::ToNCHW;
            t.in = t.out = plane;
            t.nhwc_stride = stride;
            t.in_elems = plane.size() / plane.c * stride;
            t.out_elems = plane.size();
            lowered.push_back(std::move(t));
            stride = 0;
        };
        for (Op& op : ops_) {
            const bool fast_conv = op.kind == Op::Conv && op.k == 3 && op.stride == 1 && op.pad == 1 &&
                                   (op.pool_k == 0 || (op.pool_k == 2 && op.pool_stride == 2));
            if (fast_conv) {
                if (stride == 0 && op.in.c > 1) {
                    Op t;
                    t.kind = Op::ToNHWC;
                    t.in = t.out = op.in;
                    t.nhwc_stride = simd::round_up(op.in.c);
                    t.in_elems = op.in.size();
                    t.out_elems = op.in.size() / op.in.c * t.nhwc_stride;
                    stride = t.nhwc_stride;
                    lowered.push_back(std::move(t));
                }
                const int in_stride = stride == 0 ? 1 : stride;  // one NCHW channel is already NHWC
                op.kind = Op::FastConv;
                const bool pool = op.pool_k == 2;
                op.fast = std::make_shared<fast::Conv3x3>(op.weight.data(), op.bias.data(), op.in.c,
                                                          op.conv_out.c, in_stride, op.relu, pool,
                                                          fast::Conv3x3::best_tile(op.in.h, op.in.w, pool));
                op.weight.clear();
                op.bias.clear();
                op.nhwc_stride = in_stride;
                stride = op.fast->out_stride();
                plane = op.plane_out;
                op.in_elems = op.in.size() / op.in.c * in_stride;
                op.out_elems = plane.size() / plane.c * stride;
            } else if (stride != 0 && op.kind == Op::Dense) {
                // Read the flattened NHWC activations directly: column (y*w + x)*stride + c of the new
                // weights is column c*h*w + y*w + x of the old ones; padding channels get zero weights.
                const size_t hw = size_t(plane.h) * plane.w, in_new = hw * stride, in_old = plane.size();
                std::vector<float, Eigen::aligned_allocator<float>> w(size_t(op.out.c) * in_new, 0.0f);
                for (int o = 0; o < op.out.c; ++o)
                    for (int c = 0; c < plane.c; ++c)
                        for (size_t p = 0; p < hw; ++p)
                            w[o * in_new + p * stride + c] = op.weight[o * in_old + c * hw + p];
                op.weight = std::move(w);
                op.in_elems = in_new;
                op.out_elems = op.out.size();
                stride = 0;
            } else if (stride != 0 && op.kind == Op::Gap) {
                op.nhwc_stride = stride;
                op.in_elems = plane.size() / plane.c * stride;
                op.out_elems = op.out.size();
                stride = 0;
            } else {
                if (stride != 0) to_nchw();
                op.in_elems = op.in.size();
                op.out_elems = op.out.size();
            }
            lowered.push_back(std::move(op));
        }
        if (stride != 0) to_nchw();
        ops_ = std::move(lowered);
        for (const Op& op : ops_) max_size_ = std::max({max_size_, op.in_elems, op.out_elems});
    }

    void run_block(const float* x, int n, float* out, detail::Scratch* scratch) const {
        float* buf[2] = {scratch[0].get(max_size_ * n), scratch[1].get(max_size_ * n)};
        const float* cur = x;
        for (size_t i = 0; i < ops_.size(); ++i) {
            float* dst = (i + 1 == ops_.size()) ? out : buf[i % 2];
            run_op(ops_[i], cur, n, dst, scratch + 2);
            cur = dst;
        }
        if (ops_.empty()) std::copy(x, x + size_t(n) * input_.size(), out);
    }

    static void run_op(const Op& op, const float* x, int n, float* y, detail::Scratch* scratch) {
        const size_t in_size = op.in_elems, out_size = op.out_elems;
        switch (op.kind) {
            case Op::FastConv:
                op.fast->run(x, n, op.in.h, op.in.w, y,
                             scratch[0].get(op.fast->scratch_size(op.in.h, op.in.w)));
                break;
            case Op::ToNHWC:
                fast::nchw_to_nhwc(x, n, op.in.c, op.in.h * op.in.w, op.nhwc_stride, y);
                break;
            case Op::ToNCHW:
                fast::nhwc_to_nchw(x, n, op.in.c, op.in.h * op.in.w, op.nhwc_stride, y);
                break;
            case Op::Conv: {
                const int C = op.in.c, O = op.conv_out.c, hw = op.conv_out.h * op.conv_out.w,
                          K = C * op.k * op.k;
                const int chunk = detail::conv_chunk(hw);
                float* cols = scratch[0].get(size_t(K) * chunk * hw);
                float* prod = scratch[1].get(size_t(O) * chunk * hw);
                ConstMatMap W(op.weight.data(), O, K);
                for (int s0 = 0; s0 < n; s0 += chunk) {
                    const int S = std::min(chunk, n - s0);
                    const float* patches = cols;
                    if (op.k == 1 && op.stride == 1 && op.pad == 0 && S == 1) {
                        patches = x + size_t(s0) * in_size;  // a 1×1 convolution needs no patches
                    } else {
                        detail::im2col(x + size_t(s0) * in_size, C, op.in.h, op.in.w, S, op.k, op.stride,
                                       op.pad, op.conv_out.h, op.conv_out.w, cols);
                    }
                    MatMap(prod, O, size_t(S) * hw).noalias() = W * ConstMatMap(patches, K, size_t(S) * hw);
                    for (int s = 0; s < S; ++s)
                        for (int o = 0; o < O; ++o) {
                            const float* src = prod + size_t(o) * S * hw + size_t(s) * hw;
                            float* dst =
                                y + size_t(s0 + s) * out_size + size_t(o) * op.plane_out.h * op.plane_out.w;
                            output_pass(op, src, op.bias[o], dst);
                        }
                }
                break;
            }
            case Op::Dense: {
                MatMap Y(y, n, op.out.c);
                Y.noalias() = ConstMatMap(x, n, int(in_size)) *
                              ConstMatMap(op.weight.data(), op.out.c, int(in_size)).transpose();
                Y.rowwise() += ConstVecMap(op.bias.data(), op.out.c).transpose();
                if (op.relu) Y = Y.cwiseMax(0.0f);
                break;
            }
            case Op::Affine: {
                const int C = op.in.c, hw = op.in.h * op.in.w;
                for (int s = 0; s < n; ++s)
                    for (int c = 0; c < C; ++c) {
                        const float* src = x + size_t(s) * in_size + size_t(c) * hw;
                        float* dst = y + size_t(s) * out_size + size_t(c) * hw;
                        for (int i = 0; i < hw; ++i) {
                            float v = src[i] * op.weight[c] + op.bias[c];
                            dst[i] = op.relu ? std::max(v, 0.0f) : v;
                        }
                    }
                break;
            }
            case Op::Relu:
                for (size_t i = 0; i < size_t(n) * in_size; ++i) y[i] = std::max(x[i], 0.0f);
                break;
            case Op::MaxPool: {
                const size_t plane = size_t(op.in.h) * op.in.w,
                             oplane = size_t(op.plane_out.h) * op.plane_out.w;
                for (size_t p = 0; p < size_t(n) * op.in.c; ++p) {
                    Op plain = op;
                    plain.conv_out = op.in;
                    output_pass(plain, x + p * plane, 0.0f, y + p * oplane);
                }
                break;
            }
            case Op::Gap: {
                const int C = op.in.c, hw = op.in.h * op.in.w;
                // NCHW: channel c's values are consecutive; NHWC: one every nhwc_stride floats.
                const size_t step = op.nhwc_stride ? size_t(op.nhwc_stride) : 1,
                             plane = op.nhwc_stride ? 1 : size_t(hw);
                for (int s = 0; s < n; ++s)
                    for (int c = 0; c < C; ++c) {
                        const float* src = x + size_t(s) * in_size + size_t(c) * plane;
                        float sum = 0.0f;
                        for (int i = 0; i < hw; ++i) sum += src[i * step];
                        float v = sum / float(hw);
                        y[size_t(s) * out_size + c] = op.relu ? std::max(v, 0.0f) : v;
                    }
                break;
            }
        }
    }

    // One channel plane (conv_out.h × conv_out.w) → + bias, optional max-pool, optional ReLU.
    static void output_pass(const Op& op, const float* src, float bias, float* dst) {
        const int H = op.conv_out.h, W = op.conv_out.w;
        if (op.pool_k == 0) {
            for (int i = 0; i < H * W; ++i) {
                float v = src[i] + bias;
                dst[i] = op.relu ? std::max(v, 0.0f) : v;
            }
            return;
        }
        const int k = op.pool_k, st = op.pool_stride, ho = (H - k) / st + 1, wo = (W - k) / st + 1;
        for (int i = 0; i < ho; ++i)
            for (int j = 0; j < wo; ++j) {
                float best = -std::numeric_limits<float>::infinity();
                for (int u = 0; u < k; ++u) {
                    const float* row = src + size_t(i * st + u) * W + j * st;
                    for (int v = 0; v < k; ++v) best = std::max(best, row[v]);
                }
                float v = best + bias;
                dst[i * wo + j] = op.relu ? std::max(v, 0.0f) : v;
            }
    }

    Shape input_, output_;
    std::vector<Op> ops_;
    size_t max_size_ = 0;
    std::map<std::string, std::string> metadata_;
};

}  // namespace cnn
