#include "classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>

#include <Eigen/Core>

#include <cnn/cnn.hpp>

#include "models.hpp"

namespace digit {

struct Classifier::Impl {
    std::string path;
    std::uint32_t crc = 0;  // of the model file's bytes as loaded
    std::string version;
    cnn::Sequential net;
    std::unique_ptr<cnn::FrozenNet> frozen;
    // With a feature density: `frozen` stops before the last dense layer (its features go to the density
    // too), and that layer runs here.
    FeatureDensity density;
    std::vector<float> head_weight, head_bias;
    float mean = kMnistMean, std = kMnistStd;
    int outputs = 0, classes = 0;
    Calibration calibration;
    size_t parameters = 0;
    std::string summary;
    std::unique_ptr<PairReader> pairs;
    std::unique_ptr<Classifier> numbers;

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

// A model file read once: the network, and the CRC-32 of the bytes it was read from.
cnn::Sequential load_counted(const std::string& path, std::uint32_t& crc,
                             cnn::NamedTensors* extra = nullptr) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw cnn::ModelFileError(cnn::ModelFileError::Kind::NotFound, path,
                                  "cannot open model file (missing or unreadable)");
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    crc = cnn::crc32(bytes.data(), bytes.size());
    return cnn::deserialize(bytes, path, extra);
}

// Images per FrozenNet run in predict_batch.
constexpr size_t kBatchChunk = 8;

}  // namespace

Classifier::Classifier(const std::string& model_path, int warm_workspaces, bool companions)
    : impl_(std::make_unique<Impl>()) {
    impl_->path = model_path;
    cnn::NamedTensors extra;
    impl_->net = load_counted(model_path, impl_->crc, &extra);
    const cnn::Shape in = impl_->net.input_shape(), out = impl_->net.output_shape();
    if (in != cnn::Shape{1, kImageSide, kImageSide} || out.size() < 2 || out.size() > 1000)
        throw std::runtime_error(model_path + ": not an image classifier of 28x28 inputs (input " + in.str() +
                                 ", " + std::to_string(out.size()) + " outputs)");
    impl_->outputs = int(out.size());
    impl_->calibration = calibration_of(impl_->net.metadata);
    impl_->classes = impl_->outputs - (impl_->calibration.reject_output ? 1 : 0);
    if (!(impl_->calibration.temperature > 0.0f) || impl_->classes < 2)
        throw std::runtime_error(model_path +
                                 ": temperature must be positive and a rejection output needs 2 classes");
    impl_->mean = metadata_float(impl_->net.metadata, "input_mean", kMnistMean);
    impl_->std = metadata_float(impl_->net.metadata, "input_std", kMnistStd);
    if (!(impl_->std > 0.0f)) throw std::runtime_error(model_path + ": input_std must be positive");
    impl_->parameters = impl_->net.parameter_count();
    impl_->summary = impl_->net.summary();
    std::vector<std::pair<std::string, std::vector<float>>> tensors;
    for (const auto& [name, t] : extra)
        tensors.emplace_back(name, std::vector<float>(t.data(), t.data() + t.size()));
    auto* head =
        impl_->net.size() > 0 ? dynamic_cast<cnn::Dense*>(&impl_->net.layer(impl_->net.size() - 1)) : nullptr;
    try {
        impl_->density = FeatureDensity(tensors, head ? head->in_features() : 0);
        if (!impl_->density.empty() && impl_->density.classes() != impl_->classes)
            throw std::runtime_error("the feature density has " + std::to_string(impl_->density.classes()) +
                                     " classes, the model " + std::to_string(impl_->classes));
        if (!impl_->density.empty())
            impl_->calibration = with_density(impl_->calibration, impl_->net.metadata);
    } catch (const std::exception& e) {
        throw std::runtime_error(model_path + ": " + e.what());
    }
    if (!impl_->density.empty()) {
        impl_->head_weight.assign(head->weight().value.data(),
                                  head->weight().value.data() + head->weight().value.size());
        impl_->head_bias.assign(head->bias().value.data(),
                                head->bias().value.data() + head->bias().value.size());
        impl_->frozen = std::make_unique<cnn::FrozenNet>(impl_->net, impl_->net.size() - 1);
    } else {
        impl_->frozen = std::make_unique<cnn::FrozenNet>(impl_->net);
    }
    if (companions) {
        const std::string pair_path = pair_model_beside(model_path);
        if (std::filesystem::exists(pair_path)) impl_->pairs = std::make_unique<PairReader>(pair_path);
        const std::string number_path = number_model_beside(model_path);
        if (std::filesystem::exists(number_path)) {
            impl_->numbers = std::make_unique<Classifier>(number_path, warm_workspaces, false);
            if (impl_->numbers->classes() != impl_->classes)
                throw std::runtime_error(number_path + ": reads " +
                                         std::to_string(impl_->numbers->classes()) +
                                         " classes, the digit model " + std::to_string(impl_->classes));
        }
    }
    {
        // The file's name and a checksum of the files loaded, each CRC-32 taken of the very bytes loaded
        // (the file is read once: a pipe works, and a file replaced meanwhile cannot give a wrong version),
        // so that a new file under the same name, or new companions beside it, make another version.
        const std::uint32_t crcs[3] = {impl_->crc, impl_->pairs ? impl_->pairs->checksum() : 0u,
                                       impl_->numbers ? impl_->numbers->impl_->crc : 0u};
        char hex[9];
        std::snprintf(hex, sizeof hex, "%08x",
                      unsigned(cnn::crc32(reinterpret_cast<const std::uint8_t*>(crcs), sizeof crcs)));
        impl_->version = std::filesystem::path(model_path).filename().string() + "@" + hex;
    }
    // A workspace grows to the largest run it serves: a batch chunk (kBatchChunk images) covers single
    // images too.
    const std::vector<float> blank(kBatchChunk * kImagePixels, 0.0f);
    std::vector<float> logits(kBatchChunk * impl_->frozen->output_shape().size());
    for (int i = 0; i < warm_workspaces; ++i) {
        auto ws = std::make_unique<cnn::FrozenNet::Workspace>();
        impl_->frozen->run(blank.data(), int(kBatchChunk), logits.data(), *ws);
        impl_->idle.push_back(std::move(ws));
    }
}

Classifier::~Classifier() = default;

const std::string& Classifier::version() const {
    return impl_->version;
}

std::vector<Prediction> Classifier::predict_batch(const std::vector<Image28>& images,
                                                  Decision decision) const {
    std::vector<float> input(images.size() * kImagePixels);
    for (size_t i = 0; i < images.size(); ++i)
        for (int p = 0; p < kImagePixels; ++p)
            input[i * kImagePixels + p] = (images[i][p] - impl_->mean) / impl_->std;
    return predict_normalised(input.data(), images.size(), decision);
}

std::vector<Prediction> Classifier::predict_normalised(const float* inputs, std::size_t count,
                                                       Decision decision) const {
    std::vector<Prediction> results(count);
    if (count == 0) return results;
    const std::size_t outputs = std::size_t(impl_->outputs), ran = impl_->frozen->output_shape().size();
    std::vector<float> out(count * ran);
    // Workspaces grow to the largest run they have served; running a batch a few images at a time keeps
    // every pooled workspace small, so memory stays bounded whatever mix of requests the server sees.
    auto ws = impl_->acquire();
    for (size_t first = 0; first < count; first += kBatchChunk) {
        const size_t n = std::min(kBatchChunk, count - first);
        impl_->frozen->run(inputs + first * kImagePixels, int(n), out.data() + first * ran, *ws);
    }
    impl_->release(std::move(ws));
    if (impl_->density.empty()) {
        for (size_t i = 0; i < count; ++i)
            results[i] = decide(out.data() + i * outputs, int(outputs), impl_->calibration);
        return results;
    }
    // `out` holds the features: the last dense layer and the density read them.
    std::vector<float> logits(count * outputs), density(count);
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> f(
        out.data(), Eigen::Index(count), Eigen::Index(ran)),
        w(impl_->head_weight.data(), Eigen::Index(outputs), Eigen::Index(ran));
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> z(
        logits.data(), Eigen::Index(count), Eigen::Index(outputs));
    z.noalias() = f * w.transpose();
    z.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(impl_->head_bias.data(), Eigen::Index(outputs));
    if (decision == Decision::digit_score) {
        for (size_t i = 0; i < count; ++i)
            results[i] = decide(logits.data() + i * outputs, int(outputs), impl_->calibration);
        return results;
    }
    impl_->density.log_density_of_likeliest(out.data(), logits.data(), count, int(outputs), density.data());
    for (size_t i = 0; i < count; ++i)
        results[i] = decide(logits.data() + i * outputs, int(outputs), impl_->calibration, &density[i]);
    return results;
}

Prediction Classifier::predict(const Image28& image) const {
    return predict_batch({image}).front();
}

const PairReader* Classifier::pairs() const {
    return impl_->pairs.get();
}

std::string pair_model_beside(const std::string& model_path) {
    return (std::filesystem::path(model_path).parent_path() / "pairnet.cnn").string();
}

const Classifier& Classifier::numbers() const {
    return impl_->numbers ? *impl_->numbers : *this;
}

std::vector<Prediction> Classifier::read_pieces(const std::vector<Image28>& images) const {
    const Classifier& reader = numbers();
    std::vector<Prediction> read = reader.predict_batch(images, Decision::digit_score);
    if (&reader == this) return read;
    // The number model has seen digits drawn every way, the digit model what is not a digit: a piece the
    // number model reads as a digit is one only if the digit model takes it for one too.
    std::vector<Image28> asked;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < read.size(); ++i)
        if (read[i].reason != Rejection::not_a_digit) asked.push_back(images[i]), index.push_back(i);
    if (asked.empty()) return read;
    const std::vector<Prediction> judged = predict_batch(asked, Decision::digit_score);
    for (std::size_t k = 0; k < index.size(); ++k) {
        Prediction& p = read[index[k]];
        if (judged[k].reason != Rejection::not_a_digit) continue;
        p.digit_score = judged[k].digit_score;
        p.reason = Rejection::not_a_digit;
        p.is_digit = false;
    }
    return read;
}

std::string number_model_beside(const std::string& model_path) {
    return (std::filesystem::path(model_path).parent_path() / "readnet.cnn").string();
}

struct PairReader::Impl {
    std::string path;
    std::uint32_t crc = 0;
    cnn::Sequential net;
    std::unique_ptr<cnn::FrozenNet> frozen;
    float mean = kMnistMean, std = kMnistStd, temperature = 1.0f;
    std::mutex mutex;
    std::vector<std::unique_ptr<cnn::FrozenNet::Workspace>> idle;
};

PairReader::PairReader(const std::string& model_path) : impl_(std::make_unique<Impl>()) {
    impl_->path = model_path;
    impl_->net = load_counted(model_path, impl_->crc);
    const cnn::Shape in = impl_->net.input_shape(), out = impl_->net.output_shape();
    if (in != cnn::Shape{1, kImageSide, kWideSide} || out.size() != 110)
        throw std::runtime_error(model_path + ": not a pair reader of 28x56 inputs with 110 outputs (input " +
                                 in.str() + ", " + std::to_string(out.size()) + " outputs)");
    impl_->mean = metadata_float(impl_->net.metadata, "input_mean", kMnistMean);
    impl_->std = metadata_float(impl_->net.metadata, "input_std", kMnistStd);
    impl_->temperature = metadata_float(impl_->net.metadata, "temperature", 1.0f);
    if (!(impl_->std > 0.0f) || !(impl_->temperature > 0.0f))
        throw std::runtime_error(model_path + ": input_std and temperature must be positive");
    impl_->frozen = std::make_unique<cnn::FrozenNet>(impl_->net);
}

PairReader::~PairReader() = default;

std::uint32_t PairReader::checksum() const {
    return impl_->crc;
}

const std::string& PairReader::path() const {
    return impl_->path;
}

nlohmann::json PairReader::info() const {
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& [k, v] : impl_->net.metadata) metadata[k] = v;
    return {{"architecture", "pairnet"},
            {"parameters", impl_->net.parameter_count()},
            {"temperature", impl_->temperature},
            {"input", {{"shape", {1, kImageSide, kWideSide}}, {"mean", impl_->mean}, {"std", impl_->std}}},
            {"answers", "110: one digit 0-9, or the pair \"ab\" at 10 + 10a + b"},
            {"metadata", metadata}};
}

std::vector<PairPrediction> PairReader::read(const std::vector<ImageWide>& images) const {
    std::vector<PairPrediction> results(images.size());
    if (images.empty()) return results;
    std::vector<float> input(images.size() * kWidePixels), logits(images.size() * 110);
    for (size_t i = 0; i < images.size(); ++i)
        for (int p = 0; p < kWidePixels; ++p)
            input[i * kWidePixels + size_t(p)] = (images[i][size_t(p)] - impl_->mean) / impl_->std;
    std::unique_ptr<cnn::FrozenNet::Workspace> ws;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (!impl_->idle.empty()) ws = std::move(impl_->idle.back()), impl_->idle.pop_back();
    }
    if (!ws) ws = std::make_unique<cnn::FrozenNet::Workspace>();
    for (size_t first = 0; first < images.size(); first += kBatchChunk) {
        const size_t n = std::min(kBatchChunk, images.size() - first);
        impl_->frozen->run(input.data() + first * kWidePixels, int(n), logits.data() + first * 110, *ws);
    }
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->idle.push_back(std::move(ws));
    }
    for (size_t i = 0; i < images.size(); ++i) {
        float scaled[110], p[110];
        for (int k = 0; k < 110; ++k) scaled[k] = logits[i * 110 + size_t(k)] / impl_->temperature;
        cnn::softmax(scaled, p, 110);
        PairPrediction& r = results[i];
        float one = 0.0f;
        for (int k = 0; k < 10; ++k) one += p[k];
        r.two = 1.0f - one;
        for (int k = 0; k < 10; ++k) r.single[size_t(k)] = p[k] / std::max(one, 1e-12f);
        for (int k = 0; k < 100; ++k) r.pair[size_t(k)] = p[10 + k] / std::max(r.two, 1e-12f);
        r.best_pair = int(std::max_element(r.pair.begin(), r.pair.end()) - r.pair.begin());
    }
    return results;
}

int Classifier::classes() const {
    return impl_->classes;
}

const Calibration& Classifier::calibration() const {
    return impl_->calibration;
}

const char* rejection_name(Rejection reason) {
    switch (reason) {
        case Rejection::not_a_digit:
            return "not_a_digit";
        case Rejection::low_confidence:
            return "low_confidence";
        case Rejection::none:
            break;
    }
    return "";
}

Calibration calibration_of(const std::map<std::string, std::string>& metadata) {
    Calibration c;
    c.temperature = metadata_float(metadata, "temperature", 1.0f);
    c.threshold = metadata_float(metadata, "digit_threshold", 0.0f);
    c.low_confidence = metadata_float(metadata, "low_confidence_threshold", 0.0f);
    const auto it = metadata.find("rejection");
    c.reject_output = it != metadata.end() && it->second == "class";
    return c;
}

Calibration with_density(Calibration c, const std::map<std::string, std::string>& metadata) {
    c.typical = true;
    c.digit_weight = metadata_float(metadata, "density_digit_weight", 1.0f);
    c.score_mean = metadata_float(metadata, "density_score_mean", 0.0f);
    c.score_std = metadata_float(metadata, "density_score_std", 1.0f);
    c.density_mean = metadata_float(metadata, "density_mean", 0.0f);
    c.density_std = metadata_float(metadata, "density_std", 1.0f);
    c.typical_threshold = metadata_float(metadata, "typical_threshold", -1e30f);
    if (!(c.score_std > 0.0f) || !(c.density_std > 0.0f) ||
        !(c.digit_weight >= 0.0f && c.digit_weight <= 1.0f))
        throw std::runtime_error(
            "the feature density's standard deviations must be positive and its weight in [0, 1]");
    return c;
}

float typicality(float digit_score, float log_density, const Calibration& c) {
    const double p = std::clamp(double(digit_score), 1e-7, 1.0 - 1e-7);
    return float(c.digit_weight * (std::log(p / (1.0 - p)) - c.score_mean) / c.score_std +
                 (1.0 - c.digit_weight) * (double(log_density) - c.density_mean) / c.density_std);
}

namespace {

// Whether each of the k d x d matrices stacked in `m` (row-major) is lower triangular.
template <typename T>
bool lower_triangular(const std::vector<T>& m, size_t k, size_t d) {
    for (size_t c = 0; c < k; ++c)
        for (size_t r = 0; r < d; ++r)
            for (size_t j = r + 1; j < d; ++j)
                if (m[(c * d + r) * d + j] != T(0)) return false;
    return true;
}

}  // namespace

FeatureDensity::FeatureDensity(int features, int classes, const std::vector<double>& means,
                               const std::vector<double>& whitening,
                               const std::vector<double>& log_determinants)
    : features_(features), classes_(classes) {
    const size_t d = size_t(features), k = size_t(classes);
    if (features <= 0 || classes <= 0 || means.size() != k * d || whitening.size() != k * d * d ||
        log_determinants.size() != k)
        throw std::invalid_argument("FeatureDensity: means, whitening or determinants of the wrong size");
    if (!lower_triangular(whitening, k, d))
        throw std::invalid_argument("FeatureDensity: a whitening matrix that is not lower triangular");
    weight_.assign(whitening.begin(), whitening.end());
    bias_.assign(k * d, 0.0f);
    offset_.assign(log_determinants.begin(), log_determinants.end());
    for (size_t c = 0; c < k; ++c)
        for (size_t r = 0; r < d; ++r) {
            double v = 0.0;
            for (size_t j = 0; j < d; ++j) v += whitening[(c * d + r) * d + j] * means[c * d + j];
            bias_[c * d + r] = float(-v);
        }
}

FeatureDensity::FeatureDensity(const std::vector<std::pair<std::string, std::vector<float>>>& tensors,
                               int features) {
    const std::vector<float>*weight = nullptr, *bias = nullptr, *offset = nullptr;
    for (const auto& [name, t] : tensors) {
        if (name == "density.weight") weight = &t;
        if (name == "density.bias") bias = &t;
        if (name == "density.offset") offset = &t;
    }
    if (!weight && !bias && !offset) return;
    const size_t d = size_t(std::max(features, 0)), k = offset ? offset->size() : 0;
    if (!weight || !bias || !offset || d == 0 || k == 0 || bias->size() != k * d ||
        weight->size() != k * d * d)
        throw std::runtime_error("the feature density's tensors do not fit the last layer's " +
                                 std::to_string(features) + " inputs");
    if (!lower_triangular(*weight, k, d))
        throw std::runtime_error("the feature density's whitening matrices are not lower triangular");
    features_ = features;
    classes_ = int(k);
    weight_ = *weight;
    bias_ = *bias;
    offset_ = *offset;
}

std::vector<std::pair<std::string, std::vector<float>>> FeatureDensity::tensors() const {
    return {{"density.weight", weight_}, {"density.bias", bias_}, {"density.offset", offset_}};
}

void FeatureDensity::log_density(const float* features, std::size_t count, const int* digits, int per_image,
                                 float* out) const {
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Index d = features_;
    for (std::size_t i = 0; i < count; ++i) {
        const Eigen::Map<const Eigen::VectorXf> f(features + i * size_t(d), d);
        float best = -std::numeric_limits<float>::infinity();
        for (int c = 0; c < per_image; ++c) {
            const int k = std::clamp(digits[i * size_t(per_image) + size_t(c)], 0, classes_ - 1);
            const Eigen::Map<const RowMajor> w(weight_.data() + size_t(k) * size_t(d * d), d, d);
            const Eigen::Map<const Eigen::VectorXf> b(bias_.data() + size_t(k) * size_t(d), d);
            // L_k is lower triangular (the inverse of a Cholesky factor): half the products.
            const Eigen::VectorXf y = w.triangularView<Eigen::Lower>() * f + b;
            best = std::max(best, -(y.squaredNorm() + offset_[size_t(k)]));
        }
        out[i] = best;
    }
}

void FeatureDensity::log_density_of_likeliest(const float* features, const float* logits, std::size_t count,
                                              int outputs, float* out) const {
    const int candidates = std::min(kDensityCandidates, classes_);
    const std::vector<int> digits = likeliest_classes(logits, count, outputs, classes_, candidates);
    log_density(features, count, digits.data(), candidates, out);
}

std::vector<int> likeliest_classes(const float* logits, std::size_t count, int outputs, int classes,
                                   int per_image) {
    per_image = std::clamp(per_image, 1, classes);
    std::vector<int> result(count * size_t(per_image));
    std::vector<int> order(static_cast<size_t>(classes));
    for (std::size_t i = 0; i < count; ++i) {
        const float* z = logits + i * size_t(outputs);
        for (int k = 0; k < classes; ++k) order[size_t(k)] = k;
        std::partial_sort(order.begin(), order.begin() + per_image, order.end(),
                          [z](int a, int b) { return z[a] > z[b]; });
        std::copy(order.begin(), order.begin() + per_image,
                  result.begin() + std::ptrdiff_t(i * size_t(per_image)));
    }
    return result;
}

Prediction decide(const float* logits, int outputs, const Calibration& calibration,
                  const float* log_density) {
    std::vector<float> scaled(static_cast<size_t>(outputs)), p(static_cast<size_t>(outputs));
    for (int k = 0; k < outputs; ++k) scaled[size_t(k)] = logits[k] / calibration.temperature;
    cnn::softmax(scaled.data(), p.data(), outputs);
    const int classes = outputs - (calibration.reject_output ? 1 : 0);
    Prediction r;
    r.probabilities.assign(p.begin(), p.begin() + classes);
    r.digit = int(std::max_element(r.probabilities.begin(), r.probabilities.end()) - r.probabilities.begin());
    r.confidence = r.probabilities[size_t(r.digit)];
    float mass = 0.0f;
    for (float v : r.probabilities) mass += v;
    if (calibration.reject_output && mass > 0.0f)
        for (float& v : r.probabilities) v /= mass;
    r.digit_score = calibration.reject_output ? mass : r.confidence;
    const bool typical = calibration.typical && log_density;
    if (typical) r.typicality = typicality(r.digit_score, *log_density, calibration);
    const bool low = r.confidence < calibration.low_confidence;
    const bool untypical =
        typical ? r.typicality < calibration.typical_threshold : r.digit_score < calibration.threshold;
    r.reason = untypical ? Rejection::not_a_digit : low ? Rejection::low_confidence : Rejection::none;
    r.is_digit = r.reason == Rejection::none;
    return r;
}

nlohmann::json Classifier::info() const {
    const Calibration& c = impl_->calibration;
    auto density_info = [&] {
        return nlohmann::json{{"features", impl_->density.features()},
                              {"digit_weight", c.digit_weight},
                              {"score_mean", c.score_mean},
                              {"score_std", c.score_std},
                              {"density_mean", c.density_mean},
                              {"density_std", c.density_std},
                              {"typical_threshold", c.typical_threshold}};
    };
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
        {"model_version", impl_->version},
        {"classes", impl_->classes},
        {"decision",
         {{"temperature", impl_->calibration.temperature},
          {"digit_threshold", impl_->calibration.threshold},
          {"low_confidence_threshold", impl_->calibration.low_confidence},
          {"rejection", get("rejection")},
          {"rule", get("threshold_rule")},
          {"feature_density", impl_->density.empty() ? nlohmann::json(nullptr) : density_info()},
          {"description",
           impl_->density.empty()
               ? "probabilities = softmax(outputs / temperature); an image whose digit score (the "
                 "probability "
                 "of any digit) is under digit_threshold is not_a_digit; a digit whose confidence is under "
                 "low_confidence_threshold is low_confidence"
               : "probabilities = softmax(outputs / temperature); an image whose typicality (digit_weight x "
                 "the standardised logit of its digit score, the probability of any digit, plus the rest x "
                 "the standardised log-density of its features under the digits' Gaussians) is under "
                 "typical_threshold is not_a_digit; a digit whose confidence is under "
                 "low_confidence_threshold is low_confidence"}}},
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
        {"pair_reader", impl_->pairs ? impl_->pairs->info() : nlohmann::json(nullptr)},
        {"number_model", impl_->numbers ? impl_->numbers->info() : nlohmann::json(nullptr)},
    };
}

}  // namespace digit
