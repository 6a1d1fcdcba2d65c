// Training machinery: optimizers, schedules, save/load, determinism across threads, the frozen inference
// network, and a small network that learns.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <cstdio>
#include <fstream>
#include <random>

using namespace cnn;

namespace {

// DigitNet, the reference network (SPEC): three conv 3x3 + BatchNorm + ReLU + max-pool blocks, dense 128,
// dropout 0.5, dense 10.
Sequential make_digitnet(uint64_t seed) {
    Sequential net({1, 28, 28});
    int channels = 1;
    for (int width : {32, 64, 128}) {
        net.add<Conv2D>(channels, width, 3, 1, 1);
        net.add<BatchNorm>(width);
        net.add<ReLU>();
        net.add<MaxPool2D>(2, 2);
        channels = width;
    }
    net.add<Flatten>();
    net.add<Dense>(128 * 3 * 3, 128);
    net.add<ReLU>();
    net.add<Dropout>(0.5, seed ^ 0xD20F);
    net.add<Dense>(128, 10);
    initialize(net, seed);
    return net;
}

Param scalar_param(float value, bool decay = true) {
    Param p;
    p.init("w", 1, 1, 1, 1, decay);
    p.value[0] = value;
    return p;
}

std::string temp_path(const std::string& name) {
    return "/tmp/cnn_test_" + std::to_string(::getpid()) + "_" + name;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

Sequential small_net(uint64_t seed) {
    Sequential net({1, 8, 8});
    net.add<Conv2D>(1, 4, 3, 1, 1);
    net.add<BatchNorm>(4);
    net.add<ReLU>();
    net.add<MaxPool2D>(2, 2);
    net.add<Flatten>();
    net.add<Dense>(4 * 4 * 4, 16);
    net.add<BatchNorm>(16);
    net.add<ReLU>();
    net.add<Dropout>(0.2, seed);
    net.add<Dense>(16, 4);
    initialize(net, seed);
    return net;
}

// Four classes of 8×8 images: a horizontal bar, a vertical bar, a diagonal, a square; noise on top.
void synthetic_task(int n, Tensor& x, std::vector<int>& y, uint64_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 0.15f);
    x.resize(n, 1, 8, 8);
    y.resize(n);
    for (int i = 0; i < n; ++i) {
        y[i] = i % 4;
        int off = int(rng() % 4) + 2;
        for (int r = 0; r < 8; ++r)
            for (int c = 0; c < 8; ++c) {
                bool on = (y[i] == 0 && r == off) || (y[i] == 1 && c == off) || (y[i] == 2 && r == c) ||
                          (y[i] == 3 && r >= 2 && r <= 5 && c >= 2 && c <= 5 &&
                           (r == 2 || r == 5 || c == 2 || c == 5));
                x.at(i, 0, r, c) = (on ? 1.0f : 0.0f) + noise(rng);
            }
    }
}

}  // namespace

TEST_CASE("SGD with momentum and Nesterov: known first steps", "[optim]") {
    Param p = scalar_param(1.0f);
    SGD sgd({&p}, 0.1, 0.9);
    p.grad[0] = 0.5f;
    sgd.step();
    CHECK(p.value[0] == Approx(0.95f));
    sgd.step();
    CHECK(p.value[0] == Approx(0.855f));  // v = 0.9 * 0.5 + 0.5
    CHECK(sgd.steps() == 2);

    Param q = scalar_param(1.0f);
    SGD nesterov({&q}, 0.1, 0.9, true);
    q.grad[0] = 0.5f;
    nesterov.step();
    CHECK(q.value[0] == Approx(0.905f));  // g + mu * v = 0.5 + 0.45
    nesterov.step();
    CHECK(q.value[0] == Approx(0.7695f));  // v = 0.95, g + mu * v = 1.355

    Param r = scalar_param(2.0f), bias = scalar_param(2.0f, false);
    SGD decayed({&r, &bias}, 0.1, 0.0, false, 0.5);
    decayed.step();  // zero gradients: only weight decay moves the weight, never the bias
    CHECK(r.value[0] == Approx(1.9f));
    CHECK(bias.value[0] == 2.0f);
}

TEST_CASE("Adam: known first steps, and the step counter advances once per step", "[optim]") {
    Param a = scalar_param(1.0f), b = scalar_param(-1.0f), c = scalar_param(3.0f);
    Adam adam({&a, &b, &c}, 0.1);
    for (Param* p : {&a, &b, &c}) p->grad[0] = 0.5f;
    adam.step();
    CHECK(adam.steps() == 1);
    // Bias correction makes the first steps exactly lr * sign(g) for a constant gradient.
    CHECK(a.value[0] == Approx(0.9f));
    CHECK(b.value[0] == Approx(-1.1f));
    CHECK(c.value[0] == Approx(2.9f));
    adam.step();
    CHECK(adam.steps() == 2);
    CHECK(a.value[0] == Approx(0.8f));
    CHECK(c.value[0] == Approx(2.8f));

    // A changing gradient: m1 = 0.1, v1 = 0.001 * 1; then g = -0.5: m2 = -0.01, v2 = 0.000999 + 0.00025.
    Param d = scalar_param(0.0f);
    Adam adam2({&d}, 0.01);
    d.grad[0] = 1.0f;
    adam2.step();
    CHECK(d.value[0] == Approx(-0.01f));
    d.grad[0] = -0.5f;
    adam2.step();
    double m = (0.9 * 0.1 - 0.05) / (1 - 0.81), v = (0.999 * 0.001 + 0.001 * 0.25) / (1 - 0.998001);
    CHECK(d.value[0] == Approx(-0.01 - 0.01 * m / (std::sqrt(v) + 1e-8)).epsilon(1e-4));

    // AdamW decays the weight directly: w = w * (1 - lr * wd) before the Adam step.
    Param e = scalar_param(1.0f);
    AdamW adamw({&e}, 0.1, 0.5);
    e.grad[0] = 0.5f;
    adamw.step();
    CHECK(e.value[0] == Approx(1.0f * (1 - 0.05f) - 0.1f));
}

TEST_CASE("Learning-rate schedules", "[optim]") {
    StepLr step(1.0, 10, 0.5);
    CHECK(step.lr(0) == 1.0);
    CHECK(step.lr(10) == 0.5);
    CHECK(step.lr(25) == 0.25);
    ExponentialLr expo(1.0, 0.5, 100);
    CHECK(expo.lr(200) == Approx(0.25));
    CosineLr cosine(1.0, 100, 0.0, 0);
    CHECK(cosine.lr(0) == Approx(1.0));
    CHECK(cosine.lr(50) == Approx(0.5));
    CHECK(cosine.lr(100) == Approx(0.0).margin(1e-12));
    CosineLr warm(1.0, 100, 0.0, 10);
    CHECK(warm.lr(0) == Approx(0.1));
    CHECK(warm.lr(9) == Approx(1.0));
    OneCycleLr one(1.0, 100, 0.3, 25.0, 1e4);
    CHECK(one.lr(0) == Approx(0.04));
    CHECK(one.lr(29) == Approx(1.0));
    CHECK(one.lr(99) == Approx(0.04 / 1e4));
}

TEST_CASE("Save and load: a bit-exact round trip", "[serialize]") {
    Sequential net = make_digitnet(3);
    net.metadata["dataset"] = "mnist";
    net.metadata["test_accuracy"] = "0.9950";
    // Train one step so that BatchNorm's running statistics are not the defaults.
    Tensor x(8, 1, 28, 28), dlogits;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 2);
    for (size_t i = 0; i < x.size(); ++i) x[i] = u(rng);
    std::vector<int> labels = {0, 1, 2, 3, 4, 5, 6, 7};
    softmax_cross_entropy(net.forward(x, true), labels.data(), &dlogits);
    net.backward(dlogits);
    Adam(net.params(), 0.01).step();

    const std::string path = temp_path("roundtrip.cnn");
    Tensor extra(2, 3, 1, 1);
    extra.fill(4.5f);
    save(net, path, {{"optimizer.0", extra}});
    NamedTensors loaded_extra;
    Sequential loaded = load(path, &loaded_extra);
    CHECK(loaded.metadata == net.metadata);
    REQUIRE(loaded.size() == net.size());
    for (size_t i = 0; i < net.size(); ++i) {
        CHECK(loaded.layer(i).type() == net.layer(i).type());
        CHECK(loaded.layer(i).hyper() == net.layer(i).hyper());
        auto a = net.layer(i).params(), b = loaded.layer(i).params();
        for (size_t k = 0; k < a.size(); ++k)
            CHECK(std::memcmp(a[k]->value.data(), b[k]->value.data(), a[k]->value.size() * sizeof(float)) ==
                  0);
        auto ba = net.layer(i).buffers(), bb = loaded.layer(i).buffers();
        for (size_t k = 0; k < ba.size(); ++k)
            CHECK(std::memcmp(ba[k].second->data(), bb[k].second->data(),
                              ba[k].second->size() * sizeof(float)) == 0);
    }
    REQUIRE(loaded_extra.size() == 1);
    CHECK(loaded_extra[0].first == "optimizer.0");
    CHECK(loaded_extra[0].second[5] == 4.5f);
    Tensor y1, y2;
    y1.copy_from(net.forward(x, false));
    y2.copy_from(loaded.forward(x, false));
    CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
    // Saving the loaded network gives the same bytes.
    CHECK(serialize(loaded, loaded_extra) == read_bytes(path));
    std::remove(path.c_str());
}

TEST_CASE("Load rejects truncated, corrupted, wrong-magic, newer-version and missing files", "[serialize]") {
    Sequential net = make_digitnet(4);
    const std::string path = temp_path("good.cnn"), bad = temp_path("bad.cnn");
    save(net, path);
    const std::vector<uint8_t> good = read_bytes(path);
    auto expect = [&](const std::vector<uint8_t>& bytes, ModelFileError::Kind kind,
                      const std::string& words) {
        write_bytes(bad, bytes);
        try {
            load(bad);
            FAIL("loaded a bad file: " << words);
        } catch (const ModelFileError& e) {
            INFO(e.what());
            CHECK(e.kind() == kind);
            CHECK(std::string(e.what()).find(words) != std::string::npos);
            CHECK(std::string(e.what()).find(bad) == 0);  // names the file
        }
    };
    for (size_t keep : {size_t(0), size_t(5), size_t(19), good.size() / 2, good.size() - 1})
        expect(std::vector<uint8_t>(good.begin(), good.begin() + keep), ModelFileError::Kind::Truncated,
               "truncated");
    auto flipped = good;
    flipped[good.size() / 2] ^= 0x40;
    expect(flipped, ModelFileError::Kind::Corrupted, "checksum");
    auto longer = good;
    longer.push_back(0);
    expect(longer, ModelFileError::Kind::Corrupted, "corrupted");
    auto magic = good;
    magic[0] = 'X';
    expect(magic, ModelFileError::Kind::WrongMagic, "wrong magic");
    expect(std::vector<uint8_t>{0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6, 7, 8, 9},
           ModelFileError::Kind::WrongMagic, "wrong magic");
    auto newer = good;
    newer[8] = uint8_t(kFormatVersion + 1);
    expect(newer, ModelFileError::Kind::NewerVersion, "newer");
    try {
        load(temp_path("does-not-exist.cnn"));
        FAIL("loaded a missing file");
    } catch (const ModelFileError& e) {
        CHECK(e.kind() == ModelFileError::Kind::NotFound);
    }
    std::remove(path.c_str());
    std::remove(bad.c_str());
}

TEST_CASE("Same seed and thread count give identical training, and threads change only rounding",
          "[threads]") {
    auto run = [](int threads, int steps) {
        Sequential net = small_net(5);
        net.set_threads(threads);
        SGD sgd(net.params(), 0.05, 0.9);
        Tensor x, dlogits;
        std::vector<int> y;
        synthetic_task(64, x, y, 6);
        for (int step = 0; step < steps; ++step) {
            net.zero_grad();
            softmax_cross_entropy(net.forward(x, true), y.data(), &dlogits);
            net.backward(dlogits);
            sgd.step();
        }
        std::vector<float> weights;
        for (Param* p : net.params())
            weights.insert(weights.end(), p->value.data(), p->value.data() + p->value.size());
        return weights;
    };
    auto a = run(2, 5), b = run(2, 5), c = run(1, 5);
    CHECK(a == b);
    REQUIRE(a.size() == c.size());
    for (size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(c[i]).margin(1e-3));
}

TEST_CASE("FrozenNet (BatchNorm folded, ReLU and pool fused) matches the network in eval mode", "[frozen]") {
    for (int threads : {1, 2}) {
        Sequential net = make_digitnet(6);
        // Non-trivial BatchNorm statistics and affine parameters.
        std::mt19937 rng(2);
        std::uniform_real_distribution<float> u(0.5f, 1.5f);
        for (size_t i = 0; i < net.size(); ++i)
            if (auto* bn = dynamic_cast<BatchNorm*>(&net.layer(i)))
                for (int c = 0; c < bn->gamma().value.n(); ++c) {
                    bn->gamma().value[c] = u(rng);
                    bn->beta().value[c] = u(rng) - 1.0f;
                    bn->running_mean()[c] = u(rng) - 1.0f;
                    bn->running_var()[c] = u(rng);
                }
        net.set_threads(threads);
        Tensor x(37, 1, 28, 28);
        std::uniform_real_distribution<float> pixel(-0.4f, 2.8f);
        for (size_t i = 0; i < x.size(); ++i) x[i] = pixel(rng);
        const Tensor& expected = net.forward(x, false);
        FrozenNet frozen(net);
        CHECK(frozen.op_count() == 5);  // 3 fused conv blocks, 2 dense
        FrozenNet::Workspace ws;
        std::vector<float> out(37 * 10);
        frozen.run(x.data(), 37, out.data(), ws, net.pool());
        for (size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == Approx(expected[i]).margin(1e-4));
        frozen.run(x.data(), 1, out.data(), ws);  // batch 1 on the caller's thread
        for (size_t i = 0; i < 10; ++i) REQUIRE(out[i] == Approx(expected[i]).margin(1e-4));
    }
}

TEST_CASE("A small network learns a synthetic task to 100% training accuracy", "[learn]") {
    Sequential net = small_net(7);
    Adam adam(net.params(), 0.01);
    Tensor x, dlogits;
    std::vector<int> y;
    synthetic_task(128, x, y, 8);
    int correct = 0;
    for (int epoch = 0; epoch < 60 && correct < 128; ++epoch) {
        net.zero_grad();
        softmax_cross_entropy(net.forward(x, true), y.data(), &dlogits);
        net.backward(dlogits);
        adam.step();
        correct = softmax_cross_entropy(net.forward(x, false), y.data(), nullptr).correct;
    }
    CHECK(correct == 128);
}
