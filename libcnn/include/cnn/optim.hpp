// Optimizers. Each keeps its state in tensors indexed like the parameter list it was given, and advances its
// step counter exactly once per step() (bias correction in Adam depends on it). Weight decay applies to the
// parameters marked `decay` (convolution and dense weights), not to biases or BatchNorm's gamma/beta.
//
//   SGD (PyTorch's form):  g = grad + wd * w;  v = mu * v + g;  g = nesterov ? g + mu * v : v;  w -= lr * g
//   Adam:   g = grad + wd * w (L2);  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//           w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//   AdamW:  the same without the L2 term, and w -= lr * wd * w first (decoupled weight decay)
#pragma once

#include <cmath>
#include <memory>

#include "layer.hpp"

namespace cnn {

class Optimizer {
  public:
    Optimizer(std::vector<Param*> params, double lr) : params_(std::move(params)), lr_(lr) {}
    virtual ~Optimizer() = default;
    virtual std::string name() const = 0;
    virtual void step() = 0;

    double lr() const { return lr_; }
    void set_lr(double lr) { lr_ = lr; }
    int64_t steps() const { return steps_; }
    void set_steps(int64_t steps) { steps_ = steps; }
    void zero_grad() {
        for (Param* p : params_) p->grad.zero();
    }
    // Threads for step() (e.g. the network's: net.pool()); updates are elementwise, so the result does not
    // depend on the split.
    void set_pool(ThreadPool* pool) { pool_ = pool; }
    // The optimizer's state tensors, in a fixed order, for checkpoints.
    virtual std::vector<Tensor*> state() { return {}; }

  protected:
    // One state tensor per parameter, shaped like it, zero-initialised.
    std::vector<Tensor> make_state() const {
        std::vector<Tensor> s(params_.size());
        for (size_t i = 0; i < params_.size(); ++i) {
            const auto& d = params_[i]->value.dims();
            s[i].resize(d[0], d[1], d[2], d[3]);
            s[i].zero();
        }
        return s;
    }
    // update(begin, end) over the elements of one parameter tensor, split over the threads when it is large.
    template <class Update>
    void for_elements(size_t n, Update update) const {
        if (!pool_ || n < 16384) {
            update(size_t(0), n);
            return;
        }
        parallel_slices(pool_, int(n), [&](int b, int e, int) { update(size_t(b), size_t(e)); });
    }

    std::vector<Param*> params_;
    double lr_;
    int64_t steps_ = 0;
    ThreadPool* pool_ = nullptr;
};

class SGD : public Optimizer {
  public:
    SGD(std::vector<Param*> params, double lr, double momentum = 0.0, bool nesterov = false,
        double weight_decay = 0.0)
        : Optimizer(std::move(params), lr), momentum_(momentum), nesterov_(nesterov), wd_(weight_decay) {
        velocity_ = make_state();
    }
    std::string name() const override { return "sgd"; }
    void step() override {
        ++steps_;
        const float lr = float(lr_), mu = float(momentum_);
        for (size_t i = 0; i < params_.size(); ++i) {
            Param& p = *params_[i];
            const float wd = p.decay ? float(wd_) : 0.0f;
            float* w = p.value.data();
            const float* grad = p.grad.data();
            float* v = velocity_[i].data();
            for_elements(p.value.size(), [&](size_t begin, size_t end) {
                for (size_t j = begin; j < end; ++j) {
                    float g = grad[j] + wd * w[j];
                    if (mu != 0.0f) {
                        // PyTorch starts the velocity at the first gradient.
                        v[j] = steps_ == 1 ? g : mu * v[j] + g;
                        g = nesterov_ ? g + mu * v[j] : v[j];
                    }
                    w[j] -= lr * g;
                }
            });
        }
    }
    std::vector<Tensor*> state() override {
        std::vector<Tensor*> s;
        for (auto& t : velocity_) s.push_back(&t);
        return s;
    }

  private:
    double momentum_;
    bool nesterov_;
    double wd_;
    std::vector<Tensor> velocity_;
};

class Adam : public Optimizer {
  public:
    Adam(std::vector<Param*> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
         double eps = 1e-8, double weight_decay = 0.0, bool decoupled = false)
        : Optimizer(std::move(params), lr),
          b1_(beta1),
          b2_(beta2),
          eps_(eps),
          wd_(weight_decay),
          decoupled_(decoupled) {
        m_ = make_state();
        v_ = make_state();
    }
    std::string name() const override { return decoupled_ ? "adamw" : "adam"; }
    void step() override {
        ++steps_;  // once per step, whatever the number of parameter tensors
        const double c1 = 1.0 - std::pow(b1_, double(steps_)), c2 = 1.0 - std::pow(b2_, double(steps_));
        const float lr_t = float(lr_ / c1), inv_sqrt_c2 = float(1.0 / std::sqrt(c2));
        const float b1 = float(b1_), b2 = float(b2_), eps = float(eps_);
        for (size_t i = 0; i < params_.size(); ++i) {
            Param& p = *params_[i];
            const float wd = p.decay ? float(wd_) : 0.0f;
            float* w = p.value.data();
            const float* grad = p.grad.data();
            float* m = m_[i].data();
            float* v = v_[i].data();
            const float decay_factor = decoupled_ ? 1.0f - float(lr_) * wd : 1.0f;
            const float l2 = decoupled_ ? 0.0f : wd;
            for_elements(p.value.size(), [&](size_t begin, size_t end) {
                for (size_t j = begin; j < end; ++j) {
                    float g = grad[j] + l2 * w[j];
                    m[j] = b1 * m[j] + (1.0f - b1) * g;
                    v[j] = b2 * v[j] + (1.0f - b2) * g * g;
                    w[j] = w[j] * decay_factor - lr_t * m[j] / (std::sqrt(v[j]) * inv_sqrt_c2 + eps);
                }
            });
        }
    }
    std::vector<Tensor*> state() override {
        std::vector<Tensor*> s;
        for (auto& t : m_) s.push_back(&t);
        for (auto& t : v_) s.push_back(&t);
        return s;
    }

  private:
    double b1_, b2_, eps_, wd_;
    bool decoupled_;
    std::vector<Tensor> m_, v_;
};

class AdamW : public Adam {
  public:
    AdamW(std::vector<Param*> params, double lr = 1e-3, double weight_decay = 1e-2, double beta1 = 0.9,
          double beta2 = 0.999, double eps = 1e-8)
        : Adam(std::move(params), lr, beta1, beta2, eps, weight_decay, true) {}
};

}  // namespace cnn
