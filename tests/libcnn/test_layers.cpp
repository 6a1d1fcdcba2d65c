// Layer correctness: finite-difference gradient checks, the backward contract, Conv2D against a naive loop.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

using namespace cnn;

namespace {

void fill_random(Tensor& t, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> d(lo, hi);
    for (size_t i = 0; i < t.size(); ++i) t[i] = d(rng);
}

// Values bounded away from 0, so that no ReLU sits on its kink within the finite-difference step.
void fill_away_from_zero(Tensor& t, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(0.1f, 1.0f);
    std::bernoulli_distribution sign(0.5);
    for (size_t i = 0; i < t.size(); ++i) t[i] = sign(rng) ? d(rng) : -d(rng);
}

// L = sum(r * layer(x)) for a fixed random projection r; the gradient check compares dL/dv computed by
// backward with central differences of L.
struct Projection {
    Tensor r;
    double loss(const Tensor& y) const {
        double s = 0;
        for (size_t i = 0; i < y.size(); ++i) s += double(r[i]) * y[i];
        return s;
    }
};

struct GradCheck {
    double max_rel_error = 0;
    int checked = 0;
};

// Compares analytic and numerical gradients of `loss` with respect to every element of `value` (at most
// max_elements, spread evenly); relative error against max(|a|, |n|, floor).
GradCheck check_gradient(float* value, const float* analytic, size_t n, const std::function<double()>& loss,
                         float h, double floor = 1e-2, size_t max_elements = 400) {
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

// Gradient check of one layer: the input gradient and every parameter gradient.
void check_layer(Layer& layer, Tensor x, bool training, float h, double tolerance, uint64_t seed = 3) {
    std::mt19937 rng(seed);
    Context ctx{nullptr, training, 1};
    Tensor y;
    layer.forward(x, y, ctx);
    Projection proj;
    proj.r.resize(y.n(), y.c(), y.h(), y.w());
    fill_random(proj.r, rng);
    layer.zero_grad();
    Tensor dx;
    layer.backward(x, y, proj.r, dx, ctx);
    auto loss = [&] {
        Tensor out;
        layer.forward(x, out, ctx);
        return proj.loss(out);
    };
    GradCheck gx = check_gradient(x.data(), dx.data(), x.size(), loss, h);
    INFO(layer.type() << " input gradient: max relative error " << gx.max_rel_error);
    CHECK(gx.max_rel_error < tolerance);
    for (Param* p : layer.params()) {
        Tensor analytic;
        analytic.copy_from(p->grad);
        GradCheck gp = check_gradient(p->value.data(), analytic.data(), p->value.size(), loss, h);
        INFO(layer.type() << " " << p->name << " gradient: max relative error " << gp.max_rel_error);
        CHECK(gp.max_rel_error < tolerance);
    }
}

}  // namespace

TEST_CASE("Conv2D gradients match finite differences", "[gradient]") {
    std::mt19937 rng(1);
    struct Case {
        int n, c, h, w, o, k, s, p;
    };
    // The last three take the Winograd path (3×3, stride 1, padding 1, 8+ channels) for the output, the
    // input gradient, or both.
    for (Case cs : {Case{2, 3, 6, 5, 4, 3, 1, 1}, Case{1, 2, 7, 7, 3, 3, 2, 1}, Case{3, 1, 5, 6, 2, 1, 1, 0},
                    Case{1, 2, 8, 6, 2, 5, 2, 2}, Case{2, 9, 6, 5, 10, 3, 1, 1},
                    Case{1, 16, 5, 7, 3, 3, 1, 1}, Case{2, 3, 7, 4, 17, 3, 1, 1}}) {
        INFO("case n=" << cs.n << " c=" << cs.c << " " << cs.h << "x" << cs.w << " o=" << cs.o
                       << " k=" << cs.k);
        Conv2D conv(cs.c, cs.o, cs.k, cs.s, cs.p);
        {
            fill_random(conv.weight().value, rng, -0.5f, 0.5f);
            fill_random(conv.bias().value, rng);
        }
        Tensor x(cs.n, cs.c, cs.h, cs.w);
        fill_random(x, rng);
        check_layer(conv, x, true, 1e-2f, 1e-2);
    }
}

TEST_CASE("Dense gradients match finite differences", "[gradient]") {
    std::mt19937 rng(2);
    Dense dense(12, 5);
    fill_random(dense.weight().value, rng);
    fill_random(dense.bias().value, rng);
    Tensor x(4, 3, 2, 2);  // a (N, C, H, W) input, as after a convolution without flatten
    fill_random(x, rng);
    check_layer(dense, x, true, 1e-2f, 1e-2);
}

TEST_CASE("BatchNorm gradients match finite differences in training mode", "[gradient]") {
    std::mt19937 rng(3);
    SECTION("after a convolution (N, C, H, W)") {
        BatchNorm bn(3);
        fill_random(bn.gamma().value, rng, 0.5f, 1.5f);
        fill_random(bn.beta().value, rng);
        Tensor x(4, 3, 3, 3);
        fill_random(x, rng, -2.0f, 3.0f);
        check_layer(bn, x, true, 1e-2f, 2e-2);
    }
    SECTION("after a dense layer (N, C, 1, 1)") {
        BatchNorm bn(5);
        fill_random(bn.gamma().value, rng, 0.5f, 1.5f);
        fill_random(bn.beta().value, rng);
        Tensor x(6, 5, 1, 1);
        fill_random(x, rng, -2.0f, 3.0f);
        check_layer(bn, x, true, 1e-2f, 2e-2);
    }
    SECTION("eval mode (running statistics)") {
        BatchNorm bn(3);
        fill_random(bn.gamma().value, rng, 0.5f, 1.5f);
        fill_random(bn.running_mean(), rng);
        fill_random(bn.running_var(), rng, 0.5f, 2.0f);
        Tensor x(2, 3, 2, 2);
        fill_random(x, rng);
        check_layer(bn, x, false, 1e-2f, 1e-2);
    }
}

TEST_CASE("ReLU, GlobalAvgPool and Flatten gradients match finite differences", "[gradient]") {
    std::mt19937 rng(4);
    Tensor x(2, 3, 4, 5);
    fill_away_from_zero(x, rng);
    ReLU relu;
    check_layer(relu, x, true, 1e-2f, 1e-3);
    GlobalAvgPool gap;
    check_layer(gap, x, true, 1e-2f, 1e-3);
    Flatten flatten;
    check_layer(flatten, x, true, 1e-2f, 1e-3);
}

TEST_CASE("MaxPool2D gradients match finite differences (no ties)", "[gradient]") {
    std::mt19937 rng(5);
    for (auto [k, s, h, w] : {std::array<int, 4>{2, 2, 6, 6}, {2, 2, 7, 5}, {3, 2, 7, 7}, {3, 1, 5, 5}}) {
        MaxPool2D pool(k, s);
        // Distinct values at least 0.1 apart, shuffled: no window has a tie within the step.
        Tensor x(2, 2, h, w);
        std::vector<float> values(x.size());
        for (size_t i = 0; i < values.size(); ++i) values[i] = 0.1f * float(i) - 3.0f;
        std::shuffle(values.begin(), values.end(), rng);
        std::copy(values.begin(), values.end(), x.data());
        check_layer(pool, x, true, 1e-2f, 1e-3);
    }
}

TEST_CASE("Dropout gradient with a fixed mask, scaling by 1/(1-p), identity in eval", "[gradient]") {
    std::mt19937 rng(6);
    Dropout drop(0.3, 42);
    Tensor x(8, 50, 1, 1);
    fill_random(x, rng);
    Context train{nullptr, true, 1};
    Tensor y;
    drop.forward(x, y, train);
    size_t kept = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        bool zero = y[i] == 0.0f;
        if (!zero) {
            ++kept;
            CHECK(y[i] == Approx(x[i] / 0.7f));
        }
    }
    CHECK(double(kept) / x.size() == Approx(0.7).margin(0.06));
    drop.freeze_mask(true);
    check_layer(drop, x, true, 1e-2f, 1e-3);
    Tensor e;
    drop.forward(x, e, Context{nullptr, false, 1});
    for (size_t i = 0; i < x.size(); ++i) CHECK(e[i] == x[i]);
    // A new step draws a new mask; the same step and seed draw the same one.
    Dropout a(0.5, 9), b(0.5, 9);
    Tensor ya, yb, yc;
    a.forward(x, ya, Context{nullptr, true, 5});
    b.forward(x, yb, Context{nullptr, true, 5});
    b.forward(x, yc, Context{nullptr, true, 6});
    CHECK(std::equal(ya.data(), ya.data() + ya.size(), yb.data()));
    CHECK_FALSE(std::equal(ya.data(), ya.data() + ya.size(), yc.data()));
}

TEST_CASE("Softmax cross-entropy gradient matches finite differences, with and without smoothing",
          "[gradient]") {
    std::mt19937 rng(7);
    Tensor z(4, 10, 1, 1);
    fill_random(z, rng, -3.0f, 3.0f);
    std::vector<int> labels = {3, 0, 9, 3};
    for (float smoothing : {0.0f, 0.1f}) {
        Tensor dz;
        softmax_cross_entropy(z, labels.data(), &dz, smoothing);
        auto loss = [&] { return softmax_cross_entropy(z, labels.data(), nullptr, smoothing).loss; };
        CHECK(check_gradient(z.data(), dz.data(), z.size(), loss, 1e-2f).max_rel_error < 1e-2);
    }
    // Stable for huge logits.
    Tensor big(1, 3, 1, 1);
    big[0] = 1000.0f;
    big[1] = -1000.0f;
    big[2] = 0.0f;
    int label = 1;
    auto r = softmax_cross_entropy(big, &label, nullptr);
    CHECK(std::isfinite(r.loss));
    CHECK(r.loss == Approx(2000.0).epsilon(1e-4));
}

TEST_CASE("A whole DigitNet-shaped network passes the gradient check", "[gradient]") {
    std::mt19937 rng(8);
    Sequential net({1, 12, 12});
    net.add<Conv2D>(1, 4, 3, 1, 1);
    net.add<BatchNorm>(4);
    net.add<ReLU>();
    net.add<MaxPool2D>(2, 2);
    net.add<Conv2D>(4, 6, 3, 1, 1);
    net.add<BatchNorm>(6);
    net.add<ReLU>();
    net.add<MaxPool2D>(2, 2);
    net.add<Flatten>();
    net.add<Dense>(6 * 3 * 3, 8);
    net.add<ReLU>();
    auto& drop = net.add<Dropout>(0.25, 5);
    net.add<Dense>(8, 10);
    initialize(net, 11);
    net.set_input_gradient(true);
    Tensor x(3, 1, 12, 12);
    fill_random(x, rng);
    std::vector<int> labels = {1, 7, 4};
    net.zero_grad();
    Tensor dlogits;
    softmax_cross_entropy(net.forward(x, true), labels.data(), &dlogits);
    Tensor dx;
    dx.copy_from(net.backward(dlogits));
    drop.freeze_mask(true);
    const uint64_t step = net.step();
    auto loss = [&] {
        net.set_step(step - 1);  // forward(training) advances the step; keep the same one
        return softmax_cross_entropy(net.forward(x, true), labels.data(), nullptr).loss;
    };
    // ReLU kinks and max-pool switches make a few coordinates jump under a finite step: judge by the
    // fraction of coordinates that agree, and require almost all of them. (A convolution bias right before
    // BatchNorm has a true gradient of 0; the absolute floor of 1e-2 accepts it.)
    auto agreement = [&](float* v, const float* analytic, size_t n) {
        int good = 0, total = 0;
        for (size_t i = 0; i < n; i += std::max<size_t>(1, n / 60)) {
            GradCheck g = check_gradient(v + i, analytic + i, 1, loss, 2e-3f, 1e-2);
            good += g.max_rel_error < 5e-2;
            ++total;
        }
        return double(good) / total;
    };
    CHECK(agreement(x.data(), dx.data(), x.size()) > 0.95);
    for (Param* p : net.params()) {
        Tensor analytic;
        analytic.copy_from(p->grad);
        INFO("parameter " << p->name << " " << p->value.shape_str());
        CHECK(agreement(p->value.data(), analytic.data(), p->value.size()) > 0.9);
    }
}

TEST_CASE("Backward writes the input gradient and adds into parameter gradients, zero_grad is separate",
          "[contract]") {
    std::mt19937 rng(9);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<std::unique_ptr<Layer>> layers;
    layers.push_back(std::make_unique<Conv2D>(2, 3, 3, 1, 1));
    layers.push_back(std::make_unique<Dense>(2 * 5 * 5, 4));
    layers.push_back(std::make_unique<BatchNorm>(2));
    layers.push_back(std::make_unique<ReLU>());
    layers.push_back(std::make_unique<MaxPool2D>(2, 2));
    layers.push_back(std::make_unique<GlobalAvgPool>());
    layers.push_back(std::make_unique<Flatten>());
    layers.push_back(std::make_unique<Dropout>(0.5));
    for (auto& layer : layers) {
        INFO("layer " << layer->type());
        for (Param* p : layer->params()) fill_random(p->value, rng);
        Tensor x(2, 2, 5, 5);
        fill_random(x, rng);
        Context ctx{nullptr, true, 1};
        Tensor y, dy, dx;
        layer->forward(x, y, ctx);
        dy.resize(y.n(), y.c(), y.h(), y.w());
        fill_random(dy, rng);

        // Reference gradients from zeroed accumulators.
        layer->zero_grad();
        layer->backward(x, y, dy, dx, ctx);
        std::vector<Tensor> reference;
        for (Param* p : layer->params()) {
            reference.emplace_back();
            reference.back().copy_from(p->grad);
        }
        Tensor dx_reference;
        dx_reference.copy_from(dx);

        // Sentinels: dx full of NaN must be overwritten; parameter grads preset to 5 must become 5 + grad.
        dx.fill(nan);
        for (Param* p : layer->params()) p->grad.fill(5.0f);
        layer->backward(x, y, dy, dx, ctx);
        for (size_t i = 0; i < dx.size(); ++i) REQUIRE(dx[i] == dx_reference[i]);
        auto params = layer->params();
        for (size_t k = 0; k < params.size(); ++k)
            for (size_t i = 0; i < params[k]->grad.size(); ++i)
                REQUIRE(params[k]->grad[i] == Approx(5.0f + reference[k][i]).margin(1e-5));

        // forward leaves gradients alone; zero_grad clears them.
        layer->forward(x, y, ctx);
        for (Param* p : layer->params()) CHECK(p->grad[0] != 0.0f);
        layer->zero_grad();
        for (Param* p : layer->params())
            for (size_t i = 0; i < p->grad.size(); ++i) REQUIRE(p->grad[i] == 0.0f);
    }
}

namespace {

// The definition, written as plainly as possible.
void naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, int s, int p, Tensor& y) {
    const int O = w.n(), C = w.c(), k = w.h();
    const int ho = (x.h() + 2 * p - k) / s + 1, wo = (x.w() + 2 * p - k) / s + 1;
    y.resize(x.n(), O, ho, wo);
    for (int n = 0; n < x.n(); ++n)
        for (int o = 0; o < O; ++o)
            for (int i = 0; i < ho; ++i)
                for (int j = 0; j < wo; ++j) {
                    double acc = b[o];
                    for (int c = 0; c < C; ++c)
                        for (int u = 0; u < k; ++u)
                            for (int v = 0; v < k; ++v) {
                                int iy = i * s - p + u, ix = j * s - p + v;
                                if (iy >= 0 && iy < x.h() && ix >= 0 && ix < x.w())
                                    acc += double(w.at(o, c, u, v)) * x.at(n, c, iy, ix);
                            }
                    y.at(n, o, i, j) = float(acc);
                }
}

}  // namespace

TEST_CASE("Conv2D matches a naive loop: padding, stride, odd sizes, batch 1", "[conv]") {
    std::mt19937 rng(10);
    struct Case {
        int n, c, h, w, o, k, s, p;
    };
    for (Case cs :
         {Case{1, 1, 28, 28, 32, 3, 1, 1}, Case{2, 3, 7, 5, 4, 3, 2, 1}, Case{1, 4, 9, 11, 5, 5, 1, 2},
          Case{3, 2, 6, 6, 3, 1, 1, 0}, Case{1, 3, 10, 7, 2, 3, 3, 0}, Case{2, 5, 5, 5, 6, 2, 2, 1},
          Case{40, 2, 7, 7, 3, 3, 1, 1}, Case{2, 16, 9, 7, 20, 3, 1, 1}, Case{5, 8, 14, 14, 12, 3, 1, 1},
          Case{9, 33, 3, 5, 8, 3, 1, 1}}) {
        INFO("case n=" << cs.n << " c=" << cs.c << " " << cs.h << "x" << cs.w << " o=" << cs.o
                       << " k=" << cs.k << " s=" << cs.s << " p=" << cs.p);
        Conv2D conv(cs.c, cs.o, cs.k, cs.s, cs.p);
        fill_random(conv.weight().value, rng);
        fill_random(conv.bias().value, rng);
        Tensor x(cs.n, cs.c, cs.h, cs.w), y, reference;
        fill_random(x, rng);
        for (int threads : {1, 2}) {
            ThreadPool pool(threads);
            conv.forward(x, y, Context{&pool, false, 0});
            naive_conv(x, conv.weight().value, conv.bias().value, cs.s, cs.p, reference);
            REQUIRE(y.dims() == reference.dims());
            for (size_t i = 0; i < y.size(); ++i) REQUIRE(y[i] == Approx(reference[i]).margin(1e-4));
        }
    }
}
