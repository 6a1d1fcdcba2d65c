// Sequential: a network as a list of layers, run in order. It owns the activations and their gradients
// (allocated once, reused every step), the thread pool the layers split batches over, and free-form metadata
// saved with the model (dataset, accuracy, recipe, ...).
#pragma once

#include <map>
#include <memory>
#include <sstream>

#include "layer.hpp"

namespace cnn {

class Sequential {
  public:
    explicit Sequential(Shape input = {1, 28, 28}) : input_(input) {}
    Sequential(Sequential&&) = default;
    Sequential& operator=(Sequential&&) = default;

    template <class L, class... Args>
    L& add(Args&&... args) {
        auto layer = std::make_unique<L>(std::forward<Args>(args)...);
        L& ref = *layer;
        add(std::move(layer));
        return ref;
    }
    void add(std::unique_ptr<Layer> layer) {
        layer->output_shape(output_shape());  // throws if the layer does not fit the current output
        layers_.push_back(std::move(layer));
        acts_.resize(layers_.size());
        grads_.resize(layers_.size());
    }

    Shape input_shape() const { return input_; }
    // A network of convolutions, pooling and column-wise layers reads inputs of any width (a line of text):
    // forward then checks channels and height only; input_shape()'s width is the one the layers were
    // checked with when they were added. Saved with the model.
    void set_variable_width(bool variable) { variable_width_ = variable; }
    bool variable_width() const { return variable_width_; }
    Shape output_shape() const {
        Shape s = input_;
        for (const auto& l : layers_) s = l->output_shape(s);
        return s;
    }
    size_t size() const { return layers_.size(); }
    Layer& layer(size_t i) { return *layers_.at(i); }
    const Layer& layer(size_t i) const { return *layers_.at(i); }

    void set_threads(int threads) {
        if (!pool_ || pool_->size() != threads) pool_ = std::make_unique<ThreadPool>(threads);
    }
    int threads() const { return pool_ ? pool_->size() : 1; }
    ThreadPool* pool() const { return pool_.get(); }

    // Runs the layers on x (N, input shape); returns the output activations. In training mode the activations
    // are kept for backward and each call is a new step (a fresh dropout mask).
    const Tensor& forward(const Tensor& x, bool training) {
        if (variable_width_)
            check(x.c() == input_.c && x.h() == input_.h && x.w() >= 1,
                  "Sequential: input shape " + x.sample_shape().str() + " does not match " +
                      std::to_string(input_.c) + "x" + std::to_string(input_.h) + "x(any width)");
        else
            check_input(x, input_, "Sequential");
        check(!layers_.empty(), "Sequential: no layers");
        if (training) ++step_;
        Context ctx{pool_.get(), training, step_};
        input_ptr_ = &x;
        out_.assign(layers_.size(), nullptr);
        const Tensor* in = &x;
        for (size_t i = 0; i < layers_.size(); ++i) {
            // An elementwise layer (ReLU) overwrites its input when that is the output of a layer whose
            // backward does not read it: one activation less to write, keep and read back.
            if (in_place(i)) {
                Tensor& shared = *out_[i - 1];
                layers_[i]->forward(shared, shared, ctx);
                out_[i] = &shared;
            } else {
                layers_[i]->forward(*in, acts_[i], ctx);
                out_[i] = &acts_[i];
            }
            in = out_[i];
        }
        return *out_.back();
    }

    // Whether backward computes dL/dinput (off by default for training: nothing reads it, and the first
    // convolution's input gradient is a large product).
    void set_input_gradient(bool needed) { input_gradient_ = needed; }

    // Backpropagates dL/doutput through the layers of the last forward call; returns dL/dinput (only when
    // set_input_gradient(true)). Parameter gradients are accumulated (+=): call zero_grad() before each step.
    const Tensor& backward(const Tensor& doutput, bool training = true) {
        check(input_ptr_ != nullptr && out_.size() == layers_.size(), "Sequential: backward before forward");
        check(doutput.size() == out_.back()->size(),
              "Sequential: output gradient shape " + doutput.shape_str());
        Context ctx{pool_.get(), training, step_};
        const Tensor* dy = &doutput;
        Tensor* dy_owned = nullptr;  // dy when it is ours to overwrite (not the caller's doutput)
        layers_[0]->set_input_grad(input_gradient_);
        for (size_t i = layers_.size(); i-- > 0;) {
            const Tensor& x = i == 0 ? *input_ptr_ : *out_[i - 1];
            Tensor* dx = &grads_[i];
            if (dy_owned && out_[i] != &acts_[i]) dx = dy_owned;  // an in-place layer: dx replaces dy
            layers_[i]->backward(x, *out_[i], *dy, *dx, ctx);
            dy = dy_owned = dx;
        }
        return *dy;
    }

    std::vector<Param*> params() {
        std::vector<Param*> all;
        for (auto& l : layers_)
            for (Param* p : l->params()) all.push_back(p);
        return all;
    }
    void zero_grad() {
        for (auto& l : layers_) l->zero_grad();
    }
    size_t parameter_count() const {
        size_t n = 0;
        for (auto& l : layers_)
            for (Param* p : l->params()) n += p->value.size();
        return n;
    }
    uint64_t step() const { return step_; }
    void set_step(uint64_t step) { step_ = step; }

    std::string summary() const {
        std::ostringstream out;
        Shape s = input_;
        out << "input " << s.str() << "\n";
        for (const auto& l : layers_) {
            s = l->output_shape(s);
            out << "  " << l->type();
            for (const auto& [k, v] : l->hyper()) out << " " << k << "=" << v;
            out << " -> " << s.str() << "\n";
        }
        out << parameter_count() << " parameters";
        return out.str();
    }

    std::map<std::string, std::string> metadata;

  private:
    bool in_place(size_t i) const {
        return i > 0 && layers_[i]->elementwise() && !layers_[i - 1]->reads_output();
    }

    Shape input_;
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<Tensor> acts_, grads_;
    std::vector<Tensor*> out_;  // each layer's output: its own acts_ entry, or its input's when in place
    const Tensor* input_ptr_ = nullptr;
    std::unique_ptr<ThreadPool> pool_;
    uint64_t step_ = 0;
    bool input_gradient_ = false;
    bool variable_width_ = false;
};

}  // namespace cnn
