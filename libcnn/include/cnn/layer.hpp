// The Layer interface every layer implements, and the parameters layers own.
//
// The backward contract (tested with sentinel values in tests/libcnn):
//   forward(x, y)            writes y (resizing it) from x.
//   backward(x, y, dy, dx)   writes dx (=, resizing it) and ADDS into every parameter's grad (+=);
//                            x and y are the tensors of the matching forward call.
//   zero_grad()              is separate: the caller clears gradients once per step.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "parallel.hpp"
#include "tensor.hpp"

namespace cnn {

// A trainable tensor, its gradient, and whether weight decay applies to it (weights yes; biases and
// BatchNorm's affine parameters no).
struct Param {
    std::string name;
    Tensor value;
    Tensor grad;
    bool decay = true;

    void init(const std::string& param_name, int n, int c, int h, int w, bool apply_decay) {
        name = param_name;
        value.resize(n, c, h, w);
        value.zero();
        grad.resize(n, c, h, w);
        grad.zero();
        decay = apply_decay;
    }
};

// Named numeric hyperparameters, as stored in the model file.
using Hyper = std::vector<std::pair<std::string, double>>;

inline double hyper_get(const Hyper& h, const std::string& key) {
    for (const auto& kv : h)
        if (kv.first == key) return kv.second;
    throw std::invalid_argument("missing hyperparameter '" + key + "'");
}
inline double hyper_get(const Hyper& h, const std::string& key, double fallback) {
    for (const auto& kv : h)
        if (kv.first == key) return kv.second;
    return fallback;
}

struct Context {
    ThreadPool* pool = nullptr;  // nullptr: run on the calling thread
    bool training = false;
    uint64_t step = 0;  // training step, used to draw fresh dropout masks each step
};

class Layer {
  public:
    virtual ~Layer() = default;
    virtual std::string type() const = 0;
    virtual Shape output_shape(const Shape& in) const = 0;
    virtual void forward(const Tensor& x, Tensor& y, const Context& ctx) = 0;
    virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx,
                          const Context& ctx) = 0;

    virtual std::vector<Param*> params() { return {}; }
    // Saved with the model but not trained (BatchNorm's running statistics).
    virtual std::vector<std::pair<std::string, Tensor*>> buffers() { return {}; }
    virtual Hyper hyper() const { return {}; }

    void zero_grad() {
        for (Param* p : params()) p->grad.zero();
    }

    // In-place execution (Sequential uses it to keep fewer activations in memory):
    // - elementwise: forward and backward may be given the same tensor as input and output (x and y, dy and
    //   dx), and backward needs only its output y, which then doubles as x;
    // - reads_output: backward looks at its own output y. Layers that do not may have their output
    //   overwritten by an elementwise layer after them.
    virtual bool elementwise() const { return false; }
    virtual bool reads_output() const { return true; }

    // A network's first layer need not compute dx (nobody reads it); layers that can skip it do.
    void set_input_grad(bool needed) { input_grad_ = needed; }
    bool input_grad() const { return input_grad_; }

  protected:
    bool input_grad_ = true;
};

inline void check_input(const Tensor& x, const Shape& expected, const std::string& layer) {
    check(x.sample_shape() == expected,
          layer + ": input shape " + x.sample_shape().str() + " does not match " + expected.str());
}

}  // namespace cnn
