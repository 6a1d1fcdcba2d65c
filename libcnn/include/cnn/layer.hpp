// The Layer interface every layer implements, and the parameters layers own.
// A layer type is made known to model files by one registration line at the end of its header
// (CNN_REGISTER_LAYER, registry.hpp).
//
// The backward contract (tested with sentinel values in tests/libcnn):
//   forward(x, y)            writes y (resizing it) from x.
//   backward(x, y, dy, dx)   writes dx (=, resizing it) and ADDS into every parameter's grad (+=);
//                            x and y are the tensors of the matching forward call.
//   zero_grad()              is separate: the caller clears gradients once per step.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
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
// A hyperparameter that must be a whole number (a size or a count), read from a file that is not trusted.
inline int hyper_int(const Hyper& h, const std::string& key) {
    double v = hyper_get(h, key);
    check(v >= 0 && v <= 1e6 && v == double(int(v)), "hyperparameter '" + key + "' out of range");
    return int(v);
}

// Weight initialisation, deterministic for a generator: He (Kaiming) normal for layers followed by ReLU,
// Glorot (Xavier) uniform otherwise.
//   He:     W ~ N(0, 2 / fan_in)            Glorot: W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))
enum class Init { He, Glorot };

inline void init_weights(Param& weight, int fan_in, int fan_out, Init kind, std::mt19937_64& rng) {
    if (kind == Init::He) {
        std::normal_distribution<float> dist(0.0f, std::sqrt(2.0f / fan_in));
        for (size_t i = 0; i < weight.value.size(); ++i) weight.value[i] = dist(rng);
    } else {
        float a = std::sqrt(6.0f / float(fan_in + fan_out));
        std::uniform_real_distribution<float> dist(-a, a);
        for (size_t i = 0; i < weight.value.size(); ++i) weight.value[i] = dist(rng);
    }
}

// What a layer becomes in a FrozenNet (frozen.hpp), told in plain values so that a layer's header need not
// know the inference kernels. FrozenNet copies what the pointers show while it compiles.
struct FrozenForm {
    enum class Kind {
        unsupported,      // FrozenNet refuses a network holding this layer
        conv,             // weight (O, C, k, k), bias (O); kernel, stride, padding
        dense,            // weight (O, I), bias (O)
        channel_affine,   // y[c] = scale[c] * x[c] + shift[c], folded into a convolution or dense before it
        relu,             // y = max(x, 0), fused into the layer before it
        max_pool,         // kernel, stride
        global_avg_pool,  // the mean of each channel's plane
        reshape,          // the same values in the layer's output shape (flatten; dropout in eval mode)
    };
    FrozenForm(Kind form_kind = Kind::unsupported) : kind(form_kind) {}
    Kind kind;
    const Tensor* weight = nullptr;
    const Tensor* bias = nullptr;
    std::vector<float> scale, shift;
    int kernel = 0, stride = 1, padding = 0;
};

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

    // Sets the trainable weights from `rng` (called by initialize(), in layer order); biases start at zero.
    virtual void init_params(std::mt19937_64& /*rng*/, Init /*kind*/) {}
    virtual FrozenForm frozen_form() const { return {}; }

    // What a model file holds for a layer of these hyperparameters (weights and buffers, in floats), checked
    // before anything is allocated from an untrusted file. Layers with weights hide this with their own.
    static double stored_floats(const Hyper&) { return 0; }

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
