// The layer registry: every layer type known by its name, as model files store it. A layer's header ends
// with one registration line,
//     CNN_REGISTER_LAYER(Conv2D);
// which needs of the class a `static constexpr char kType[]` (the name in model files), a
// `static std::unique_ptr<Layer> from_hyper(const Hyper&)` (the layer back from its stored hyperparameters)
// and, for a layer with weights, `static double stored_floats(const Hyper&)`. Model files (serialize.hpp)
// build layers through the registry; FrozenNet reads each layer's frozen_form() and initialize() its
// init_params(), so nothing else lists the layer types.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "layer.hpp"

namespace cnn {

struct LayerType {
    std::string name;
    std::unique_ptr<Layer> (*make)(const Hyper&);
    double (*stored_floats)(const Hyper&);
};

class LayerRegistry {
  public:
    static LayerRegistry& instance() {
        static LayerRegistry registry;
        return registry;
    }

    // Registering a name twice with other functions is a programming error; the same registration twice
    // (a header seen by a program in two ways) is harmless.
    bool add(const LayerType& type) {
        if (const LayerType* known = find(type.name)) {
            if (known->make != type.make || known->stored_floats != type.stored_floats)
                throw std::logic_error("layer type '" + type.name + "' registered twice");
            return true;
        }
        types_.push_back(type);
        return true;
    }
    const LayerType* find(const std::string& name) const {
        for (const LayerType& type : types_)
            if (type.name == name) return &type;
        return nullptr;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const LayerType& type : types_) out.push_back(type.name);
        return out;
    }

  private:
    LayerRegistry() = default;
    std::vector<LayerType> types_;
};

template <class L>
bool register_layer() {
    return LayerRegistry::instance().add({L::kType, &L::from_hyper, &L::stored_floats});
}

// Builds a layer from its type name and hyperparameters (as stored in the model file); throws
// std::invalid_argument for a name nobody registered or hyperparameters the layer refuses.
inline std::unique_ptr<Layer> make_layer(const std::string& type, const Hyper& h) {
    const LayerType* known = LayerRegistry::instance().find(type);
    if (!known) throw std::invalid_argument("unknown layer type '" + type + "'");
    return known->make(h);
}

}  // namespace cnn

// At namespace scope, after the class: registers it once per program, before main() runs.
#define CNN_REGISTER_LAYER(L) inline const bool cnn_layer_registered_##L = ::cnn::register_layer<L>()
