#include "line_reader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "error.hpp"
#include "models.hpp"
#include "normalise.hpp"

namespace digit {

bool parse_charset(const std::string& name, Charset& charset) {
    if (name == "numeric") return charset = Charset::numeric, true;
    if (name == "digits") return charset = Charset::digits, true;
    return false;
}

std::string line_model_beside(const std::string& digit_model_path) {
    const std::size_t slash = digit_model_path.find_last_of('/');
    return (slash == std::string::npos ? std::string() : digit_model_path.substr(0, slash + 1)) +
           "linenet.cnn";
}

std::string orientation_model_beside(const std::string& line_model_path) {
    const std::size_t slash = line_model_path.find_last_of('/');
    return (slash == std::string::npos ? std::string() : line_model_path.substr(0, slash + 1)) +
           "orientnet.cnn";
}

std::vector<Image28> orientation_glyphs(const InkMap& ink, const Components& components,
                                        const std::vector<std::uint8_t>* skipped) {
    std::vector<std::pair<int, int>> sides;  // (longer side, component)
    for (int i = 0; i < int(components.list.size()); ++i) {
        const Component& c = components.list[std::size_t(i)];
        if (c.clutter || (skipped && (*skipped)[std::size_t(i)])) continue;
        sides.push_back({std::max(c.box.width(), c.box.height()), i});
    }
    std::vector<Image28> out;
    if (sides.empty()) return out;
    std::sort(sides.begin(), sides.end(), std::greater<>());
    // The tall ones: the component a quarter of the way down the sizes (one long underline or doodle does
    // not set the scale).
    const int tall = sides[sides.size() / 4].first;
    for (const auto& [side, i] : sides) {
        if (out.size() >= kOrientationGlyphs || 20 * side < 9 * tall) break;
        DigitGroup g;
        g.members = {i};
        g.box = components.list[std::size_t(i)].box;
        g.mass = components.list[std::size_t(i)].mass;
        g.area = components.list[std::size_t(i)].area;
        try {
            out.push_back(normalise_digit(ink, components, g));
        } catch (const ImageError&) {
        }
    }
    return out;
}

Image28 turn_glyph(const Image28& glyph, int quarter) {
    const int q = ((quarter % 4) + 4) % 4, n = kImageSide - 1;
    Image28 out{};
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x) {
            // Where the new pixel (x, y) came from, as turn_ink's frame says.
            int ox = x, oy = y;
            if (q == 1) ox = y, oy = n - x;
            if (q == 2) ox = n - x, oy = n - y;
            if (q == 3) ox = n - y, oy = x;
            out[std::size_t(y * kImageSide + x)] = glyph[std::size_t(oy * kImageSide + ox)];
        }
    return out;
}

struct OrientationReader::Impl {
    cnn::Sequential net;
    std::unique_ptr<cnn::FrozenNet> frozen;  // read-only: one for every thread
    float temperature = 1.0f, mean = kMnistMean, std_dev = kMnistStd;
    std::mutex mutex;
    std::vector<std::unique_ptr<cnn::FrozenNet::Workspace>> idle;

    void adopt(cnn::Sequential model) {
        const auto it = model.metadata.find("architecture");
        if (it == model.metadata.end() || it->second != "orientnet" ||
            model.input_shape() != cnn::Shape{1, kImageSide, kImageSide} || model.output_shape().size() != 4)
            throw std::runtime_error("not an orientation model (1x28x28 in, 4 turns out)");
        temperature = metadata_float(model.metadata, "temperature", 1.0f);
        if (!(temperature > 0.05f && temperature < 20.0f)) temperature = 1.0f;
        mean = metadata_float(model.metadata, "input_mean", kMnistMean);
        std_dev = metadata_float(model.metadata, "input_std", kMnistStd);
        net = std::move(model);
        frozen = std::make_unique<cnn::FrozenNet>(net);
    }
};

OrientationReader::OrientationReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->adopt(cnn::load(path));
}
OrientationReader::OrientationReader(cnn::Sequential net) : impl_(std::make_unique<Impl>()) {
    impl_->adopt(std::move(net));
}
OrientationReader::~OrientationReader() = default;

std::vector<std::array<double, 4>> OrientationReader::read(const std::vector<Image28>& glyphs) const {
    std::vector<std::array<double, 4>> out;
    if (glyphs.empty()) return out;
    std::vector<float> input(glyphs.size() * kImagePixels), logits(glyphs.size() * 4);
    for (std::size_t n = 0; n < glyphs.size(); ++n)
        for (std::size_t p = 0; p < kImagePixels; ++p)
            input[n * kImagePixels + p] = (glyphs[n][p] - impl_->mean) / impl_->std_dev;
    std::unique_ptr<cnn::FrozenNet::Workspace> ws;
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        if (!impl_->idle.empty()) ws = std::move(impl_->idle.back()), impl_->idle.pop_back();
    }
    if (!ws) ws = std::make_unique<cnn::FrozenNet::Workspace>();
    impl_->frozen->run(input.data(), int(glyphs.size()), logits.data(), *ws);
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->idle.push_back(std::move(ws));
    }
    for (std::size_t n = 0; n < glyphs.size(); ++n) {
        std::array<double, 4> z{};
        for (std::size_t k = 0; k < 4; ++k) z[k] = double(logits[n * 4 + k]) / impl_->temperature;
        const double top = *std::max_element(z.begin(), z.end());
        double sum = 0.0;
        for (double v : z) sum += std::exp(v - top);
        for (double& v : z) v = v - top - std::log(sum);
        out.push_back(z);
    }
    return out;
}

std::array<double, 4> OrientationReader::turn_chances(const std::vector<Image28>& glyphs,
                                                      const std::array<double, 4>& log_prior) const {
    std::array<double, 4> total = log_prior;
    for (const std::array<double, 4>& g : read(glyphs))
        for (int k = 0; k < 4; ++k) total[std::size_t(k)] += g[std::size_t(k)];
    const double top = *std::max_element(total.begin(), total.end());
    double sum = 0.0;
    for (double& v : total) sum += (v = std::exp(v - top));
    for (double& v : total) v /= sum;
    return total;
}

std::unique_ptr<LineReader> load_line_reader(const std::string& digit_model_path, const std::string& path) {
    const std::string file = path.empty() ? line_model_beside(digit_model_path) : path;
    if (file == "none" || (path.empty() && !std::ifstream(file).good())) return nullptr;
    try {
        return std::make_unique<LineReader>(file);
    } catch (const std::exception& e) {
        const std::string why = e.what();
        throw std::runtime_error(why.find(file) == std::string::npos ? file + ": " + why : why);
    }
}

void strips_to_batch(const std::vector<const Plane*>& strips, float mean, float std_dev, cnn::Tensor& batch,
                     std::vector<int>& columns) {
    int widest = 4;
    for (const Plane* s : strips) {
        cnn::check(
            s->height == kLineNetHeight && s->width >= 4 && s->width % 4 == 0,
            "a line strip must be " + std::to_string(kLineNetHeight) + " px high, its width a multiple of 4");
        widest = std::max(widest, s->width);
    }
    batch.resize(int(strips.size()), 1, kLineNetHeight, widest);
    const float background = -mean / std_dev;
    columns.clear();
    for (std::size_t n = 0; n < strips.size(); ++n) {
        const Plane& s = *strips[n];
        float* out = batch.data() + n * std::size_t(kLineNetHeight) * std::size_t(widest);
        for (int y = 0; y < kLineNetHeight; ++y)
            for (int x = 0; x < widest; ++x)
                out[std::size_t(y) * std::size_t(widest) + std::size_t(x)] =
                    x < s.width ? (s(x, y) - mean) / std_dev : background;
        columns.push_back(s.width / 4);
    }
}

float LineCalibration::confidence(double log_likelihood, double log_share) const {
    const double ll = std::max(-700.0, log_likelihood);
    if (!platt) return float(std::exp(ll));
    const double z = double(a) * ll + double(c) * std::max(-60.0, log_share) + double(b);
    return float(1.0 / (1.0 + std::exp(-std::clamp(z, -60.0, 60.0))));
}

TextPrior TextPrior::fit(const std::vector<std::string>& texts, const std::string& alphabet, int order,
                         double discount) {
    if (order < 1 || order > 6) throw std::invalid_argument("a text prior's order must be 1 to 6");
    if (alphabet.empty()) throw std::invalid_argument("a text prior needs an alphabet");
    const std::size_t V = alphabet.size() + 1, boundary = alphabet.size();
    std::vector<std::size_t> power(std::size_t(order) + 1, 1);
    for (std::size_t k = 1; k < power.size(); ++k) power[k] = power[k - 1] * V;
    // counts[k]: the (k+1)-grams, oldest symbol most significant; the highest order raw, the lower ones
    // continuation counts (how many symbols come before them).
    std::vector<std::vector<double>> counts(static_cast<std::size_t>(order));
    for (int k = 0; k < order; ++k) counts[std::size_t(k)].assign(power[std::size_t(k) + 1], 0.0);
    std::vector<std::size_t> seq;
    for (const std::string& text : texts) {
        seq.assign(std::size_t(order - 1), boundary);
        for (char ch : text) {
            const std::size_t k = alphabet.find(ch);
            if (k == std::string::npos)
                throw std::invalid_argument(std::string("a text for the prior holds '") + ch + "'");
            seq.push_back(k);
        }
        seq.push_back(boundary);
        for (std::size_t i = std::size_t(order - 1); i < seq.size(); ++i) {
            std::size_t code = 0;
            for (std::size_t j = i + 1 - std::size_t(order); j <= i; ++j) code = code * V + seq[j];
            counts[std::size_t(order - 1)][code] += 1.0;
        }
    }
    for (int k = order - 2; k >= 0; --k) {
        const std::vector<double>& higher = counts[std::size_t(k) + 1];
        for (std::size_t code = 0; code < higher.size(); ++code)
            if (higher[code] > 0) counts[std::size_t(k)][code % power[std::size_t(k) + 1]] += 1.0;
    }
    // P_1 interpolated with the uniform, each higher order with the one under it.
    std::vector<double> lower(V, 1.0 / double(V));
    for (int k = 0; k < order; ++k) {
        const std::vector<double>& c = counts[std::size_t(k)];
        const std::size_t contexts = power[std::size_t(k)];
        std::vector<double> p(contexts * V);
        for (std::size_t h = 0; h < contexts; ++h) {
            // The context without its oldest symbol, as the order under it sees it.
            const std::size_t shorter = k == 0 ? 0 : h % power[std::size_t(k) - 1];
            double sum = 0.0, types = 0.0;
            for (std::size_t w = 0; w < V; ++w) sum += c[h * V + w], types += c[h * V + w] > 0;
            for (std::size_t w = 0; w < V; ++w) {
                const double below = lower[shorter * V + w];
                p[h * V + w] = sum > 0
                                   ? (std::max(c[h * V + w] - discount, 0.0) + discount * types * below) / sum
                                   : below;
            }
        }
        lower = std::move(p);
    }
    TextPrior out;
    out.order_ = order;
    out.symbols_ = int(V);
    out.alphabet_ = alphabet;
    out.table_.resize(1, 1, int(power[std::size_t(order) - 1]), int(V));
    for (std::size_t i = 0; i < lower.size(); ++i) out.table_.data()[i] = float(std::log(lower[i]));
    return out;
}

TextPrior TextPrior::from_table(const cnn::Tensor& table, const std::string& alphabet, int order) {
    if (order < 1 || order > 6) throw std::runtime_error("the text prior's order must be 1 to 6");
    const std::size_t V = alphabet.size() + 1;
    std::size_t contexts = 1;
    for (int k = 1; k < order; ++k) contexts *= V;
    if (table.n() != 1 || table.c() != 1 || std::size_t(table.h()) != contexts || std::size_t(table.w()) != V)
        throw std::runtime_error("the text prior's table does not fit its alphabet and order");
    for (std::size_t i = 0; i < table.size(); ++i)
        if (!(table.data()[i] <= 0.0f) || !std::isfinite(table.data()[i]))
            throw std::runtime_error("the text prior's table holds a value that is no log-probability");
    TextPrior out;
    out.order_ = order;
    out.symbols_ = int(V);
    out.alphabet_ = alphabet;
    out.table_ = table;
    return out;
}

std::size_t TextPrior::context_of(const std::vector<int>& prefix) const {
    const std::size_t V = std::size_t(symbols_), boundary = V - 1;
    std::size_t code = 0;
    const int n = int(prefix.size());
    for (int i = n - (order_ - 1); i < n; ++i) {
        const int label = i < 0 ? 0 : prefix[std::size_t(i)];
        code = code * V + (label >= 1 && std::size_t(label) < V ? std::size_t(label - 1) : boundary);
    }
    return code;
}

double TextPrior::next(const std::vector<int>& prefix, int label) const {
    if (empty() || label < 1 || label >= symbols_) return 0.0;
    return double(table_.data()[context_of(prefix) * std::size_t(symbols_) + std::size_t(label - 1)]);
}

double TextPrior::end(const std::vector<int>& sequence) const {
    if (empty()) return 0.0;
    return double(table_.data()[context_of(sequence) * std::size_t(symbols_) + std::size_t(symbols_ - 1)]);
}

double TextPrior::log_probability(const std::string& text) const {
    std::vector<int> labels;
    double total = 0.0;
    for (char ch : text) {
        const std::size_t k = alphabet_.find(ch);
        if (k == std::string::npos) return -std::numeric_limits<double>::infinity();
        total += next(labels, int(k) + 1);
        labels.push_back(int(k) + 1);
    }
    return total + end(labels);
}

LineText decode_line(const cnn::Tensor& logits, int sample, int columns, const std::string& alphabet,
                     Charset charset, const LineCalibration& calibration, const TextPrior* prior,
                     const PriorFusion& fusion) {
    const float temperature = calibration.temperature;
    const int C = logits.c();
    cnn::check(C == 1 + int(alphabet.size()), "line reader: " + std::to_string(C) +
                                                  " outputs for an alphabet of " +
                                                  std::to_string(alphabet.size()));
    const int T = std::min(columns, logits.w());
    cnn::Tensor scaled(1, C, 1, T);
    for (int k = 0; k < C; ++k)
        for (int t = 0; t < T; ++t) scaled.at(0, k, 0, t) = logits.at(sample, k, 0, t) / temperature;
    const std::vector<double> lp = cnn::ctc_log_probabilities(scaled, 0, T);
    std::vector<int> labels;
    double ll = 0.0, log_prior = 0.0, log_share = 0.0;
    if (charset == Charset::numeric && prior != nullptr && !prior->empty()) {
        cnn::CtcPrior fused;
        fused.next = [prior](const std::vector<int>& p, int label) { return prior->next(p, label); };
        fused.end = [prior](const std::vector<int>& p) { return prior->end(p); };
        fused.weight = fusion.weight, fused.bonus = fusion.bonus;
        cnn::CtcConstraint any;
        any.prune = std::log(std::clamp(fusion.floor, 1e-12, 1.0));
        const cnn::CtcBeamResult beam =
            cnn::ctc_prefix_beam_search(lp, T, C, std::max(1, fusion.beam), any, fused);
        labels = beam.labels;
        log_prior = beam.log_prior;
        double all = cnn::ctc_detail::kNegInf;
        for (const cnn::CtcHypothesis& h : beam.finalists) all = cnn::ctc_detail::log_add(all, h.score);
        log_share = beam.finalists.empty() ? 0.0 : beam.finalists.front().score - all;
        ll = cnn::ctc_log_likelihood(lp, T, C, labels);
    } else if (charset == Charset::numeric) {
        labels = cnn::ctc_best_path(lp, T, C);
        ll = cnn::ctc_log_likelihood(lp, T, C, labels);
    } else {
        cnn::CtcConstraint only;
        for (int k = 0; k < int(alphabet.size()); ++k)
            if (alphabet[std::size_t(k)] >= '0' && alphabet[std::size_t(k)] <= '9')
                only.allowed.push_back(k + 1);
        const cnn::CtcBeamResult beam = cnn::ctc_prefix_beam_search(lp, T, C, 10, only);
        labels = beam.labels;
        ll = beam.found ? cnn::ctc_log_likelihood(lp, T, C, labels) : -1e30;
    }
    LineText line;
    line.log_likelihood = ll;
    line.log_prior = log_prior;
    line.log_share = log_share;
    line.confidence = labels.empty() && ll < -1e29 ? 0.0f : calibration.confidence(ll, log_share);
    const std::vector<cnn::CtcChar> spans = cnn::ctc_align(lp, T, C, labels);
    for (std::size_t i = 0; i < spans.size(); ++i) {
        LineCharacter ch;
        ch.ch = alphabet[std::size_t(spans[i].label - 1)];
        ch.confidence = spans[i].confidence;
        ch.first_column = spans[i].first;
        ch.last_column = spans[i].last;
        // Between its neighbours: halfway to the previous character's columns and to the next one's.
        const float left = i == 0 ? 0.0f : 0.5f * float(spans[i - 1].last + 1 + spans[i].first);
        const float right =
            i + 1 == spans.size() ? float(T) : 0.5f * float(spans[i].last + 1 + spans[i + 1].first);
        ch.x0 = 4.0f * left;
        ch.x1 = 4.0f * right;
        line.text += ch.ch;
        line.characters.push_back(ch);
    }
    return line;
}

struct LineReader::Impl {
    std::vector<std::uint8_t> bytes;  // the model, for each thread's own copy
    std::map<std::string, std::string> metadata;
    std::string alphabet;
    LineCalibration calibration, plain_calibration;  // in use; fitted for the columns alone
    TextPrior prior;
    PriorFusion fusion;
    float mean = kMnistMean, std_dev = kMnistStd;
    std::size_t parameters = 0;
    std::mutex mutex;
    std::vector<std::unique_ptr<cnn::Sequential>> idle;
    std::unique_ptr<OrientationReader> orientation;

    void adopt(cnn::Sequential& net) {
        metadata = net.metadata;
        const auto it = metadata.find("alphabet");
        if (it == metadata.end() || metadata["architecture"] != "linenet")
            throw std::runtime_error("not a line reader model (no alphabet)");
        alphabet = it->second;
        cnn::Shape in = net.input_shape();
        if (in.c != 1 || in.h != kLineNetHeight || !net.variable_width())
            throw std::runtime_error("not a line reader model (input " + in.str() + ")");
        float temperature = metadata_float(metadata, "calibration.temperature", 1.0f);
        if (!(temperature > 0.05f && temperature < 20.0f)) temperature = 1.0f;
        calibration.temperature = temperature;
        calibration.a = metadata_float(metadata, "calibration.platt_a", 1.0f);
        calibration.b = metadata_float(metadata, "calibration.platt_b", 0.0f);
        calibration.platt = metadata.count("calibration.platt_a") && std::isfinite(calibration.a) &&
                            std::isfinite(calibration.b);
        mean = metadata_float(metadata, "input_mean", kMnistMean);
        std_dev = metadata_float(metadata, "input_std", kMnistStd);
        parameters = net.parameter_count();
        plain_calibration = calibration;
    }
    // The text prior the file holds beside the network, with its fusion and its calibration.
    void adopt_prior(const cnn::NamedTensors& extra) {
        for (const auto& [name, table] : extra) {
            if (name != "text_prior") continue;
            const int order = int(metadata_float(metadata, "prior.order", 0.0f));
            TextPrior p = TextPrior::from_table(table, alphabet, order);
            PriorFusion f;
            f.weight = metadata_float(metadata, "prior.weight", 0.0f);
            f.bonus = metadata_float(metadata, "prior.bonus", 0.0f);
            f.beam = std::clamp(int(metadata_float(metadata, "prior.beam", 8.0f)), 1, 64);
            f.floor = metadata_float(metadata, "prior.floor", 1e-4f);
            LineCalibration c = plain_calibration;
            c.a = metadata_float(metadata, "prior.platt_a", 1.0f);
            c.b = metadata_float(metadata, "prior.platt_b", 0.0f);
            c.c = metadata_float(metadata, "prior.platt_c", 0.0f);
            c.platt = metadata.count("prior.platt_a") && std::isfinite(c.a) && std::isfinite(c.b) &&
                      std::isfinite(c.c);
            if (!(std::isfinite(f.weight) && f.weight >= 0.0 && f.weight <= 10.0 && std::isfinite(f.bonus)))
                throw std::runtime_error("the text prior's weight or bonus is out of range");
            prior = std::move(p), fusion = f, calibration = c;
        }
    }
    std::unique_ptr<cnn::Sequential> acquire() {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (!idle.empty()) {
                auto net = std::move(idle.back());
                idle.pop_back();
                return net;
            }
        }
        return std::make_unique<cnn::Sequential>(cnn::deserialize(bytes, "linenet"));
    }
    void release(std::unique_ptr<cnn::Sequential> net) {
        std::lock_guard<std::mutex> lock(mutex);
        idle.push_back(std::move(net));
    }
};

LineReader::LineReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
    cnn::NamedTensors extra;
    cnn::Sequential net = cnn::load(path, &extra);
    impl_->adopt(net);
    impl_->adopt_prior(extra);
    impl_->bytes = cnn::serialize(net);
    impl_->idle.push_back(std::make_unique<cnn::Sequential>(std::move(net)));
    const std::string beside = orientation_model_beside(path);
    if (std::ifstream(beside).good()) {
        try {
            impl_->orientation = std::make_unique<OrientationReader>(beside);
        } catch (const std::exception& e) {
            const std::string why = e.what();
            throw std::runtime_error(why.find(beside) == std::string::npos ? beside + ": " + why : why);
        }
    }
}

LineReader::LineReader(cnn::Sequential net) : impl_(std::make_unique<Impl>()) {
    impl_->adopt(net);
    impl_->bytes = cnn::serialize(net);
    impl_->idle.push_back(std::make_unique<cnn::Sequential>(std::move(net)));
}

LineReader::~LineReader() = default;
LineReader::LineReader(LineReader&&) noexcept = default;
LineReader& LineReader::operator=(LineReader&&) noexcept = default;

std::vector<LineText> LineReader::read(const std::vector<const Plane*>& strips, Charset charset) const {
    std::vector<LineText> out;
    if (strips.empty()) return out;
    cnn::Tensor batch;
    std::vector<int> columns;
    strips_to_batch(strips, impl_->mean, impl_->std_dev, batch, columns);
    // The prior speaks for the whole alphabet; the digits alone are read by the columns, as before it.
    const bool fused = charset == Charset::numeric && !impl_->prior.empty();
    auto net = impl_->acquire();
    try {
        const cnn::Tensor& logits = net->forward(batch, false);
        for (int n = 0; n < int(strips.size()); ++n)
            out.push_back(decode_line(logits, n, columns[std::size_t(n)], impl_->alphabet, charset,
                                      fused ? impl_->calibration : impl_->plain_calibration,
                                      fused ? &impl_->prior : nullptr, impl_->fusion));
    } catch (...) {
        impl_->release(std::move(net));
        throw;
    }
    impl_->release(std::move(net));
    return out;
}

LineText LineReader::read(const Plane& strip, Charset charset) const {
    return read({&strip}, charset).at(0);
}

const std::string& LineReader::alphabet() const {
    return impl_->alphabet;
}
float LineReader::temperature() const {
    return impl_->calibration.temperature;
}
const LineCalibration& LineReader::calibration() const {
    return impl_->calibration;
}
const std::map<std::string, std::string>& LineReader::metadata() const {
    return impl_->metadata;
}
std::size_t LineReader::parameter_count() const {
    return impl_->parameters;
}
const TextPrior* LineReader::prior() const {
    return impl_->prior.empty() ? nullptr : &impl_->prior;
}
void LineReader::clear_prior() {
    impl_->prior = TextPrior();
    impl_->calibration = impl_->plain_calibration;
}
const OrientationReader* LineReader::orientation() const {
    return impl_->orientation.get();
}
void LineReader::set_orientation(std::unique_ptr<OrientationReader> orientation) {
    impl_->orientation = std::move(orientation);
}

}  // namespace digit
