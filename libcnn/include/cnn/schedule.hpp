// Learning-rate schedules, as functions of the optimizer step (0-based) so they resume exactly from a
// checkpoint. Epoch-based schedules take steps_per_epoch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace cnn {

class LrSchedule {
  public:
    virtual ~LrSchedule() = default;
    virtual double lr(int64_t step) const = 0;
};

class ConstantLr : public LrSchedule {
  public:
    explicit ConstantLr(double lr) : lr_(lr) {}
    double lr(int64_t) const override { return lr_; }

  private:
    double lr_;
};

// lr = base * gamma^floor(step / step_size)   (PyTorch StepLR with step_size in steps)
class StepLr : public LrSchedule {
  public:
    StepLr(double base, int64_t step_size, double gamma)
        : base_(base), size_(std::max<int64_t>(1, step_size)), gamma_(gamma) {}
    double lr(int64_t step) const override { return base_ * std::pow(gamma_, double(step / size_)); }

  private:
    double base_;
    int64_t size_;
    double gamma_;
};

// lr = base * gamma^(step / steps_per_epoch)   (exponential decay, continuous within an epoch)
class ExponentialLr : public LrSchedule {
  public:
    ExponentialLr(double base, double gamma_per_epoch, int64_t steps_per_epoch)
        : base_(base), gamma_(gamma_per_epoch), per_epoch_(std::max<int64_t>(1, steps_per_epoch)) {}
    double lr(int64_t step) const override {
        return base_ * std::pow(gamma_, double(step) / double(per_epoch_));
    }

  private:
    double base_, gamma_;
    int64_t per_epoch_;
};

// Linear warm-up for `warmup` steps, then cosine decay from base to min_lr at total_steps.
class CosineLr : public LrSchedule {
  public:
    CosineLr(double base, int64_t total_steps, double min_lr = 0.0, int64_t warmup = 0)
        : base_(base), total_(std::max<int64_t>(1, total_steps)), min_(min_lr), warmup_(warmup) {}
    double lr(int64_t step) const override {
        if (step < warmup_) return base_ * double(step + 1) / double(warmup_);
        double t = std::min(1.0, double(step - warmup_) / double(std::max<int64_t>(1, total_ - warmup_)));
        return min_ + 0.5 * (base_ - min_) * (1.0 + std::cos(M_PI * t));
    }

  private:
    double base_;
    int64_t total_;
    double min_;
    int64_t warmup_;
};

// One-cycle (PyTorch OneCycleLR, cosine annealing): from max/div up to max over pct_start of the steps, then
// down to max/(div*final_div).
class OneCycleLr : public LrSchedule {
  public:
    OneCycleLr(double max_lr, int64_t total_steps, double pct_start = 0.3, double div = 25.0,
               double final_div = 1e4)
        : max_(max_lr),
          total_(std::max<int64_t>(2, total_steps)),
          pct_(pct_start),
          div_(div),
          final_div_(final_div) {}
    double lr(int64_t step) const override {
        const double initial = max_ / div_, final_lr = initial / final_div_;
        const double up_end = pct_ * double(total_) - 1.0;
        const double s = double(std::min<int64_t>(step, total_ - 1));
        auto anneal = [](double from, double to, double t) {
            return to + (from - to) * 0.5 * (1.0 + std::cos(M_PI * t));
        };
        if (s <= up_end) return anneal(initial, max_, up_end > 0 ? s / up_end : 1.0);
        double down = double(total_ - 1) - up_end;
        return anneal(max_, final_lr, down > 0 ? (s - up_end) / down : 1.0);
    }

  private:
    double max_;
    int64_t total_;
    double pct_, div_, final_div_;
};

}  // namespace cnn
