// Agreement with PyTorch: reference values made by make_torch_fixtures.py (Debian's python3-torch) and kept
// as small text fixtures, so this test runs without PyTorch.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace cnn;

namespace {

std::map<std::string, Tensor> read_fixture(const std::string& name) {
    const std::string path = std::string(CNN_FIXTURE_DIR) + "/" + name + ".txt";
    std::ifstream in(path);
    REQUIRE(in.good());
    std::map<std::string, Tensor> tensors;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string key;
        int d[4];
        s >> key >> d[0] >> d[1] >> d[2] >> d[3];
        Tensor t(d[0], d[1], d[2], d[3]);
        for (size_t i = 0; i < t.size(); ++i) s >> t[i];
        REQUIRE_FALSE(s.fail());
        tensors[key] = std::move(t);
    }
    return tensors;
}

void set(Tensor& dst, const Tensor& src) {
    REQUIRE(dst.size() == src.size());
    std::copy(src.data(), src.data() + src.size(), dst.data());
}

void require_close(const Tensor& ours, const Tensor& torch, const std::string& what, double tol = 1e-4) {
    INFO(what);
    REQUIRE(ours.size() == torch.size());
    for (size_t i = 0; i < ours.size(); ++i) REQUIRE(ours[i] == Approx(torch[i]).margin(tol));
}

}  // namespace

TEST_CASE("Conv2D agrees with PyTorch: output and gradients", "[torch]") {
    auto f = read_fixture("conv2d");
    Conv2D conv(2, 3, 3, 2, 1);
    set(conv.weight().value, f["weight"]);
    set(conv.bias().value, f["bias"]);
    Context ctx{nullptr, true, 1};
    Tensor y, dx;
    conv.forward(f["x"], y, ctx);
    require_close(y, f["y"], "y");
    conv.zero_grad();
    conv.backward(f["x"], y, f["r"], dx, ctx);
    require_close(dx, f["dx"], "dx");
    require_close(conv.weight().grad, f["dweight"], "dweight");
    require_close(conv.bias().grad, f["dbias"], "dbias");
}

TEST_CASE("BatchNorm agrees with PyTorch in training mode, running statistics included", "[torch]") {
    auto f = read_fixture("batchnorm");
    BatchNorm bn(3);
    set(bn.gamma().value, f["gamma"]);
    set(bn.beta().value, f["beta"]);
    Context ctx{nullptr, true, 1};
    Tensor y, dx;
    bn.forward(f["x"], y, ctx);
    require_close(y, f["y"], "y");
    bn.zero_grad();
    bn.backward(f["x"], y, f["r"], dx, ctx);
    require_close(dx, f["dx"], "dx");
    require_close(bn.gamma().grad, f["dgamma"], "dgamma");
    require_close(bn.beta().grad, f["dbeta"], "dbeta");
    require_close(bn.running_mean(), f["running_mean"], "running_mean");
    require_close(bn.running_var(), f["running_var"], "running_var");
}

TEST_CASE("A small network agrees with PyTorch: logits, loss and every gradient", "[torch]") {
    auto f = read_fixture("network");
    Sequential net({1, 8, 8});
    auto& conv = net.add<Conv2D>(1, 4, 3, 1, 1);
    auto& bn = net.add<BatchNorm>(4);
    net.add<ReLU>();
    net.add<MaxPool2D>(2, 2);
    net.add<Flatten>();
    auto& fc1 = net.add<Dense>(64, 6);
    auto& bn1 = net.add<BatchNorm>(6);
    net.add<ReLU>();
    auto& fc2 = net.add<Dense>(6, 5);
    set(conv.weight().value, f["conv.weight"]);
    set(conv.bias().value, f["conv.bias"]);
    set(bn.gamma().value, f["bn.weight"]);
    set(bn.beta().value, f["bn.bias"]);
    set(fc1.weight().value, f["fc1.weight"]);
    set(fc1.bias().value, f["fc1.bias"]);
    set(bn1.gamma().value, f["bn1.weight"]);
    set(bn1.beta().value, f["bn1.bias"]);
    set(fc2.weight().value, f["fc2.weight"]);
    set(fc2.bias().value, f["fc2.bias"]);
    net.set_input_gradient(true);

    std::vector<int> labels;
    for (size_t i = 0; i < f["labels"].size(); ++i) labels.push_back(int(f["labels"][i]));
    net.zero_grad();
    const Tensor& logits = net.forward(f["x"], true);
    require_close(logits, f["logits"], "logits");
    Tensor dlogits;
    LossResult loss = softmax_cross_entropy(logits, labels.data(), &dlogits);
    CHECK(loss.loss == Approx(f["loss"][0]).margin(1e-5));
    require_close(net.backward(dlogits), f["dx"], "dx");
    require_close(conv.weight().grad, f["dconv.weight"], "dconv.weight");
    require_close(conv.bias().grad, f["dconv.bias"], "dconv.bias");
    require_close(bn.gamma().grad, f["dbn.weight"], "dbn.weight");
    require_close(bn.beta().grad, f["dbn.bias"], "dbn.bias");
    require_close(fc1.weight().grad, f["dfc1.weight"], "dfc1.weight");
    require_close(fc1.bias().grad, f["dfc1.bias"], "dfc1.bias");
    require_close(bn1.gamma().grad, f["dbn1.weight"], "dbn1.weight");
    require_close(bn1.beta().grad, f["dbn1.bias"], "dbn1.bias");
    require_close(fc2.weight().grad, f["dfc2.weight"], "dfc2.weight");
    require_close(fc2.bias().grad, f["dfc2.bias"], "dfc2.bias");
}

TEST_CASE("The CTC loss agrees with PyTorch's ctc_loss: losses, mean and sum, and their gradients",
          "[torch][ctc]") {
    auto f = read_fixture("ctc");
    const Tensor& logits = f["logits"];
    std::vector<int> lengths;
    for (size_t i = 0; i < f["lengths"].size(); ++i) lengths.push_back(int(f["lengths"][i]));
    std::vector<std::vector<int>> targets;
    size_t next = 0;
    for (size_t i = 0; i < f["target_lengths"].size(); ++i) {
        targets.emplace_back();
        for (int j = 0; j < int(f["target_lengths"][i]); ++j)
            targets.back().push_back(int(f["targets"][next++]));
    }
    for (const auto& [name, reduction] :
         {std::pair{"mean", CtcReduction::mean}, std::pair{"sum", CtcReduction::sum}}) {
        INFO(name);
        Tensor grad;
        const CtcResult r = ctc_loss(logits, lengths, targets, &grad, reduction);
        CHECK(r.loss == Approx(f[std::string("loss_") + name][0]).epsilon(1e-5));
        require_close(grad, f[std::string("dlogits_") + name], std::string("dlogits_") + name, 1e-5);
        for (size_t n = 0; n < r.losses.size(); ++n)
            CHECK(r.losses[n] == Approx(f["loss_none"][n]).epsilon(1e-5));
    }
}
