// The Winograd and direct kernels (fast_conv.hpp) against naive loops, and the layers built on them:
// the kernels with and without pool and ReLU, odd sizes, channel counts that are not whole vectors, batches
// that span several tile groups; Conv2D's Winograd forward pass and input gradient; FrozenNet's layout
// changes. This file is compiled once per vector width (AVX-512, AVX2, SSE2), see CMakeLists.txt, since the
// channel padding and the choice between the kernels depend on it.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <cmath>
#include <random>
#include <string>

using namespace cnn;

namespace {

struct Case {
    int n, C, O, H, W;
    bool relu, pool;
    int in_stride;  // 0: round_up(C) (1 when C == 1)
};

// y (n, O, Ho, Wo) = optional ReLU(optional max-pool 2×2/2 (conv3×3 pad 1 (x) + b)).
std::vector<float> reference(const Case& k, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& b) {
    const int Ho = k.pool ? k.H / 2 : k.H, Wo = k.pool ? k.W / 2 : k.W;
    std::vector<float> conv(size_t(k.n) * k.O * k.H * k.W), y(size_t(k.n) * k.O * Ho * Wo);
    for (int s = 0; s < k.n; ++s)
        for (int o = 0; o < k.O; ++o)
            for (int i = 0; i < k.H; ++i)
                for (int j = 0; j < k.W; ++j) {
                    double acc = b[o];
                    for (int c = 0; c < k.C; ++c)
                        for (int u = 0; u < 3; ++u)
                            for (int v = 0; v < 3; ++v) {
                                int yy = i + u - 1, xx = j + v - 1;
                                if (yy < 0 || yy >= k.H || xx < 0 || xx >= k.W) continue;
                                acc += double(w[((o * k.C + c) * 3 + u) * 3 + v]) *
                                       x[((size_t(s) * k.C + c) * k.H + yy) * k.W + xx];
                            }
                    conv[((size_t(s) * k.O + o) * k.H + i) * k.W + j] = float(acc);
                }
    for (int s = 0; s < k.n; ++s)
        for (int o = 0; o < k.O; ++o)
            for (int i = 0; i < Ho; ++i)
                for (int j = 0; j < Wo; ++j) {
                    const float* p = &conv[((size_t(s) * k.O + o) * k.H) * k.W];
                    float v =
                        k.pool ? std::max(
                                     std::max(p[(2 * i) * k.W + 2 * j], p[(2 * i) * k.W + 2 * j + 1]),
                                     std::max(p[(2 * i + 1) * k.W + 2 * j], p[(2 * i + 1) * k.W + 2 * j + 1]))
                               : p[i * k.W + j];
                    y[((size_t(s) * k.O + o) * Ho + i) * Wo + j] = k.relu ? std::max(v, 0.0f) : v;
                }
    return y;
}

void check_case(const Case& k, bool expect_winograd, int tile = 2) {
    std::mt19937 rng(uint32_t(k.n * 131 + k.C * 17 + k.O * 7 + k.H));
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(size_t(k.n) * k.C * k.H * k.W), w(size_t(k.O) * k.C * 9), b(k.O);
    for (auto& v : x) v = nd(rng);
    for (auto& v : w) v = nd(rng) * 0.3f;
    for (auto& v : b) v = nd(rng);
    const int cs = k.in_stride ? k.in_stride : (k.C == 1 ? 1 : cnn::simd::round_up(k.C));
    cnn::fast::Conv3x3 conv(w.data(), b.data(), k.C, k.O, cs, k.relu, k.pool, tile);
    CHECK(conv.winograd() == expect_winograd);

    // NCHW → NHWC with padding channels set to zero.
    std::vector<float> xin(size_t(k.n) * k.H * k.W * cs, 0.0f);
    for (int s = 0; s < k.n; ++s)
        for (int c = 0; c < k.C; ++c)
            for (int p = 0; p < k.H * k.W; ++p)
                xin[(size_t(s) * k.H * k.W + p) * cs + c] = x[(size_t(s) * k.C + c) * k.H * k.W + p];
    const int Ho = k.pool ? k.H / 2 : k.H, Wo = k.pool ? k.W / 2 : k.W, op = conv.out_stride();
    std::vector<float> yout(size_t(k.n) * Ho * Wo * op, std::nanf("")), scratch(conv.scratch_size(k.H, k.W));
    conv.run(xin.data(), k.n, k.H, k.W, yout.data(), scratch.data());

    const std::vector<float> expected = reference(k, x, w, b);
    for (int s = 0; s < k.n; ++s)
        for (int p = 0; p < Ho * Wo; ++p)
            for (int o = 0; o < op; ++o) {
                const float got = yout[(size_t(s) * Ho * Wo + p) * op + o];
                if (o >= k.O) {
                    REQUIRE(got == 0.0f);  // padding channels stay zero for the next layer
                    continue;
                }
                const float want = expected[(size_t(s) * k.O + o) * Ho * Wo + p];
                INFO("tile " << tile << " n=" << k.n << " C=" << k.C << " O=" << k.O << " H=" << k.H
                             << " W=" << k.W << " sample " << s << " pixel " << p << " channel " << o);
                REQUIRE(got == Approx(want).margin(1e-4).epsilon(1e-4));
            }
}

}  // namespace

TEST_CASE("Winograd 3x3 convolution matches a naive loop, with 2x2 and 4x4 output tiles", "[fast_conv]") {
    INFO("vector width " << cnn::simd::kWidth);
    const Case cases[] = {
        {1, 32, 64, 14, 14, true, true, 0},  // DigitNet conv2
        {1, 64, 128, 7, 7, true, true,
         0},  // DigitNet conv3 (odd size: the last row and column are pooled away)
        {3, 32, 32, 28, 28, true, false, 0},  // no pool
        {2, 17, 33, 5, 9, false, false, 0},   // partial vectors, odd sizes, partial tiles, no ReLU
        {2, 8, 5, 6, 3, false, true, 0},      //
        {1, 16, 16, 1, 1, true, false, 0},    // a single pixel
        {1, 16, 16, 2, 2, true, true, 0},
        {40, 32, 64, 14, 14, true, true, 0},  // more tiles than one group: groups cross samples
        {5, 24, 200, 7, 7, false, false, 0},  // more than one block of output vectors
    };
    for (int tile : {2, 4})
        for (const Case& k : cases) check_case(k, k.C >= cnn::simd::kWidth / 2, tile);
}

TEST_CASE("Direct 3x3 convolution (few input channels) matches a naive loop", "[fast_conv]") {
    INFO("vector width " << cnn::simd::kWidth);
    const Case cases[] = {
        {1, 1, 32, 28, 28, true, true, 0},   // DigitNet conv1
        {3, 1, 32, 28, 28, true, false, 0},  // no pool
        {2, 1, 5, 9, 13, false, true, 0},    // odd sizes, a partial vector of outputs
        {2, 3, 40, 6, 7, true, false, 3},    // unpadded channels
        {2, 3, 16, 6, 7, false, true, 16},   // padded channels, read with a stride
        {1, 1, 8, 1, 1, false, false, 0},
    };
    for (const Case& k : cases) check_case(k, false);
}

TEST_CASE("Conv2D's Winograd forward pass and input gradient match naive loops", "[fast_conv]") {
    struct Shape4 {
        int n, c, o, h, w;
    };
    for (Shape4 k : {Shape4{3, 9, 10, 6, 5}, Shape4{2, 16, 4, 7, 7}, Shape4{2, 3, 17, 5, 8},
                     Shape4{1, 32, 64, 14, 14}}) {
        INFO("n=" << k.n << " c=" << k.c << " o=" << k.o << " " << k.h << "x" << k.w);
        std::mt19937 rng(uint32_t(k.c * 100 + k.o));
        std::normal_distribution<float> nd(0.0f, 1.0f);
        Conv2D conv(k.c, k.o, 3, 1, 1);
        for (size_t i = 0; i < conv.weight().value.size(); ++i) conv.weight().value[i] = 0.3f * nd(rng);
        for (int i = 0; i < k.o; ++i) conv.bias().value[i] = nd(rng);
        Tensor x(k.n, k.c, k.h, k.w), y, dy(k.n, k.o, k.h, k.w), dx;
        for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng);
        for (size_t i = 0; i < dy.size(); ++i) dy[i] = nd(rng);
        for (int threads : {1, 2}) {
            ThreadPool pool(threads);
            const Context ctx{&pool, true, 1};
            conv.forward(x, y, ctx);
            conv.zero_grad();
            conv.backward(x, y, dy, dx, ctx);
            const float* W = conv.weight().value.data();
            for (int s = 0; s < k.n; ++s)
                for (int i = 0; i < k.h; ++i)
                    for (int j = 0; j < k.w; ++j) {
                        for (int o = 0; o < k.o; ++o) {  // y = b + sum W x
                            double acc = conv.bias().value[o];
                            for (int c = 0; c < k.c; ++c)
                                for (int u = 0; u < 3; ++u)
                                    for (int v = 0; v < 3; ++v) {
                                        const int yy = i + u - 1, xx = j + v - 1;
                                        if (yy >= 0 && yy < k.h && xx >= 0 && xx < k.w)
                                            acc += double(W[((o * k.c + c) * 3 + u) * 3 + v]) *
                                                   x.at(s, c, yy, xx);
                                    }
                            REQUIRE(y.at(s, o, i, j) == Approx(acc).margin(1e-4));
                        }
                        for (int c = 0; c < k.c; ++c) {  // dx = sum over the outputs each input reached
                            double acc = 0.0;
                            for (int o = 0; o < k.o; ++o)
                                for (int u = 0; u < 3; ++u)
                                    for (int v = 0; v < 3; ++v) {
                                        const int yy = i - u + 1, xx = j - v + 1;
                                        if (yy >= 0 && yy < k.h && xx >= 0 && xx < k.w)
                                            acc += double(W[((o * k.c + c) * 3 + u) * 3 + v]) *
                                                   dy.at(s, o, yy, xx);
                                    }
                            REQUIRE(dx.at(s, c, i, j) == Approx(acc).margin(1e-4));
                        }
                    }
        }
    }
}

TEST_CASE("FrozenNet mixes NHWC kernels and NCHW layers correctly", "[fast_conv][frozen]") {
    // Each network exercises a different layout change: several input channels (NCHW → NHWC), a
    // non-3×3 convolution after a fast one (NHWC → NCHW), global pooling and dense layers reading NHWC with
    // channel counts that are not whole vectors, and a network that ends in a convolution.
    std::vector<Sequential> nets;
    nets.emplace_back(Shape{3, 9, 11});
    nets.back().add<Conv2D>(3, 8, 3, 1, 1);
    nets.back().add<BatchNorm>(8);
    nets.back().add<ReLU>();
    nets.back().add<Conv2D>(8, 12, 3, 1, 1);
    nets.back().add<MaxPool2D>(2, 2);
    nets.back().add<Conv2D>(12, 6, 3, 1, 0);
    nets.back().add<ReLU>();
    nets.back().add<GlobalAvgPool>();
    nets.back().add<Dense>(6, 4);
    nets.emplace_back(Shape{1, 10, 10});
    nets.back().add<Conv2D>(1, 16, 3, 1, 1);
    nets.back().add<ReLU>();
    nets.back().add<Conv2D>(16, 12, 3, 1, 1);
    nets.back().add<BatchNorm>(12);
    nets.back().add<ReLU>();
    nets.back().add<MaxPool2D>(2, 2);
    nets.back().add<Flatten>();
    nets.back().add<Dense>(12 * 5 * 5, 7);
    nets.emplace_back(Shape{2, 7, 6});
    nets.back().add<Conv2D>(2, 20, 3, 1, 1);
    nets.back().add<ReLU>();
    nets.back().add<Conv2D>(20, 9, 3, 1, 1);
    nets.back().add<GlobalAvgPool>();
    nets.emplace_back(Shape{1, 6, 6});
    nets.back().add<Conv2D>(1, 16, 3, 1, 1);
    nets.back().add<Conv2D>(16, 5, 3, 1, 1);
    std::mt19937 rng(4);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (Sequential& net : nets) {
        for (Param* p : net.params())
            for (size_t i = 0; i < p->value.size(); ++i) p->value[i] = 0.5f * u(rng);
        const Shape in = net.input_shape();
        Tensor x(5, in.c, in.h, in.w);
        for (size_t i = 0; i < x.size(); ++i) x[i] = u(rng);
        const Tensor& expected = net.forward(x, false);
        FrozenNet frozen(net);
        FrozenNet::Workspace ws;
        std::vector<float> out(expected.size(), std::nanf(""));
        frozen.run(x.data(), 5, out.data(), ws);
        REQUIRE(frozen.output_shape().size() * 5 == expected.size());
        for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == Approx(expected[i]).margin(1e-4));
    }
}

TEST_CASE("FrozenNet of the first layers gives those layers' output", "[fast_conv][frozen]") {
    // The same network built to each length with the same weights and statistics: a prefix compiled from the
    // whole network must match the short network run by Sequential (BatchNorm folded, ReLU and pool fused,
    // dropout and flatten gone, whichever layer the prefix ends on).
    auto build = [](size_t layers) {
        Sequential net(Shape{1, 8, 8});
        std::vector<std::unique_ptr<Layer>> all;
        all.push_back(std::make_unique<Conv2D>(1, 8, 3, 1, 1));
        all.push_back(std::make_unique<BatchNorm>(8));
        all.push_back(std::make_unique<ReLU>());
        all.push_back(std::make_unique<MaxPool2D>(2, 2));
        all.push_back(std::make_unique<Flatten>());
        all.push_back(std::make_unique<Dense>(8 * 4 * 4, 12));
        all.push_back(std::make_unique<BatchNorm>(12));
        all.push_back(std::make_unique<ReLU>());
        all.push_back(std::make_unique<Dropout>(0.3f));
        all.push_back(std::make_unique<Dense>(12, 5));
        std::mt19937 rng(11);
        std::uniform_real_distribution<float> u(-1.0f, 1.0f), positive(0.5f, 1.5f);
        for (size_t i = 0; i < all.size(); ++i) {
            for (Param* p : all[i]->params())
                for (size_t j = 0; j < p->value.size(); ++j) p->value[j] = 0.5f * u(rng);
            for (auto& [name, t] : all[i]->buffers())
                for (size_t j = 0; j < t->size(); ++j)
                    (*t)[j] = name.find("var") != std::string::npos ? positive(rng) : u(rng);
            if (i < layers) net.add(std::move(all[i]));
        }
        return net;
    };
    Sequential whole = build(10);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    Tensor x(3, 1, 8, 8);
    for (size_t i = 0; i < x.size(); ++i) x[i] = u(rng);
    for (size_t layers = 1; layers <= 10; ++layers) {
        Sequential prefix = build(layers);
        const Tensor& expected = prefix.forward(x, false);
        FrozenNet frozen(whole, layers);
        REQUIRE(frozen.output_shape() == prefix.output_shape());
        FrozenNet::Workspace ws;
        std::vector<float> out(expected.size(), std::nanf(""));
        frozen.run(x.data(), 3, out.data(), ws);
        for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == Approx(expected[i]).margin(1e-4));
    }
    CHECK_THROWS(FrozenNet(whole, 0));
}
