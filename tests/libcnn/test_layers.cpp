// Layer correctness: finite-difference gradient checks, the backward contract, Conv2D against a naive loop.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

using namespace cnn;

using namespace cnn::testing;

namespace {

// The library's gradient check and backward contract (cnn/testing.hpp), as a test's assertions.
void check_layer(Layer& layer, Tensor x, bool training, float h, double tolerance) {
    LayerCheckOptions options;
    options.training = training;
    options.step = h;
    options.tolerance = tolerance;
    LayerCheck result = cnn::testing::check_layer(layer, std::move(x), options);
    INFO(result.log);
    CHECK(result.passed);
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
    FoldHeight fold;
    check_layer(fold, x, true, 1e-2f, 1e-3);
    CHECK(fold.output_shape({3, 4, 5}) == Shape{12, 1, 5});
}

TEST_CASE("FoldHeight stacks each column's rows into channels", "[layers]") {
    Tensor x(1, 2, 3, 2);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
    FoldHeight fold;
    Tensor y;
    fold.forward(x, y, Context{});
    REQUIRE(y.shape_str() == "(1, 6, 1, 2)");
    for (int c = 0; c < 2; ++c)
        for (int h = 0; h < 3; ++h)
            for (int w = 0; w < 2; ++w) CHECK(y.at(0, c * 3 + h, 0, w) == x.at(0, c, h, w));
}

TEST_CASE("A line reader's network (convolutions, FoldHeight, CTC) trains on lines of any width",
          "[gradient]") {
    std::mt19937 rng(9);
    Sequential net({1, 8, 16});
    net.add<Conv2D>(1, 3, 3, 1, 1);
    net.add<BatchNorm>(3);
    net.add<ReLU>();
    net.add<MaxPool2D>(2, 2);
    net.add<Conv2D>(3, 4, 3, 1, 1);
    net.add<ReLU>();
    net.add<FoldHeight>();
    net.add<Conv2D>(16, 5, 1, 1, 0);
    initialize(net, 12);
    CHECK_THROWS(net.forward(Tensor(1, 1, 8, 20), false));  // a fixed width until told otherwise
    net.set_variable_width(true);
    CHECK_THROWS(net.forward(Tensor(1, 1, 9, 20), false));  // the height stays fixed
    net.set_input_gradient(true);
    for (int width : {12, 22}) {
        INFO("width " << width);
        Tensor x(2, 1, 8, width);
        fill_random(x, rng);
        const Tensor& out = net.forward(x, true);
        REQUIRE(out.shape_str() == "(2, 5, 1, " + std::to_string(width / 2) + ")");
        const std::vector<int> lengths = {width / 2, width / 2 - 2};
        const std::vector<std::vector<int>> targets = {{1, 2, 2}, {4}};
        net.zero_grad();
        Tensor dlogits;
        ctc_loss(out, lengths, targets, &dlogits);
        Tensor dx;
        dx.copy_from(net.backward(dlogits));
        const uint64_t step = net.step();
        auto loss = [&] {
            net.set_step(step - 1);
            return ctc_loss(net.forward(x, true), lengths, targets, nullptr).loss;
        };
        int good = 0, total = 0;
        for (size_t i = 0; i < x.size(); i += 3, ++total)
            good += check_gradient(x.data() + i, dx.data() + i, 1, loss, 2e-3f, 1e-2).max_rel_error < 5e-2;
        CHECK(double(good) / total > 0.95);
        for (Param* p : net.params()) {
            Tensor analytic;
            analytic.copy_from(p->grad);
            int pg = 0, pt = 0;
            for (size_t i = 0; i < p->value.size(); ++i, ++pt)
                pg += check_gradient(p->value.data() + i, analytic.data() + i, 1, loss, 2e-3f, 1e-2)
                          .max_rel_error < 5e-2;
            // ReLU kinks and max-pool switches make a coordinate jump under a finite step now and then: all
            // but a tenth of each tensor's coordinates (all but one of a small one) must agree.
            INFO("parameter " << p->name << ": " << pg << " of " << pt);
            CHECK(pg >= pt - std::max(1, pt / 10));
        }
    }
    // Saved and loaded, it still reads any width, and reads it the same.
    Sequential loaded = deserialize(serialize(net), "line.cnn");
    CHECK(loaded.variable_width());
    Tensor x(1, 1, 8, 30);
    fill_random(x, rng);
    const Tensor& a = net.forward(x, false);
    Tensor a_copy;
    a_copy.copy_from(a);
    const Tensor& b = loaded.forward(x, false);
    REQUIRE(b.size() == a_copy.size());
    for (size_t i = 0; i < b.size(); ++i) CHECK(b[i] == a_copy[i]);
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
        for (Param* p : layer->params()) fill_random(p->value, rng);
        Tensor x(2, 2, 5, 5);
        fill_random(x, rng);
        std::string log;
        INFO("layer " << layer->type());
        CHECK(check_backward_contract(*layer, x, true, 9, log));
        INFO(log);
        CHECK(log.empty());
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

namespace {

// A layer written outside the library, as a user would: y = a * x + b per channel, two parameters. One
// header's worth of code and one registration line make it loadable from model files.
class ChannelScale : public Layer {
  public:
    static constexpr char kType[] = "test_channel_scale";
    explicit ChannelScale(int channels) : channels_(channels) {
        check(channels > 0, "ChannelScale: invalid channels");
        a_.init("a", channels, 1, 1, 1, true);
        a_.value.fill(1.0f);
        b_.init("b", channels, 1, 1, 1, false);
    }
    static std::unique_ptr<Layer> from_hyper(const Hyper& h) {
        return std::make_unique<ChannelScale>(hyper_int(h, "channels"));
    }
    static double stored_floats(const Hyper& h) { return 2 * hyper_get(h, "channels", 0); }
    std::string type() const override { return kType; }
    Hyper hyper() const override { return {{"channels", channels_}}; }
    Shape output_shape(const Shape& in) const override { return in; }
    std::vector<Param*> params() override { return {&a_, &b_}; }
    FrozenForm frozen_form() const override {
        FrozenForm form{FrozenForm::Kind::channel_affine};
        form.scale.assign(a_.value.data(), a_.value.data() + channels_);
        form.shift.assign(b_.value.data(), b_.value.data() + channels_);
        return form;
    }
    void forward(const Tensor& x, Tensor& y, const Context&) override {
        y.resize(x.n(), x.c(), x.h(), x.w());
        const size_t plane = size_t(x.h()) * x.w();
        for (size_t j = 0; j < x.size(); ++j) {
            const size_t c = j / plane % size_t(channels_);
            y[j] = a_.value[c] * x[j] + b_.value[c];
        }
    }
    void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx, const Context&) override {
        dx.resize(x.n(), x.c(), x.h(), x.w());
        const size_t plane = size_t(x.h()) * x.w();
        for (size_t j = 0; j < x.size(); ++j) {
            const size_t c = j / plane % size_t(channels_);
            dx[j] = a_.value[c] * dy[j];
            a_.grad[c] += dy[j] * x[j];
            b_.grad[c] += dy[j];
        }
    }

  private:
    int channels_;
    Param a_, b_;
};
CNN_REGISTER_LAYER(ChannelScale);

}  // namespace

TEST_CASE("The registry knows every built-in layer and builds each from its stored hyperparameters",
          "[registry]") {
    const auto names = LayerRegistry::instance().names();
    for (const char* name : {"conv2d", "batchnorm", "relu", "maxpool2d", "global_avg_pool", "dropout",
                             "dense", "flatten", "fold_height"}) {
        INFO(name);
        CHECK(std::find(names.begin(), names.end(), name) != names.end());
    }
    std::vector<std::unique_ptr<Layer>> layers;
    layers.push_back(std::make_unique<Conv2D>(2, 3, 5, 2, 1));
    layers.push_back(std::make_unique<BatchNorm>(3, 1e-3, 0.2));
    layers.push_back(std::make_unique<MaxPool2D>(3, 1));
    layers.push_back(std::make_unique<Dropout>(0.25));
    layers.push_back(std::make_unique<Dense>(7, 4));
    for (auto& layer : layers) {
        INFO(layer->type());
        auto rebuilt = make_layer(layer->type(), layer->hyper());
        CHECK(rebuilt->type() == layer->type());
        CHECK(rebuilt->hyper() == layer->hyper());
    }
    CHECK_THROWS_AS(make_layer("no_such_layer", {}), std::invalid_argument);
    CHECK_THROWS_AS(make_layer("conv2d", {{"in_channels", 2}}), std::invalid_argument);
    // Registering the same layer again is harmless; another layer under a known name is an error.
    CHECK(register_layer<ReLU>());
    CHECK_THROWS_AS(LayerRegistry::instance().add({"relu", &Flatten::from_hyper, &Flatten::stored_floats}),
                    std::logic_error);
}

TEST_CASE("A layer of one's own: one registration line, checked by cnn::testing, saved, loaded and frozen",
          "[registry]") {
    std::mt19937 rng(12);
    ChannelScale layer(3);
    fill_random(layer.params()[0]->value, rng, 0.5f, 1.5f);
    fill_random(layer.params()[1]->value, rng);
    Tensor x(2, 3, 4, 4);
    fill_random(x, rng);
    LayerCheck check = cnn::testing::check_layer(layer, x);
    INFO(check.log);
    CHECK(check.passed);
    REQUIRE(check.param_errors.size() == 2);

    Sequential net({1, 6, 6});
    net.add<Conv2D>(1, 3, 3, 1, 1);
    net.add<ChannelScale>(3);
    net.add<ReLU>();
    net.add<Flatten>();
    net.add<Dense>(3 * 6 * 6, 2);
    initialize(net, 5);
    fill_random(net.layer(1).params()[0]->value, rng, 0.5f, 1.5f);
    fill_random(net.layer(1).params()[1]->value, rng);
    Sequential loaded = deserialize(serialize(net), "memory");
    REQUIRE(loaded.size() == net.size());
    CHECK(loaded.layer(1).type() == "test_channel_scale");

    Tensor input(4, 1, 6, 6);
    fill_random(input, rng);
    Tensor expected;
    expected.copy_from(net.forward(input, false));
    const Tensor& again = loaded.forward(input, false);
    for (size_t i = 0; i < expected.size(); ++i) REQUIRE(again[i] == expected[i]);
    // Its frozen form folds it into the convolution before it.
    FrozenNet frozen(loaded);
    std::vector<float> out(expected.size());
    FrozenNet::Workspace ws;
    frozen.run(input.data(), input.n(), out.data(), ws);
    for (size_t i = 0; i < expected.size(); ++i) REQUIRE(out[i] == Approx(expected[i]).margin(1e-4));
}

TEST_CASE("A layer without a frozen form is refused by FrozenNet by name", "[registry]") {
    struct Plain : Layer {
        std::string type() const override { return "plain"; }
        Shape output_shape(const Shape& in) const override { return in; }
        void forward(const Tensor& x, Tensor& y, const Context&) override { y.copy_from(x); }
        void backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor& dx, const Context&) override {
            dx.copy_from(dy);
        }
    };
    Sequential net({1, 4, 4});
    net.add<Plain>();
    try {
        FrozenNet frozen(net);
        FAIL("FrozenNet compiled a layer it cannot run");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) == "FrozenNet: unsupported layer plain");
    }
}

TEST_CASE("cnn::testing catches a wrong gradient and a broken backward contract", "[registry]") {
    // y = 2x; Broken's backward can get the gradient wrong, add into dx, or overwrite its parameter's grad.
    struct Broken : Layer {
        enum Fault { none, wrong_gradient, accumulates_dx, overwrites_grad } fault;
        Param w;
        explicit Broken(Fault f) : fault(f) {
            w.init("w", 1, 1, 1, 1, true);
            w.value[0] = 2.0f;
        }
        std::string type() const override { return "broken"; }
        Shape output_shape(const Shape& in) const override { return in; }
        std::vector<Param*> params() override { return {&w}; }
        void forward(const Tensor& x, Tensor& y, const Context&) override {
            y.resize(x.n(), x.c(), x.h(), x.w());
            for (size_t i = 0; i < x.size(); ++i) y[i] = w.value[0] * x[i];
        }
        void backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx, const Context&) override {
            if (fault != accumulates_dx || dx.size() != x.size()) {
                dx.resize(x.n(), x.c(), x.h(), x.w());
                dx.zero();
            }
            float gw = 0;
            for (size_t i = 0; i < x.size(); ++i) {
                dx[i] += (fault == wrong_gradient ? 1.5f : 1.0f) * w.value[0] * dy[i];
                gw += dy[i] * x[i];
            }
            if (fault == overwrites_grad)
                w.grad[0] = gw;
            else
                w.grad[0] += gw;
        }
    };
    std::mt19937 rng(13);
    Tensor x(2, 2, 3, 3);
    fill_random(x, rng);
    Broken good(Broken::none), wrong(Broken::wrong_gradient), adds(Broken::accumulates_dx),
        overwrites(Broken::overwrites_grad);
    CHECK(cnn::testing::check_layer(good, x).passed);
    LayerCheck w = cnn::testing::check_layer(wrong, x);
    CHECK_FALSE(w.passed);
    CHECK(w.input_error > 0.1);
    LayerCheck a = cnn::testing::check_layer(adds, x);
    CHECK_FALSE(a.passed);
    CHECK(a.log.find("does not overwrite dx") != std::string::npos);
    LayerCheck o = cnn::testing::check_layer(overwrites, x);
    CHECK_FALSE(o.passed);
    CHECK(o.log.find("does not add into w.grad") != std::string::npos);
}
