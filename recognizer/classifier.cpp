#include "classifier.hpp"

#include <cmath>
#include <mutex>

#include <cnn/cnn.hpp>

#include "models.hpp"

namespace digit {

struct Classifier::Impl {
    std::string path;
    cnn::Sequential net;
    std::unique_ptr<cnn::FrozenNet> frozen;
    float mean = kMnistMean, std = kMnistStd;
    int classes = 0;
    size_t parameters = 0;
    std::string summary;

    // Workspaces are handed out to one request at a time and returned, so concurrent requests never share
    // scratch memory and no request allocates once the pool has warmed up.
    std::mutex mutex;
    std::vector<std::unique_ptr<cnn::FrozenNet::Workspace>> idle;

    std::unique_ptr<cnn::FrozenNet::Workspace> acquire() {
        std::lock_guard<std::mutex> lock(mutex);
        if (idle.empty()) return std::make_unique<cnn::FrozenNet::Workspace>();
        auto ws = std::move(idle.back());
        idle.pop_back();
        return ws;
    }
    void release(std::unique_ptr<cnn::FrozenNet::Workspace> ws) {
        std::lock_guard<std::mutex> lock(mutex);
        idle.push_back(std::move(ws));
    }
};

namespace {

// Images per FrozenNet run in predict_batch.
constexpr size_t kBatchChunk = 8;

}  // namespace

Classifier::Classifier(const std::string& model_path, int warm_workspaces) : impl_(std::make_unique<Impl>()) {
    impl_->path = model_path;
    impl_->net = cnn::load(model_path);
    const cnn::Shape in = impl_->net.input_shape(), out = impl_->net.output_shape();
    if (in != cnn::Shape{1, kImageSide, kImageSide} || out.size() < 2 || out.size() > 1000)
        throw std::runtime_error(model_path + ": not an image classifier of 28x28 inputs (input " + in.str() +
                                 ", " + std::to_string(out.size()) + " outputs)");
    impl_->classes = int(out.size());
    impl_->mean = metadata_float(impl_->net.metadata, "input_mean", kMnistMean);
    impl_->std = metadata_float(impl_->net.metadata, "input_std", kMnistStd);
    if (!(impl_->std > 0.0f)) throw std::runtime_error(model_path + ": input_std must be positive");
    impl_->parameters = impl_->net.parameter_count();
    impl_->summary = impl_->net.summary();
    impl_->frozen = std::make_unique<cnn::FrozenNet>(impl_->net);
    // A workspace grows to the largest run it serves: a batch chunk (kBatchChunk images) covers single
    // images too.
    const std::vector<float> blank(kBatchChunk * kImagePixels, 0.0f);
    std::vector<float> logits(kBatchChunk * std::size_t(impl_->classes));
    for (int i = 0; i < warm_workspaces; ++i) {
        auto ws = std::make_unique<cnn::FrozenNet::Workspace>();
        impl_->frozen->run(blank.data(), int(kBatchChunk), logits.data(), *ws);
        impl_->idle.push_back(std::move(ws));
    }
}

Classifier::~Classifier() = default;

std::vector<Prediction> Classifier::predict_batch(const std::vector<Image28>& images) const {
    std::vector<float> input(images.size() * kImagePixels);
    for (size_t i = 0; i < images.size(); ++i)
        for (int p = 0; p < kImagePixels; ++p)
            input[i * kImagePixels + p] = (images[i][p] - impl_->mean) / impl_->std;
    return predict_normalised(input.data(), images.size());
}

std::vector<Prediction> Classifier::predict_normalised(const float* inputs, std::size_t count) const {
    std::vector<Prediction> results(count);
    if (count == 0) return results;
    const std::size_t classes = std::size_t(impl_->classes);
    std::vector<float> logits(count * classes);
    // Workspaces grow to the largest run they have served; running a batch a few images at a time keeps
    // every pooled workspace small, so memory stays bounded whatever mix of requests the server sees.
    auto ws = impl_->acquire();
    for (size_t first = 0; first < count; first += kBatchChunk) {
        const size_t n = std::min(kBatchChunk, count - first);
        impl_->frozen->run(inputs + first * kImagePixels, int(n), logits.data() + first * classes, *ws);
    }
    impl_->release(std::move(ws));
    for (size_t i = 0; i < count; ++i) {
        const float* z = logits.data() + i * classes;
        Prediction& p = results[i];
        p.probabilities.resize(classes);
        cnn::softmax(z, p.probabilities.data(), int(classes));
        p.digit =
            int(std::max_element(p.probabilities.begin(), p.probabilities.end()) - p.probabilities.begin());
        p.confidence = p.probabilities[p.digit];
    }
    return results;
}

Prediction Classifier::predict(const Image28& image) const {
    return predict_batch({image}).front();
}

int Classifier::classes() const {
    return impl_->classes;
}

nlohmann::json Classifier::info() const {
    nlohmann::json layers = nlohmann::json::array();
    cnn::Shape s = impl_->net.input_shape();
    for (size_t i = 0; i < impl_->net.size(); ++i) {
        const cnn::Layer& l = impl_->net.layer(i);
        s = l.output_shape(s);
        nlohmann::json layer = {{"type", l.type()}, {"output_shape", {s.c, s.h, s.w}}};
        for (const auto& [k, v] : l.hyper()) layer[k] = v;
        layers.push_back(layer);
    }
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& [k, v] : impl_->net.metadata) metadata[k] = v;
    const auto& meta = impl_->net.metadata;
    auto get = [&](const std::string& key) -> nlohmann::json {
        auto it = meta.find(key);
        return it == meta.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
    };
    return {
        {"architecture", get("architecture")},
        {"layers", layers},
        {"parameters", impl_->parameters},
        {"classes", impl_->classes},
        {"input",
         {{"shape", {1, kImageSide, kImageSide}},
          {"mean", impl_->mean},
          {"std", impl_->std},
          {"description", "28x28 grey, ink = 1 on 0, normalised as (x - mean) / std"}}},
        {"training",
         {{"dataset", get("dataset")},
          {"epochs", get("epochs")},
          {"test_accuracy", get("test_accuracy")},
          {"date", get("date")},
          {"recipe", get("recipe")}}},
        {"metadata", metadata},
    };
}

}  // namespace digit
