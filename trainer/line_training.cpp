#include "line_training.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "calibrate.hpp"
#include "dataset.hpp"
#include "digits.hpp"
#include "ink.hpp"
#include "line_reader.hpp"
#include "lines.hpp"
#include "models.hpp"
#include "progress.hpp"
#include "synth/strokes.hpp"
#include "training.hpp"
#include "uploads.hpp"

namespace digit {
namespace {

std::vector<int> labels_of(const std::string& text, const std::string& alphabet) {
    std::vector<int> out;
    for (char ch : text) {
        const std::size_t k = alphabet.find(ch);
        if (k == std::string::npos)
            throw std::runtime_error(std::string("a training line holds '") + ch + "'");
        out.push_back(int(k) + 1);
    }
    return out;
}

// Batches of lines of about one width: sorted by width with a little noise, cut into batches, the batches
// shuffled.
std::vector<std::vector<std::size_t>> width_batches(const std::vector<TrainingLine>& lines, int batch,
                                                    std::mt19937_64& rng) {
    std::vector<std::pair<float, std::size_t>> keyed;
    std::uniform_real_distribution<float> noise(0.0f, 24.0f);
    for (std::size_t i = 0; i < lines.size(); ++i)
        keyed.push_back({float(lines[i].strip.width) + noise(rng), i});
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::vector<std::size_t>> out;
    for (std::size_t i = 0; i < keyed.size(); i += std::size_t(batch)) {
        out.emplace_back();
        for (std::size_t j = i; j < std::min(keyed.size(), i + std::size_t(batch)); ++j)
            out.back().push_back(keyed[j].second);
    }
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

std::string today() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
    return buf;
}

}  // namespace

int edit_distance(const std::string& a, const std::string& b) {
    std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = int(i);
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

LineEvaluation evaluate_lines(cnn::Sequential& net, const std::vector<TrainingLine>& lines) {
    LineEvaluation e;
    const std::string alphabet =
        net.metadata.count("alphabet") ? net.metadata.at("alphabet") : std::string(kLineAlphabet);
    std::size_t exact = 0, errors = 0, chars = 0;
    std::vector<std::size_t> order(lines.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t p, std::size_t q) { return lines[p].strip.width < lines[q].strip.width; });
    e.read.resize(lines.size());
    e.log_likelihood.resize(lines.size());
    for (std::size_t i = 0; i < order.size(); i += 64) {
        std::vector<const Plane*> strips;
        std::vector<std::size_t> which;
        for (std::size_t j = i; j < std::min(order.size(), i + 64); ++j)
            strips.push_back(&lines[order[j]].strip), which.push_back(order[j]);
        cnn::Tensor x;
        std::vector<int> columns;
        strips_to_batch(strips, kMnistMean, kMnistStd, x, columns);
        const cnn::Tensor& logits = net.forward(x, false);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const LineText t = decode_line(logits, int(k), columns[k], alphabet, Charset::numeric);
            e.read[which[k]] = t.text;
            e.log_likelihood[which[k]] = t.log_likelihood;
        }
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        exact += e.read[i] == lines[i].text;
        errors += std::size_t(edit_distance(e.read[i], lines[i].text));
        chars += lines[i].text.size();
    }
    e.exact = lines.empty() ? 0.0 : double(exact) / double(lines.size());
    e.char_error = chars ? double(errors) / double(chars) : 0.0;
    return e;
}

LineTrainResult train_lines(const LineTrainOptions& o) {
    const Dataset data = load_dataset(o.data_dir);
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    auto [train_idx, val_idx] = split_training_set(data.train.count, o.limit, 5000, o.seed);
    const DigitPool train_pool(data.train, train_idx), val_pool(data.train, val_idx);

    cnn::Sequential net = o.init.empty() ? make_linenet(o.seed, o.context) : cnn::load(o.init);
    if (!net.variable_width() || net.metadata["architecture"] != "linenet")
        throw std::runtime_error(o.init + ": not a line reader model");
    const std::string alphabet = net.metadata.at("alphabet");
    net.set_threads(threads);
    std::fprintf(stderr, "%s\n", net.summary().c_str());

    const auto t_val = std::chrono::steady_clock::now();
    const std::vector<TrainingLine> val =
        make_training_lines(val_pool, o.validation_lines, std::uint32_t(o.seed * 101 + 7), threads);
    std::fprintf(stderr, "%zu validation lines made in %.1f s\n", val.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t_val).count());

    cnn::Adam optimizer(net.params(), o.lr, 0.9, 0.999, 1e-8, 0.0);
    optimizer.set_pool(net.pool());
    const std::int64_t steps_per_epoch =
        std::int64_t((o.lines + std::size_t(o.batch_size) - 1) / std::size_t(o.batch_size));
    cnn::CosineLr schedule(o.lr, steps_per_epoch * o.epochs, o.lr * 0.01, steps_per_epoch);
    std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + 3);
    LineTrainResult result;
    const auto t_start = std::chrono::steady_clock::now();
    for (int epoch = 0; epoch < (o.calibrate_only ? 0 : o.epochs); ++epoch) {
        const auto t_make = std::chrono::steady_clock::now();
        const std::vector<TrainingLine> lines = make_training_lines(
            train_pool, o.lines, std::uint32_t(o.seed * 1000003 + std::uint64_t(epoch) * 7777 + 1), threads,
            nullptr, float(o.upside_down));
        if (lines.empty()) throw std::runtime_error("no training lines could be made");
        std::fprintf(stderr, "epoch %d/%d: %zu lines made in %.1f s\n", epoch + 1, o.epochs, lines.size(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t_make).count());
        const auto batches = width_batches(lines, o.batch_size, rng);
        ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs), batches.size(),
                        stderr, o.quiet ? ProgressBar::Style::lines : ProgressBar::Style::automatic);
        const auto t_epoch = std::chrono::steady_clock::now();
        double loss_sum = 0;
        std::size_t seen = 0;
        cnn::Tensor x, dlogits;
        std::vector<int> columns;
        for (std::size_t b = 0; b < batches.size(); ++b) {
            std::vector<const Plane*> strips;
            std::vector<std::vector<int>> targets;
            for (std::size_t i : batches[b]) {
                strips.push_back(&lines[i].strip);
                targets.push_back(labels_of(lines[i].text, alphabet));
            }
            strips_to_batch(strips, kMnistMean, kMnistStd, x, columns);
            optimizer.set_lr(schedule.lr(optimizer.steps()));
            net.zero_grad();
            const cnn::Tensor& logits = net.forward(x, true);
            // Each line's loss over its length, as PyTorch's mean reduction, except that a line with no
            // text (turned upside down) counts as a line of kEmptyWeight characters: over one column its
            // loss of a whole line of wrongly read columns would outweigh the batch's real lines.
            const cnn::CtcResult summed =
                cnn::ctc_loss(logits, columns, targets, &dlogits, cnn::CtcReduction::sum, true);
            constexpr double kEmptyWeight = 8.0;
            cnn::CtcResult r = summed;
            r.loss = 0.0;
            const std::size_t per_sample = dlogits.sample_size();
            for (std::size_t n = 0; n < targets.size(); ++n) {
                const double length = targets[n].empty() ? kEmptyWeight : double(targets[n].size());
                const double w = 1.0 / (double(targets.size()) * length);
                float* g = dlogits.data() + n * per_sample;
                for (std::size_t k = 0; k < per_sample; ++k) g[k] = float(g[k] * w);
                if (std::isfinite(summed.losses[n])) r.loss += summed.losses[n] * w;
            }
            net.backward(dlogits);
            optimizer.step();
            if (!std::isfinite(r.loss))
                throw std::runtime_error("training diverged (loss is not finite); try a lower --lr");
            loss_sum += r.loss * double(strips.size());
            seen += strips.size();
            if (!o.quiet) bar.update(b + 1, loss_sum / double(seen), seen);
            if (g_stop_requested) break;
        }
        bar.finish();
        LineEpoch f;
        f.epoch = epoch + 1;
        f.loss = seen ? loss_sum / double(seen) : 0;
        f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_epoch).count();
        f.lines_per_s = f.seconds > 0 ? double(seen) / f.seconds : 0;
        const LineEvaluation ev = evaluate_lines(net, val);
        f.val_exact = ev.exact;
        f.val_char_error = ev.char_error;
        result.epochs.push_back(f);
        std::fprintf(
            stderr,
            "epoch %d: loss %.4f, validation lines read exactly %.4f, character error %.4f, %.0f lines/s\n",
            f.epoch, f.loss, f.val_exact, f.val_char_error, f.lines_per_s);
        if (!o.metrics.empty()) {
            nlohmann::json j = nlohmann::json::array();
            for (const LineEpoch& e : result.epochs)
                j.push_back({{"epoch", e.epoch},
                             {"loss", e.loss},
                             {"val_exact", e.val_exact},
                             {"val_char_error", e.val_char_error},
                             {"seconds", e.seconds},
                             {"lines_per_s", e.lines_per_s}});
            std::ofstream(o.metrics) << j.dump(2) << "\n";
        }
        // Written after every epoch (not yet calibrated), so that a long run can be looked at as it goes.
        net.metadata["epochs"] = std::to_string(result.epochs.size());
        cnn::save(net, o.out);
        if (g_stop_requested) break;
    }

    // Platt scaling: the confidence sigmoid(a log p + b) of "read right" fitted on the validation lines by
    // Newton's method on the log-loss, so that a confidence is the share of lines read right.
    const LineEvaluation raw = evaluate_lines(net, val);
    double a = 1.0, b = 0.0;
    for (int iter = 0; iter < 50; ++iter) {
        double ga = 0, gb = 0, haa = 1e-6, hab = 0, hbb = 1e-6;
        for (std::size_t i = 0; i < val.size(); ++i) {
            const double x = std::max(-60.0, raw.log_likelihood[i]),
                         y = raw.read[i] == val[i].text ? 1.0 : 0.0;
            const double p = 1.0 / (1.0 + std::exp(-std::clamp(a * x + b, -60.0, 60.0)));
            ga += (p - y) * x, gb += (p - y);
            const double w = p * (1 - p);
            haa += w * x * x, hab += w * x, hbb += w;
        }
        const double det = haa * hbb - hab * hab;
        if (!(det > 0)) break;
        const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        a -= da, b -= db;
        if (std::abs(da) + std::abs(db) < 1e-9) break;
    }
    net.metadata["calibration.temperature"] = "1";
    net.metadata["calibration.platt_a"] = std::to_string(a);
    net.metadata["calibration.platt_b"] = std::to_string(b);
    const LineEvaluation final_eval = raw;
    if (!o.calibrate_only) {
        net.metadata["dataset"] =
            "lines made from " + data.train.images_path + " training digits, styles and drawn marks";
        net.metadata["epochs"] = std::to_string(result.epochs.size());
        net.metadata["training_lines_per_epoch"] = std::to_string(o.lines);
        net.metadata["date"] = today();
        const std::string before = o.init.empty() ? "" : net.metadata["recipe"] + "; then ";
        net.metadata["recipe"] = before + "train-lines --epochs " + std::to_string(o.epochs) + " --lines " +
                                 std::to_string(o.lines) + " --batch-size " + std::to_string(o.batch_size) +
                                 " --lr " + std::to_string(o.lr) + " --upside-down " +
                                 std::to_string(o.upside_down) + " --seed " + std::to_string(o.seed) +
                                 (o.context ? " --context" : "") +
                                 (o.init.empty() ? "" : " --init (that model)");
    }
    net.metadata["validation_exact"] = std::to_string(final_eval.exact);
    net.metadata["validation_char_error"] = std::to_string(final_eval.char_error);
    cnn::save(net, o.out);
    std::fprintf(
        stderr,
        "confidence sigmoid(%.3f log p %+.3f); validation lines read exactly %.4f; %.0f s; written %s\n", a,
        b, final_eval.exact,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(), o.out.c_str());
    return result;
}

}  // namespace digit

namespace digit {
namespace {

// The upright glyphs of one made-up line (orientation_glyphs of its ink), sometimes skewed.
std::vector<Image28> line_glyphs(const DigitPool& pool, std::mt19937& rng) {
    const std::string text = random_number_text(rng);
    const float chars = float(text.size());
    const float most = std::min(70.0f, 380.0f / (0.75f * chars + 1.2f));
    const GreyImage grey =
        draw_number(text, pool, int(std::lround(uniform(rng, std::min(14.0f, most), most))), rng);
    try {
        DecodedImage decoded = decoded_as_upload(grey);
        InkMap ink = find_ink(decoded.grey);
        if (uniform(rng, 0, 1) < 0.4f) ink = rotate_ink(ink, uniform(rng, -25.0f, 25.0f), nullptr);
        Components components = label_components(ink);
        mark_clutter(components, ink.mask.width, ink.mask.height);
        return orientation_glyphs(ink, components);
    } catch (const ImageError&) {
        return {};
    }
}

// The glyphs of `count` lines, each line's in a vector (a fixed function of `seed`, whatever `threads`).
std::vector<std::vector<Image28>> glyphs_of_lines(const DigitPool& pool, std::size_t count,
                                                  std::uint32_t seed, int threads) {
    std::vector<std::vector<Image28>> out(count);
    std::vector<std::thread> workers;
    for (int t = 0; t < std::max(1, threads); ++t)
        workers.emplace_back([&, t] {
            for (std::size_t i = std::size_t(t); i < count; i += std::size_t(std::max(1, threads))) {
                std::mt19937 rng(seed * 7919u + std::uint32_t(i));
                out[i] = line_glyphs(pool, rng);
            }
        });
    for (auto& w : workers) w.join();
    return out;
}

// Glyphs turned: each by a random quarter turn (one per line when `per_line`), labelled with the turn that
// brings it upright. `line_of` receives each glyph's line.
LabelledImages turned_glyphs(const std::vector<std::vector<Image28>>& lines, std::uint32_t seed,
                             bool per_line, std::vector<std::size_t>* line_of = nullptr) {
    std::mt19937 rng(seed);
    LabelledImages set;
    set.rows = set.cols = kImageSide;
    set.num_classes = 4;
    set.images_path = "orientation glyphs";
    for (std::size_t l = 0; l < lines.size(); ++l) {
        int quarter = int(rng() % 4);
        for (const Image28& g : lines[l]) {
            if (!per_line) quarter = int(rng() % 4);
            // Turned so that `quarter` more quarter turns bring it upright.
            const Image28 turned = turn_glyph(g, 4 - quarter);
            set.pixels.insert(set.pixels.end(), turned.begin(), turned.end());
            set.labels.push_back(std::uint8_t(quarter));
            if (line_of) line_of->push_back(l);
            ++set.count;
        }
    }
    return set;
}

}  // namespace

OrientationTrainResult train_orientation(const OrientationTrainOptions& o) {
    cnn::check(o.epochs > 0 && o.batch_size > 0 && o.lines > 0,
               "--epochs, --batch-size and --lines must be positive");
    const Dataset data = load_dataset(o.data_dir);
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    auto [train_idx, val_idx] = split_training_set(data.train.count, 0, 5000, o.seed);
    const DigitPool train_pool(data.train, train_idx), val_pool(data.train, val_idx);
    const auto made_start = std::chrono::steady_clock::now();
    const LabelledImages train_set =
        turned_glyphs(glyphs_of_lines(train_pool, o.lines, std::uint32_t(o.seed * 31 + 3), threads),
                      std::uint32_t(o.seed * 31 + 4), false);
    std::vector<std::size_t> line_of;
    const std::vector<std::vector<Image28>> val_lines =
        glyphs_of_lines(val_pool, o.validation_lines, std::uint32_t(o.seed * 31 + 5), threads);
    const LabelledImages val_set = turned_glyphs(val_lines, std::uint32_t(o.seed * 31 + 6), true, &line_of);
    std::fprintf(stderr,
                 "%zu training glyphs (%zu lines), %zu validation glyphs (%zu lines) made in %.0f s\n",
                 train_set.count, o.lines, val_set.count, o.validation_lines,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - made_start).count());
    cnn::check(train_set.count > 0 && val_set.count > 0, "no glyphs were made");

    cnn::Sequential net = make_orientnet(o.seed);
    net.set_threads(threads);
    if (!o.quiet) std::fprintf(stderr, "%s\n", net.summary().c_str());
    cnn::Adam optimizer(net.params(), o.lr);
    optimizer.set_pool(net.pool());
    const std::int64_t steps_per_epoch =
        std::int64_t((train_set.count + std::size_t(o.batch_size) - 1) / std::size_t(o.batch_size));
    cnn::CosineLr schedule(o.lr, steps_per_epoch * o.epochs, o.lr * 0.01, steps_per_epoch);
    cnn::Tensor x, dlogits;
    std::vector<int> y;
    const auto start = std::chrono::steady_clock::now();
    auto glyph_accuracy = [&](const std::vector<float>& logits) {
        std::size_t right = 0;
        for (std::size_t i = 0; i < val_set.count; ++i) {
            const float* z = logits.data() + i * 4;
            right += std::size_t(std::max_element(z, z + 4) - z) == val_set.labels[i];
        }
        return double(right) / double(val_set.count);
    };
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
        const auto epoch_start = std::chrono::steady_clock::now();
        std::vector<std::size_t> order(train_set.count);
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), std::mt19937_64(o.seed * 1000003 + std::uint64_t(epoch)));
        ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs),
                        std::size_t(steps_per_epoch), stderr,
                        o.quiet ? ProgressBar::Style::lines : ProgressBar::Style::automatic);
        double loss_sum = 0;
        std::size_t seen = 0;
        for (std::int64_t b = 0; b < steps_per_epoch; ++b) {
            const std::size_t first = std::size_t(b) * std::size_t(o.batch_size);
            const int count = int(std::min<std::size_t>(std::size_t(o.batch_size), train_set.count - first));
            make_batch(train_set, order, first, count, nullptr, 0, kMnistMean, kMnistStd, x, y);
            optimizer.set_lr(schedule.lr(optimizer.steps()));
            net.zero_grad();
            const cnn::LossResult r = cnn::softmax_cross_entropy(net.forward(x, true), y.data(), &dlogits);
            net.backward(dlogits);
            optimizer.step();
            if (!std::isfinite(r.loss)) throw std::runtime_error("training diverged (loss is not finite)");
            loss_sum += r.loss * x.n();
            seen += std::size_t(x.n());
            if (!o.quiet) bar.update(std::size_t(b + 1), loss_sum / double(seen), seen);
        }
        bar.finish();
        std::fprintf(stderr, "epoch %d/%d  loss %.4f  validation glyphs %.2f%%  %.0f s\n", epoch + 1,
                     o.epochs, loss_sum / double(std::max<std::size_t>(1, seen)),
                     100.0 * glyph_accuracy(logits_of(net, val_set, threads)),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count());
    }
    const std::vector<float> logits = logits_of(net, val_set, threads);
    const float temperature = fit_temperature(logits, val_set.labels, 4);
    // Each validation line judged by its glyphs together, with no prior: the turn of the largest summed
    // log-chance (a line of only 0, 1, 8 and marks may tie; ties count as wrong).
    std::vector<std::array<double, 4>> sums(val_lines.size(), std::array<double, 4>{});
    std::vector<int> truth(val_lines.size(), -1);
    for (std::size_t i = 0; i < val_set.count; ++i) {
        const float* z = logits.data() + i * 4;
        const float top = *std::max_element(z, z + 4);
        double sum = 0.0;
        for (int k = 0; k < 4; ++k) sum += std::exp(double(z[k] - top) / temperature);
        for (int k = 0; k < 4; ++k)
            sums[line_of[i]][std::size_t(k)] += double(z[k] - top) / temperature - std::log(sum);
        truth[line_of[i]] = val_set.labels[i];
    }
    std::size_t lines = 0, lines_right = 0;
    for (std::size_t l = 0; l < sums.size(); ++l) {
        if (truth[l] < 0) continue;
        ++lines;
        const auto best = std::max_element(sums[l].begin(), sums[l].end());
        const bool tie = std::count(sums[l].begin(), sums[l].end(), *best) > 1;
        lines_right += !tie && int(best - sums[l].begin()) == truth[l];
    }
    OrientationTrainResult result;
    result.glyph_accuracy = glyph_accuracy(logits);
    result.line_accuracy = double(lines_right) / double(std::max<std::size_t>(1, lines));
    result.glyphs = train_set.count;
    char figures[200];
    std::snprintf(figures, sizeof figures, "validation: glyphs %.2f%% (%zu), lines %.2f%% (%zu)",
                  100.0 * result.glyph_accuracy, val_set.count, 100.0 * result.line_accuracy, lines);
    std::fprintf(stderr, "%s\ntemperature %.4f; %.0f s\n", figures, temperature,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    net.metadata["temperature"] = std::to_string(temperature);
    net.metadata["dataset"] = o.data_dir;
    net.metadata["recipe"] = "train-orientation --epochs " + std::to_string(o.epochs) + " --lines " +
                             std::to_string(o.lines) + " --batch-size " + std::to_string(o.batch_size) +
                             " --lr " + std::to_string(o.lr) + " --seed " + std::to_string(o.seed);
    net.metadata["validation"] = figures;
    net.metadata["classes"] = "the quarter turns (turn_ink's) that bring the glyph upright: 0, 1, 2, 3";
    net.metadata["trained"] = today();
    cnn::save(net, o.out);
    std::fprintf(stderr, "orientation model written to %s\n", o.out.c_str());
    return result;
}

}  // namespace digit

namespace digit {

namespace {

// A logistic fit of "read right" on features (x1, x2): sigmoid(a x1 + c x2 + b), Newton's method on the
// log-loss (a little ridge so that a constant feature leaves the system solvable).
std::array<double, 3> fit_logistic(const std::vector<std::array<double, 2>>& x,
                                   const std::vector<double>& y) {
    auto loss = [&](const std::array<double, 3>& w) {
        double l = 1e-6 * (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double z = std::clamp(w[0] * x[i][0] + w[1] * x[i][1] + w[2], -60.0, 60.0);
            l += y[i] > 0.5 ? std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
        }
        return l;
    };
    std::array<double, 3> w = {1.0, 0.0, 0.0};  // a, c, b
    for (int iter = 0; iter < 100; ++iter) {
        double g[3] = {2e-6 * w[0], 2e-6 * w[1], 2e-6 * w[2]},
               h[3][3] = {{2e-6, 0, 0}, {0, 2e-6, 0}, {0, 0, 2e-6}};
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double f[3] = {x[i][0], x[i][1], 1.0};
            const double z = w[0] * f[0] + w[1] * f[1] + w[2] * f[2];
            const double p = 1.0 / (1.0 + std::exp(-std::clamp(z, -60.0, 60.0)));
            for (int r = 0; r < 3; ++r) {
                g[r] += (p - y[i]) * f[r];
                for (int c = 0; c < 3; ++c) h[r][c] += p * (1 - p) * f[r] * f[c];
            }
        }
        // Solve h d = g (3x3, Cramer's rule), then halve the step until the loss falls.
        auto det3 = [](const double m[3][3]) {
            return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                   m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                   m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        };
        const double det = det3(h);
        if (!(std::abs(det) > 0)) break;
        double d[3];
        for (int col = 0; col < 3; ++col) {
            double m[3][3];
            for (int r = 0; r < 3; ++r)
                for (int c = 0; c < 3; ++c) m[r][c] = c == col ? g[r] : h[r][c];
            d[col] = det3(m) / det;
        }
        const double before = loss(w);
        double scale = 1.0;
        std::array<double, 3> next = w;
        for (; scale > 1e-6; scale *= 0.5) {
            for (int r = 0; r < 3; ++r) next[std::size_t(r)] = w[std::size_t(r)] - scale * d[r];
            if (loss(next) <= before) break;
        }
        if (scale <= 1e-6) break;
        const double step = std::abs(next[0] - w[0]) + std::abs(next[1] - w[1]) + std::abs(next[2] - w[2]);
        w = next;
        if (step < 1e-9) break;
    }
    return w;
}

}  // namespace

PriorTrainResult train_prior(const PriorTrainOptions& o) {
    const auto t_start = std::chrono::steady_clock::now();
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    cnn::NamedTensors extra;
    cnn::Sequential net = cnn::load(o.model, &extra);
    if (!net.variable_width() || net.metadata["architecture"] != "linenet")
        throw std::runtime_error(o.model + ": not a line reader model");
    net.set_threads(threads);
    const std::string alphabet = net.metadata.at("alphabet");

    std::mt19937 text_rng(std::uint32_t(o.seed * 7919 + 5));
    std::vector<std::string> texts(o.texts);
    std::uniform_real_distribution<double> share(0.0, 1.0);
    for (std::string& t : texts) {
        t = random_number_text(text_rng);
        if (share(text_rng) < o.plain_share) {
            t.assign(std::size_t(1 + text_rng() % 10), '0');
            for (char& ch : t) ch = char('0' + text_rng() % 10);
        }
    }
    const TextPrior prior = TextPrior::fit(texts, alphabet, o.order, o.discount);
    std::fprintf(stderr, "text prior of order %d fitted on %zu made-up texts\n", o.order, texts.size());

    const Dataset data = load_dataset(o.data_dir);
    auto [train_idx, val_idx] = split_training_set(data.train.count, 0, 5000, o.seed);
    const DigitPool val_pool(data.train, val_idx);
    const std::vector<TrainingLine> val =
        make_training_lines(val_pool, o.validation_lines, std::uint32_t(o.seed * 101 + 11), threads);
    if (val.empty()) throw std::runtime_error("no validation lines could be made");

    // The network's columns for every line, once.
    LineCalibration columns_only;
    columns_only.temperature = metadata_float(net.metadata, "calibration.temperature", 1.0f);
    struct Batch {
        cnn::Tensor logits;
        std::vector<int> columns;
        std::vector<std::size_t> which;
    };
    std::vector<Batch> batches;
    for (std::size_t i = 0; i < val.size(); i += 64) {
        Batch b;
        std::vector<const Plane*> strips;
        for (std::size_t j = i; j < std::min(val.size(), i + 64); ++j)
            strips.push_back(&val[j].strip), b.which.push_back(j);
        cnn::Tensor x;
        strips_to_batch(strips, kMnistMean, kMnistStd, x, b.columns);
        b.logits = net.forward(x, false);
        batches.push_back(std::move(b));
    }
    auto read_all = [&](const TextPrior* p, const PriorFusion& f) {
        std::vector<LineText> out(val.size());
        for (const Batch& b : batches)
            for (std::size_t k = 0; k < b.which.size(); ++k)
                out[b.which[k]] = decode_line(b.logits, int(k), b.columns[k], alphabet, Charset::numeric,
                                              columns_only, p, f);
        return out;
    };
    auto exact_of = [&](const std::vector<LineText>& read) {
        std::size_t right = 0;
        for (std::size_t i = 0; i < val.size(); ++i) right += read[i].text == val[i].text;
        return double(right) / double(val.size());
    };

    PriorTrainResult result;
    result.exact_without = exact_of(read_all(nullptr, {}));
    std::fprintf(stderr, "%zu validation lines; read exactly by the best path, no prior: %.4f\n", val.size(),
                 result.exact_without);
    std::fprintf(stderr, "%8s %8s %8s\n", "weight", "bonus", "exact");
    const bool fixed = o.weight >= 0 && o.bonus >= 0;
    const std::vector<double> weights =
        fixed ? std::vector<double>{o.weight} : std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0, 1.25};
    const std::vector<double> bonuses =
        fixed ? std::vector<double>{o.bonus} : std::vector<double>{0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0};
    for (const double weight : weights)
        for (const double bonus : bonuses) {
            PriorFusion f;
            f.weight = weight, f.bonus = bonus, f.floor = o.floor;
            PriorChoice c{weight, bonus, exact_of(read_all(&prior, f))};
            std::fprintf(stderr, "%8.2f %8.2f %8.4f\n", c.weight, c.bonus, c.exact);
            result.grid.push_back(c);
            if (c.exact > result.chosen.exact) result.chosen = c;
        }
    PriorFusion fusion;
    fusion.weight = result.chosen.weight, fusion.bonus = result.chosen.bonus, fusion.floor = o.floor;
    const std::vector<LineText> read = read_all(&prior, fusion);
    std::vector<std::array<double, 2>> features;
    std::vector<double> right;
    for (std::size_t i = 0; i < val.size(); ++i) {
        features.push_back({std::max(-60.0, read[i].log_likelihood), std::max(-60.0, read[i].log_share)});
        right.push_back(read[i].text == val[i].text ? 1.0 : 0.0);
    }
    const std::array<double, 3> w = fit_logistic(features, right);
    std::fprintf(stderr,
                 "chosen: weight %.2f, bonus %.2f, validation lines read exactly %.4f (%.4f without); "
                 "confidence sigmoid(%.3f log p %+.3f log share %+.3f)\n",
                 fusion.weight, fusion.bonus, result.chosen.exact, result.exact_without, w[0], w[1], w[2]);

    net.metadata["prior.order"] = std::to_string(o.order);
    net.metadata["prior.weight"] = std::to_string(fusion.weight);
    net.metadata["prior.bonus"] = std::to_string(fusion.bonus);
    net.metadata["prior.beam"] = std::to_string(fusion.beam);
    char floor_text[32];
    std::snprintf(floor_text, sizeof floor_text, "%g", fusion.floor);
    net.metadata["prior.floor"] = floor_text;
    net.metadata["prior.platt_a"] = std::to_string(w[0]);
    net.metadata["prior.platt_c"] = std::to_string(w[1]);
    net.metadata["prior.platt_b"] = std::to_string(w[2]);
    net.metadata["prior.validation_exact"] = std::to_string(result.chosen.exact);
    net.metadata["prior.recipe"] =
        "train-prior --texts " + std::to_string(o.texts) + " --order " + std::to_string(o.order) +
        " --discount " + std::to_string(o.discount) + " --validation-lines " +
        std::to_string(o.validation_lines) + " --seed " + std::to_string(o.seed) + " --plain-share " +
        std::to_string(o.plain_share) + " --floor " + std::to_string(o.floor) +
        (fixed ? " --weight " + std::to_string(o.weight) + " --bonus " + std::to_string(o.bonus) : "");
    extra.erase(
        std::remove_if(extra.begin(), extra.end(), [](const auto& e) { return e.first == "text_prior"; }),
        extra.end());
    extra.push_back({"text_prior", prior.table()});
    const std::string out = o.out.empty() ? o.model : o.out;
    cnn::save(net, out, extra);
    std::fprintf(stderr, "%.0f s; written %s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(),
                 out.c_str());
    return result;
}

}  // namespace digit
