#include "line_training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "dataset.hpp"
#include "line_reader.hpp"
#include "models.hpp"
#include "progress.hpp"
#include "training.hpp"

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

    cnn::Sequential net = o.init.empty() ? make_linenet(o.seed) : cnn::load(o.init);
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
