// Dropout: in training, zeroes each value with probability p and scales the rest by 1/(1-p), so the expected
// output equals the input; in eval mode it is the identity (PyTorch's inverted dropout).
//   train: y = x * m / (1 - p), m ~ Bernoulli(1 - p);  dx = dy * m / (1 - p)
// The mask of sample n at training step t comes from a generator seeded by (seed, t, n), so it does not
// depend on the thread count. freeze_mask(true) reuses the last mask (for gradient checks).
#pragma once

#include <cstdint>

#include "registry.hpp"

namespace cnn {

// SplitMix64: a small, fast, well-mixed generator; also used to derive independent seeds.
inline uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class Dropout : public Layer {
  public:
    explicit Dropout(double p = 0.5, uint64_t seed = 0x5eed) : p_(p), seed_(seed) {
        check(p >= 0.0 && p < 1.0, "Dropout: p must be in [0, 1)");
    }
    static constexpr char kType[] = "dropout";
    static std::unique_ptr<Layer> from_hyper(const Hyper& h) {
        return std::make_unique<Dropout>(hyper_get(h, "p"));
    }
    std::string type() const override { return kType; }
    FrozenForm frozen_form() const override { return {FrozenForm::Kind::reshape}; }
    bool reads_output() const override { return false; }
    Hyper hyper() const override { return {{"p", p_}}; }
    Shape output_shape(const Shape& in) const override { return in; }
    void set_seed(uint64_t seed) { seed_ = seed; }
    void freeze_mask(bool frozen) { frozen_ = frozen; }
    const std::vector<float>& mask() const { return mask_; }

    void forward(const Tensor& x, Tensor& y, const Context& ctx) override {
        y.resize(x.n(), x.c(), x.h(), x.w());
        if (!ctx.training || p_ == 0.0) {
            std::copy(x.data(), x.data() + x.size(), y.data());
            return;
        }
        const size_t per = x.sample_size();
        const float keep_scale = float(1.0 / (1.0 - p_));
        const uint64_t threshold = uint64_t(p_ * 18446744073709551616.0);  // p * 2^64
        const bool reuse = frozen_ && mask_.size() == x.size();
        if (!reuse) mask_.resize(x.size());
        parallel_slices(ctx.pool, x.n(), [&](int b, int e, int) {
            for (int n = b; n < e; ++n) {
                float* m = mask_.data() + size_t(n) * per;
                if (!reuse) {
                    uint64_t state =
                        seed_ ^ (ctx.step * 0xD1B54A32D192ED03ull) ^ (uint64_t(n) * 0x8CB92BA72F3D8DD7ull);
                    for (size_t i = 0; i < per; ++i)
                        m[i] = splitmix64(state) >= threshold ? keep_scale : 0.0f;
                }
                const float* in = x.sample(n);
                float* out = y.sample(n);
                for (size_t i = 0; i < per; ++i) out[i] = in[i] * m[i];
            }
        });
    }

    void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx, const Context& ctx) override {
        dx.resize(x.n(), x.c(), x.h(), x.w());
        if (!ctx.training || p_ == 0.0) {
            std::copy(dy.data(), dy.data() + dy.size(), dx.data());
            return;
        }
        check(mask_.size() == dy.size(), "Dropout backward: no matching forward");
        for (size_t i = 0; i < dy.size(); ++i) dx[i] = dy[i] * mask_[i];
    }

  private:
    double p_;
    uint64_t seed_;
    bool frozen_ = false;
    std::vector<float> mask_;
};

CNN_REGISTER_LAYER(Dropout);

}  // namespace cnn
