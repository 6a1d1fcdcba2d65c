// Checks for anyone's layer, with no test framework: the gradients against central finite differences and
// the backward contract (layer.hpp). Used by libcnn's own tests on every layer; call them on your own:
//
//     cnn::testing::LayerCheck result = cnn::testing::check_layer(my_layer, x);
//     REQUIRE(result.passed);   // result.log says which gradient or which rule failed, and by how much
//
// The gradient check takes L = sum(r * layer(x)) for a fixed random projection r, runs backward with dy = r
// and compares dL/dx and dL/dparam with (L(v + h) - L(v - h)) / 2h at up to `max_elements` coordinates of
// each tensor, spread evenly; the error is |analytic - numeric| / max(|analytic|, |numeric|, floor).
// Kinks (ReLU at 0, max-pool ties) break finite differences: give such layers inputs away from them
// (fill_away_from_zero, distinct values). Layers with randomness need it fixed (Dropout::freeze_mask).
//
// The contract check fills dx with NaN and every parameter gradient with 5, runs backward, and requires dx
// overwritten with the reference values and each gradient equal to 5 + its reference; then that forward
// leaves gradients alone and zero_grad() clears them.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "layer.hpp"

namespace cnn {
namespace testing {

inline void fill_random(Tensor& t, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    for (size_t i = 0; i < t.size(); ++i) t[i] = d(rng);
}

// Values bounded away from 0, so that no ReLU sits on its kink within the finite-difference step.
inline void fill_away_from_zero(Tensor& t, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(0.1f, 1.0f);
    std::bernoulli_distribution sign(0.5);
    for (size_t i = 0; i < t.size(); ++i) t[i] = sign(rng) ? d(rng) : -d(rng);
}

struct GradCheck {
    double max_rel_error = 0;
    int checked = 0;
};

// Compares analytic and numerical gradients of `loss` with respect to every element of `value` (at most
// max_elements, spread evenly); relative error against max(|a|, |n|, floor).
inline GradCheck check_gradient(float* value, const float* analytic, size_t n,
                                const std::function<double()>& loss, float h, double floor = 1e-2,
                                size_t max_elements = 400) {
    GradCheck result;
    size_t stride = std::max<size_t>(1, n / max_elements);
    for (size_t i = 0; i < n; i += stride) {
        const float saved = value[i];
        value[i] = saved + h;
        double up = loss();
        value[i] = saved - h;
        double down = loss();
        value[i] = saved;
        double numeric = (up - down) / (2.0 * h);
        double err = std::abs(numeric - analytic[i]) /
                     std::max({std::abs(numeric), std::abs(double(analytic[i])), floor});
        result.max_rel_error = std::max(result.max_rel_error, err);
        ++result.checked;
    }
    return result;
}

struct LayerCheckOptions {
    bool training = true;     // the mode forward and backward run in
    float step = 1e-2f;       // h of the central differences
    double tolerance = 1e-2;  // the largest relative error accepted, input and parameters alike
    uint64_t seed = 3;        // of the projection r and the contract's gradients
    bool contract = true;     // also check the backward contract
};

struct LayerCheck {
    bool passed = true;
    double input_error = 0;                                    // max relative error of dx
    std::vector<std::pair<std::string, double>> param_errors;  // per parameter, by name
    std::string log;                                           // one line per finding
};

// The backward contract on input x (see the top of this file); appends what breaks it to `log`.
inline bool check_backward_contract(Layer& layer, const Tensor& x, bool training, uint64_t seed,
                                    std::string& log) {
    std::mt19937 rng{unsigned(seed)};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    Context ctx{nullptr, training, 1};
    Tensor y, dy, dx;
    layer.forward(x, y, ctx);
    dy.resize(y.n(), y.c(), y.h(), y.w());
    fill_random(dy, rng);
    auto params = layer.params();
    for (Param* p : params) fill_random(p->grad, rng);  // anything; zero_grad must clear it
    layer.zero_grad();
    layer.backward(x, y, dy, dx, ctx);
    std::vector<Tensor> reference(params.size());
    for (size_t k = 0; k < params.size(); ++k) reference[k].copy_from(params[k]->grad);
    Tensor dx_reference;
    dx_reference.copy_from(dx);

    bool ok = true;
    auto fail = [&](const std::string& what) {
        log += layer.type() + ": " + what + "\n";
        ok = false;
    };
    dx.fill(nan);
    for (Param* p : params) p->grad.fill(5.0f);
    layer.backward(x, y, dy, dx, ctx);
    if (dx.dims() != dx_reference.dims()) fail("backward gave dx another shape the second time");
    for (size_t i = 0; ok && i < dx.size(); ++i)
        if (!(dx[i] == dx_reference[i])) fail("backward does not overwrite dx (=)");
    for (size_t k = 0; k < params.size(); ++k)
        for (size_t i = 0; i < params[k]->grad.size(); ++i) {
            const double expected = 5.0 + reference[k][i];
            if (!(std::abs(params[k]->grad[i] - expected) <= 1e-5 + 2e-5 * std::abs(expected))) {
                fail("backward does not add into " + params[k]->name + ".grad (+=)");
                break;
            }
        }
    layer.forward(x, y, ctx);
    for (Param* p : params)
        if (p->grad.size() > 0 && p->grad[0] == 0.0f) fail("forward cleared " + p->name + ".grad");
    layer.zero_grad();
    for (Param* p : params)
        for (size_t i = 0; i < p->grad.size(); ++i)
            if (p->grad[i] != 0.0f) {
                fail("zero_grad leaves " + p->name + ".grad non-zero");
                break;
            }
    return ok;
}

// The gradient check of one layer on input x: the input gradient and every parameter gradient, then (by
// default) the backward contract.
inline LayerCheck check_layer(Layer& layer, Tensor x, const LayerCheckOptions& options = {}) {
    LayerCheck result;
    std::mt19937 rng{unsigned(options.seed)};
    Context ctx{nullptr, options.training, 1};
    Tensor y;
    layer.forward(x, y, ctx);
    Tensor projection(y.n(), y.c(), y.h(), y.w());
    fill_random(projection, rng);
    auto loss = [&] {
        Tensor out;
        layer.forward(x, out, ctx);
        double s = 0;
        for (size_t i = 0; i < out.size(); ++i) s += double(projection[i]) * out[i];
        return s;
    };
    layer.zero_grad();
    Tensor dx;
    layer.backward(x, y, projection, dx, ctx);
    auto report = [&](const std::string& what, double error) {
        std::ostringstream line;
        line << layer.type() << " " << what << " gradient: max relative error " << error;
        if (!(error < options.tolerance)) {
            line << " (over " << options.tolerance << ")";
            result.passed = false;
        }
        result.log += line.str() + "\n";
    };
    result.input_error = check_gradient(x.data(), dx.data(), x.size(), loss, options.step).max_rel_error;
    report("input", result.input_error);
    for (Param* p : layer.params()) {
        Tensor analytic;
        analytic.copy_from(p->grad);
        double error = check_gradient(p->value.data(), analytic.data(), p->value.size(), loss, options.step)
                           .max_rel_error;
        result.param_errors.emplace_back(p->name, error);
        report(p->name, error);
    }
    if (options.contract && !check_backward_contract(layer, x, options.training, options.seed, result.log))
        result.passed = false;
    return result;
}

}  // namespace testing
}  // namespace cnn
