#include "pairs.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include <cnn/cnn.hpp>

#include "calibrate.hpp"
#include "normalise.hpp"
#include "progress.hpp"
#include "recognizer.hpp"
#include "synth/strokes.hpp"
#include "synth/surfaces.hpp"
#include "training.hpp"
#include "uploads.hpp"

namespace digit {
namespace {

using Clock = std::chrono::steady_clock;

// A grey image through the recognizer's steps to the wide field of all the ink it keeps, as one group.
std::optional<ImageWide> wide_input(const GreyImage& grey) {
    try {
        Trace t;
        find_digit_groups(decoded_as_upload(grey), t);
        DigitGroup group;
        for (int i = 0; i < int(t.components.list.size()); ++i) {
            const Component& c = t.components.list[std::size_t(i)];
            if (c.clutter) continue;
            group.members.push_back(i);
            group.box.include(c.box);
            group.mass += c.mass;
            group.area += c.area;
        }
        if (group.members.empty()) return std::nullopt;
        return normalise_wide(t.ink, t.components, group);
    } catch (const ImageError&) {
        return std::nullopt;
    }
}

// The share of a set whose most probable answer of 110 is its label.
double accuracy(const std::vector<float>& logits, const LabelledImages& set) {
    std::size_t right = 0;
    for (std::size_t i = 0; i < set.count; ++i) {
        const float* z = logits.data() + i * 110;
        right += std::size_t(std::max_element(z, z + 110) - z) == set.labels[i];
    }
    return double(right) / double(std::max<std::size_t>(1, set.count));
}

}  // namespace

LabelledImages make_pair_samples(const LabelledImages& digits, std::size_t count, std::uint32_t seed,
                                 float two, float restroked, float broken) {
    auto make_part = [&](std::size_t n, std::uint32_t part_seed) {
        std::mt19937 rng(part_seed);
        LabelledImages part;
        part.rows = kImageSide, part.cols = kWideSide;
        part.pixels.reserve(n * kWidePixels);
        while (part.count < n) {
            const bool pair = uniform(rng, 0, 1) < two;
            const std::size_t a = std::size_t(rng() % digits.count), b = std::size_t(rng() % digits.count);
            const int height = 36 + int(rng() % 110);
            // From overlapping by a quarter of the height to a little apart.
            const Coverage c = maybe_break_stroke(
                maybe_restroke(pair ? compose_digits(digits, {a, b}, height, -0.25f, 0.08f, rng)
                                    : compose_digits(digits, {a}, height, 0.0f, 0.0f, rng),
                               float(height), restroked, rng),
                float(height), broken, rng);
            const GreyImage grey = put_on_surface(c, random_surface(rng), rng);
            const std::optional<ImageWide> input = wide_input(grey);
            if (!input) continue;
            part.pixels.insert(part.pixels.end(), input->begin(), input->end());
            part.labels.push_back(
                std::uint8_t(pair ? 10 + 10 * digits.labels[a] + digits.labels[b] : digits.labels[a]));
            ++part.count;
        }
        return part;
    };
    const std::size_t half = count / 2;
    auto first = std::async(std::launch::async, make_part, half, seed);
    LabelledImages set = make_part(count - half, seed * 2654435761u + 17u);
    LabelledImages other = first.get();
    set.pixels.insert(set.pixels.end(), other.pixels.begin(), other.pixels.end());
    set.labels.insert(set.labels.end(), other.labels.begin(), other.labels.end());
    set.count += other.count;
    set.num_classes = 110;
    set.images_path = "pairs";
    return set;
}

void train_pairs(const PairTrainOptions& o) {
    cnn::check(o.epochs > 0 && o.batch_size > 0 && o.samples > 0,
               "--epochs, --batch-size and --samples must be positive");
    const Dataset data = load_dataset(o.data_dir);
    cnn::check(data.train.rows == 28 && data.train.cols == 28 && data.num_classes == 10,
               o.data_dir + ": the pair reader is trained on 28x28 digits of 10 classes");
    auto [train_idx, val_idx] = split_training_set(data.train.count, 0, o.held_out_digits, o.seed);
    const LabelledImages train_digits = select_images(data.train, train_idx),
                         val_digits = select_images(data.train, val_idx);
    const auto made_start = Clock::now();
    const LabelledImages train_set = make_pair_samples(train_digits, o.samples, std::uint32_t(o.seed) * 7 + 1,
                                                       0.6f, o.restroked, o.broken);
    const LabelledImages val_set = make_pair_samples(val_digits, o.validation, std::uint32_t(o.seed) * 7 + 2);
    if (!o.quiet)
        std::fprintf(stderr, "%zu training and %zu validation samples made in %.0f s\n", train_set.count,
                     val_set.count, std::chrono::duration<double>(Clock::now() - made_start).count());

    if (!o.sheet.empty()) {
        // 8 x 8 samples, each 56 x 28 with a grey rule round it, ink white on black.
        const int per_row = 8, shown = int(std::min<std::size_t>(64, train_set.count));
        const int w = per_row * (kWideSide + 2), h = ((shown + per_row - 1) / per_row) * (kImageSide + 2);
        std::vector<unsigned char> px(std::size_t(w * h) * 3, 90);
        std::string labels;
        for (int i = 0; i < shown; ++i) {
            const int ox = (i % per_row) * (kWideSide + 2) + 1, oy = (i / per_row) * (kImageSide + 2) + 1;
            const float* image = train_set.image(std::size_t(i));
            for (int y = 0; y < kImageSide; ++y)
                for (int x = 0; x < kWideSide; ++x)
                    for (int c = 0; c < 3; ++c)
                        px[(std::size_t(oy + y) * std::size_t(w) + std::size_t(ox + x)) * 3 +
                           std::size_t(c)] = (unsigned char)(std::lround(255 * image[y * kWideSide + x]));
            const int label = train_set.labels[std::size_t(i)];
            labels += (label < 10 ? std::to_string(label)
                                  : std::to_string(label / 10 - 1) + std::to_string(label % 10)) +
                      (i % per_row == per_row - 1 ? "\n" : " ");
        }
        if (!write_png_rgb(o.sheet, w, h, px)) throw std::runtime_error(o.sheet + ": cannot write the sheet");
        std::fprintf(stderr, "samples in %s, labels by row:\n%s", o.sheet.c_str(), labels.c_str());
    }

    cnn::Sequential net = o.init.empty() ? make_network("pairnet", o.seed, 110) : cnn::load(o.init);
    cnn::check(net.input_shape() == cnn::Shape{1, kImageSide, kWideSide} && net.output_shape().size() == 110,
               o.init + ": not a pair reader (1x28x56 in, 110 answers out)");
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    net.set_threads(threads);
    cnn::Adam optimizer(net.params(), o.lr);
    optimizer.set_pool(net.pool());
    const std::int64_t steps_per_epoch =
        std::int64_t((train_set.count + std::size_t(o.batch_size) - 1) / std::size_t(o.batch_size));
    cnn::CosineLr schedule(o.lr, steps_per_epoch * o.epochs, o.lr * 0.01, steps_per_epoch);
    if (!o.quiet) std::fprintf(stderr, "%s\n", net.summary().c_str());
    const float mean = kMnistMean, std = kMnistStd;
    cnn::Tensor x, dlogits;
    std::vector<int> y;
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
        const auto epoch_start = Clock::now();
        std::vector<std::size_t> order(train_set.count);
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), std::mt19937_64(o.seed * 1000003 + std::uint64_t(epoch)));
        ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs),
                        std::size_t(steps_per_epoch), stderr,
                        o.quiet ? ProgressBar::Style::lines : ProgressBar::Style::automatic);
        double loss_sum = 0;
        std::size_t seen = 0, correct = 0;
        for (std::int64_t b = 0; b < steps_per_epoch; ++b) {
            const std::size_t first = std::size_t(b) * std::size_t(o.batch_size);
            const int count = int(std::min<std::size_t>(std::size_t(o.batch_size), train_set.count - first));
            make_batch(train_set, order, first, count, nullptr, 0, mean, std, x, y);
            optimizer.set_lr(schedule.lr(optimizer.steps()));
            net.zero_grad();
            const cnn::Tensor& logits = net.forward(x, true);
            const cnn::LossResult r = cnn::softmax_cross_entropy(logits, y.data(), &dlogits);
            net.backward(dlogits);
            optimizer.step();
            if (!std::isfinite(r.loss)) throw std::runtime_error("training diverged (loss is not finite)");
            loss_sum += r.loss * x.n();
            seen += std::size_t(x.n());
            correct += std::size_t(r.correct);
            if (!o.quiet) bar.update(std::size_t(b + 1), loss_sum / double(seen), seen);
        }
        bar.finish();
        std::fprintf(stderr, "epoch %d/%d  loss %.4f  train %.2f%%  validation %.2f%%  %.0fs\n", epoch + 1,
                     o.epochs, loss_sum / double(std::max<std::size_t>(1, seen)),
                     100.0 * double(correct) / double(std::max<std::size_t>(1, seen)),
                     100.0 * accuracy(logits_of(net, val_set, threads), val_set),
                     std::chrono::duration<double>(Clock::now() - epoch_start).count());
    }

    const std::vector<float> logits = logits_of(net, val_set, threads);
    const float temperature = fit_temperature(logits, val_set.labels, 110);
    // The figures the reader relies on: how often it tells one digit from two, and reads each right.
    std::size_t count_right = 0, singles = 0, singles_right = 0, pairs = 0, pairs_right = 0;
    for (std::size_t i = 0; i < val_set.count; ++i) {
        const float* z = logits.data() + i * 110;
        const int best = int(std::max_element(z, z + 110) - z), truth = val_set.labels[i];
        count_right += (best >= 10) == (truth >= 10);
        (truth >= 10 ? pairs : singles) += 1;
        (truth >= 10 ? pairs_right : singles_right) += best == truth;
    }
    char figures[256];
    std::snprintf(
        figures, sizeof figures,
        "validation: one or two told apart %.2f%%, single digits %.2f%%, pairs %.2f%% (%zu samples)",
        100.0 * count_right / double(val_set.count),
        100.0 * singles_right / double(std::max<std::size_t>(1, singles)),
        100.0 * pairs_right / double(std::max<std::size_t>(1, pairs)), val_set.count);
    std::fprintf(stderr, "%s\ntemperature %.4f\n", figures, temperature);
    net.metadata["temperature"] = std::to_string(temperature);
    net.metadata["dataset"] = o.data_dir;
    net.metadata["epochs"] = std::to_string(o.epochs);
    net.metadata["samples"] = std::to_string(train_set.count);
    if (o.restroked > 0.0f) net.metadata["restroked"] = std::to_string(o.restroked);
    if (o.broken > 0.0f) net.metadata["broken"] = std::to_string(o.broken);
    if (!o.init.empty()) net.metadata["init"] = o.init;
    net.metadata["validation"] = figures;
    net.metadata["classes"] = "0-9: one digit; 10 + 10a + b: the pair \"ab\"";
    cnn::save(net, o.out);
    std::fprintf(stderr, "model written to %s\n", o.out.c_str());
}

}  // namespace digit
