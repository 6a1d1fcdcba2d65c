// Dense (fully connected): y = x W^T + b.
//   shapes: x (N, in, 1, 1) (any (N, C, H, W) with C*H*W = in), W (out, in), b (out), y (N, out, 1, 1)
//   backward: dx = dy W,  dW += dy^T x,  db += column sums of dy
#pragma once

#include "registry.hpp"

namespace cnn {

class Dense : public Layer {
  public:
    Dense(int in_features, int out_features) : in_(in_features), out_(out_features) {
        check(in_features > 0 && out_features > 0, "Dense: invalid sizes");
        weight_.init("weight", out_, in_, 1, 1, true);
        bias_.init("bias", out_, 1, 1, 1, false);
    }
    static constexpr char kType[] = "dense";
    static std::unique_ptr<Layer> from_hyper(const Hyper& h) {
        return std::make_unique<Dense>(hyper_int(h, "in_features"), hyper_int(h, "out_features"));
    }
    static double stored_floats(const Hyper& h) {
        return hyper_get(h, "out_features", 0) * (hyper_get(h, "in_features", 0) + 1);
    }
    std::string type() const override { return kType; }
    void init_params(std::mt19937_64& rng, Init kind) override {
        init_weights(weight_, in_, out_, kind, rng);
        bias_.value.zero();
    }
    FrozenForm frozen_form() const override {
        FrozenForm form{FrozenForm::Kind::dense};
        form.weight = &weight_.value;
        form.bias = &bias_.value;
        return form;
    }
    bool reads_output() const override { return false; }
    Hyper hyper() const override { return {{"in_features", in_}, {"out_features", out_}}; }
    Shape output_shape(const Shape& in) const override {
        check(int(in.size()) == in_, "Dense: expected " + std::to_string(in_) + " inputs, got " + in.str());
        return {out_, 1, 1};
    }
    std::vector<Param*> params() override { return {&weight_, &bias_}; }
    Param& weight() { return weight_; }
    Param& bias() { return bias_; }
    int in_features() const { return in_; }
    int out_features() const { return out_; }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        output_shape(x.sample_shape());
        const int N = x.n();
        y.resize(N, out_, 1, 1);
        ConstMatMap W(weight_.value.data(), out_, in_);
        ConstVecMap b(bias_.value.data(), out_);
        parallel_slices(ctx.pool, N, [&](int lo, int hi, int) {
            MatMap Y(y.sample(lo), hi - lo, out_);
            Y.noalias() = ConstMatMap(x.sample(lo), hi - lo, in_) * W.transpose();
            Y.rowwise() += b.transpose();
        });
    }

    void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx, const Context& ctx) override {
        const int N = x.n();
        check(dy.n() == N && int(dy.sample_size()) == out_, "Dense backward: dy shape " + dy.shape_str());
        dx.resize(N, x.c(), x.h(), x.w());
        ConstMatMap W(weight_.value.data(), out_, in_);
        int parts = slice_count(ctx.pool, N);
        parts_.resize(std::max<size_t>(parts_.size(), parts));
        parallel_slices(ctx.pool, N, [&](int lo, int hi, int part) {
            ConstMatMap dY(dy.sample(lo), hi - lo, out_);
            MatMap(dx.sample(lo), hi - lo, in_).noalias() = dY * W;
            parts_[part].resize(size_t(out_) * (in_ + 1));
            MatMap dW(parts_[part].data(), out_, in_);
            dW.noalias() = dY.transpose() * ConstMatMap(x.sample(lo), hi - lo, in_);
            VecMap(parts_[part].data() + size_t(out_) * in_, out_) = dY.colwise().sum().transpose();
        });
        for (int part = 0; part < parts; ++part) {  // fixed order: deterministic for a thread count
            const float* g = parts_[part].data();
            for (size_t i = 0; i < weight_.grad.size(); ++i) weight_.grad[i] += g[i];
            for (int o = 0; o < out_; ++o) bias_.grad[o] += g[weight_.grad.size() + o];
        }
    }

  private:
    int in_, out_;
    Param weight_, bias_;
    std::vector<std::vector<float, Eigen::aligned_allocator<float>>> parts_;
};

CNN_REGISTER_LAYER(Dense);

}  // namespace cnn
