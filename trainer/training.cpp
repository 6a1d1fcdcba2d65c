#include "training.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <future>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "augment.hpp"
#include "models.hpp"
#include "progress.hpp"

namespace digit {

std::atomic<bool> g_stop_requested{false};

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

int resolve_threads(int threads) {
    return threads > 0 ? threads : std::max(1, int(std::thread::hardware_concurrency()));
}

// Copies images [indices] of a set into a normalised batch tensor, augmenting them first when asked.
void make_batch(const LabelledImages& set, const std::vector<size_t>& order, size_t first, int count,
                const Augmenter* augmenter, uint64_t seed, float mean, float std, cnn::Tensor& x,
                std::vector<int>& y) {
    const int rows = set.rows, cols = set.cols;
    const size_t per = set.pixels_per_image();
    x.resize(count, 1, rows, cols);
    y.resize(count);
    for (int i = 0; i < count; ++i) {
        const size_t index = order[first + i];
        float* dst = x.sample(i);
        if (augmenter) {
            augmenter->augment_batch(set.image(index), dst, 1, rows, cols, seed, first + i);
        } else {
            std::copy(set.image(index), set.image(index) + per, dst);
        }
        for (size_t p = 0; p < per; ++p) dst[p] = (dst[p] - mean) / std;
        y[i] = set.labels[index];
    }
}

std::unique_ptr<cnn::Optimizer> make_optimizer(const TrainOptions& o, cnn::Sequential& net, double lr) {
    if (o.optimizer == "adam")
        return std::make_unique<cnn::Adam>(net.params(), lr, 0.9, 0.999, 1e-8, o.weight_decay);
    if (o.optimizer == "adamw")
        return std::make_unique<cnn::AdamW>(net.params(), lr, o.weight_decay > 0 ? o.weight_decay : 1e-2);
    if (o.optimizer == "sgd")
        return std::make_unique<cnn::SGD>(net.params(), lr, 0.9, true,
                                          o.weight_decay > 0 ? o.weight_decay : 5e-4);
    throw std::invalid_argument("unknown optimizer '" + o.optimizer + "' (adam, adamw or sgd)");
}

std::unique_ptr<cnn::LrSchedule> make_schedule(const TrainOptions& o, double lr, int64_t steps_per_epoch) {
    const int64_t total = steps_per_epoch * o.epochs;
    if (o.schedule == "cosine") return std::make_unique<cnn::CosineLr>(lr, total, lr * 0.01, steps_per_epoch);
    if (o.schedule == "onecycle") return std::make_unique<cnn::OneCycleLr>(lr, total);
    if (o.schedule == "step")
        return std::make_unique<cnn::StepLr>(lr, steps_per_epoch * std::max(1, o.epochs / 3), 0.1);
    if (o.schedule == "constant") return std::make_unique<cnn::ConstantLr>(lr);
    throw std::invalid_argument("unknown schedule '" + o.schedule + "' (cosine, onecycle, step or constant)");
}

void set_dropout_seeds(cnn::Sequential& net, uint64_t seed) {
    for (size_t i = 0; i < net.size(); ++i)
        if (auto* d = dynamic_cast<cnn::Dropout*>(&net.layer(i)))
            d->set_seed(seed * 0x9E3779B97F4A7C15ull + i);
}

std::string today() {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
    return buf;
}

std::string recipe_text(const TrainOptions& o, double lr) {
    std::ostringstream r;
    r << o.arch << ", " << o.epochs << " epochs, batch " << o.batch_size << ", " << o.optimizer << " lr "
      << lr << " " << o.schedule;
    if (o.weight_decay > 0) r << ", weight decay " << o.weight_decay;
    if (o.augment) {
        r << ", augmentation rotation ±" << o.rotation << "°, zoom ±" << o.zoom * 100 << "%, shift ±"
          << o.shift << " px, thickness p=" << o.thickness;
        if (o.elastic > 0) r << ", elastic alpha " << o.elastic;
    } else {
        r << ", no augmentation";
    }
    r << ", seed " << o.seed << ", validation " << o.validation << " images from train";
    return r.str();
}

void write_metrics(const std::string& path, const TrainOptions& o, const std::vector<EpochFigures>& epochs) {
    if (path.empty()) return;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : epochs)
        list.push_back({{"epoch", e.epoch},
                        {"train_loss", e.train_loss},
                        {"train_accuracy", e.train_accuracy},
                        {"val_accuracy", e.val_accuracy},
                        {"test_accuracy", e.test_accuracy},
                        {"lr", e.lr},
                        {"seconds", e.seconds},
                        {"elapsed_seconds", e.elapsed}});
    nlohmann::json doc = {{"arch", o.arch}, {"data", o.data_dir}, {"epochs", list}};
    std::string text = doc.dump(2) + "\n";
    cnn::detail::write_file_atomically(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace

EvalResult evaluate(cnn::Sequential& net, const LabelledImages& set, int threads) {
    EvalResult result;
    const int classes = int(net.output_shape().size());
    result.confusion.assign(classes, std::vector<int>(classes, 0));
    if (set.count == 0) return result;
    cnn::check(set.rows == net.input_shape().h && set.cols == net.input_shape().w,
               set.images_path + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                   ", the model expects " + net.input_shape().str());
    const float mean = metadata_float(net.metadata, "input_mean", kMnistMean),
                std = metadata_float(net.metadata, "input_std", kMnistStd);
    cnn::FrozenNet frozen(net);
    cnn::ThreadPool pool(resolve_threads(threads));
    cnn::FrozenNet::Workspace ws;
    const size_t per = set.pixels_per_image(), batch = 512;
    std::vector<float> x(batch * per), logits(batch * classes);
    int correct = 0;
    for (size_t first = 0; first < set.count; first += batch) {
        const size_t n = std::min(batch, set.count - first);
        for (size_t i = 0; i < n * per; ++i) x[i] = (set.pixels[first * per + i] - mean) / std;
        frozen.run(x.data(), int(n), logits.data(), ws, &pool);
        for (size_t i = 0; i < n; ++i) {
            int predicted = cnn::argmax(logits.data() + i * classes, classes);
            int truth = set.labels[first + i];
            if (truth < classes) ++result.confusion[truth][predicted];
            correct += predicted == truth;
        }
    }
    result.accuracy = double(correct) / double(set.count);
    return result;
}

TrainResult train(const TrainOptions& o) {
    cnn::check(o.epochs > 0 && o.batch_size > 0, "--epochs and --batch-size must be positive");
    const int threads = resolve_threads(o.threads);
    const std::string checkpoint = o.checkpoint.empty() ? o.out + ".ckpt" : o.checkpoint;
    Dataset data = load_dataset(o.data_dir);
    cnn::check(data.train.rows == 28 && data.train.cols == 28,
               o.data_dir + ": images are " + std::to_string(data.train.rows) + "x" +
                   std::to_string(data.train.cols) + ", the networks take 28x28");
    cnn::check(data.num_classes <= 10, o.data_dir + ": " + std::to_string(data.num_classes) +
                                           " classes, the networks have 10 outputs");

    // A fixed, seeded split of the training set: the last `validation` images of a permutation.
    std::vector<size_t> all(data.train.count);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), std::mt19937_64(o.seed ^ 0xDA7A));
    size_t available = o.limit > 0 ? std::min(o.limit, all.size()) : all.size();
    size_t val_count = std::min(o.validation, available / 10);
    all.resize(available);
    std::vector<size_t> val_idx(all.end() - val_count, all.end());
    all.resize(available - val_count);
    LabelledImages train_set = select_images(data.train, all), val_set = select_images(data.train, val_idx);
    const LabelledImages& test_set = data.test;

    const double lr = o.lr > 0 ? o.lr : (o.optimizer == "sgd" ? 0.05 : 2e-3);
    const int64_t steps_per_epoch = int64_t((train_set.count + o.batch_size - 1) / o.batch_size);

    cnn::Sequential net = make_network(o.arch, o.seed);
    int start_epoch = 0;
    int64_t start_batch = 0;
    std::vector<EpochFigures> history;
    auto optimizer = make_optimizer(o, net, lr);
    if (o.resume) {
        cnn::NamedTensors state;
        net = cnn::load(checkpoint, &state);
        optimizer = make_optimizer(o, net, lr);
        auto slots = optimizer->state();
        cnn::check(slots.size() == state.size(),
                   checkpoint + ": optimizer state does not match --optimizer " + o.optimizer);
        for (size_t i = 0; i < slots.size(); ++i) {
            cnn::check(slots[i]->dims() == state[i].second.dims(),
                       checkpoint + ": optimizer state shape mismatch");
            slots[i]->copy_from(state[i].second);
        }
        start_epoch = std::stoi(net.metadata.at("checkpoint.epoch"));
        start_batch = std::stoll(net.metadata.at("checkpoint.batch"));
        optimizer->set_steps(std::stoll(net.metadata.at("checkpoint.optimizer_steps")));
        net.set_step(std::stoull(net.metadata.at("checkpoint.network_step")));
        if (net.metadata.count("checkpoint.history")) {
            for (const auto& e : nlohmann::json::parse(net.metadata.at("checkpoint.history"))) {
                EpochFigures f;
                f.epoch = e.at("epoch");
                f.train_loss = e.at("train_loss");
                f.train_accuracy = e.at("train_accuracy");
                f.val_accuracy = e.at("val_accuracy");
                f.test_accuracy = e.at("test_accuracy");
                f.lr = e.at("lr");
                f.seconds = e.at("seconds");
                f.elapsed = e.at("elapsed");
                history.push_back(f);
            }
        }
        std::fprintf(stderr, "resuming from %s: epoch %d, batch %lld, optimizer step %lld\n",
                     checkpoint.c_str(), start_epoch + 1, (long long)start_batch,
                     (long long)optimizer->steps());
    }
    set_dropout_seeds(net, o.seed);
    net.set_threads(threads);
    optimizer->set_pool(net.pool());
    auto schedule = make_schedule(o, lr, steps_per_epoch);

    AugmentOptions aug;
    aug.max_rotation_degrees = o.rotation;
    aug.max_zoom = o.zoom;
    aug.max_shift_pixels = o.shift;
    aug.thickness_probability = o.thickness;
    aug.elastic_alpha = o.elastic;
    Augmenter augmenter(aug);
    const float mean = kMnistMean, std = kMnistStd;

    if (!o.quiet) {
        std::fprintf(stderr, "%s\n", net.summary().c_str());
        std::fprintf(stderr, "training on %zu images (validation %zu, test %zu), %d threads, %s\n",
                     train_set.count, val_set.count, test_set.count, threads, recipe_text(o, lr).c_str());
    }

    auto save_checkpoint = [&](int epoch, int64_t batch) {
        std::map<std::string, std::string> saved = net.metadata;
        net.metadata["checkpoint.epoch"] = std::to_string(epoch);
        net.metadata["checkpoint.batch"] = std::to_string(batch);
        net.metadata["checkpoint.optimizer_steps"] = std::to_string(optimizer->steps());
        net.metadata["checkpoint.network_step"] = std::to_string(net.step());
        net.metadata["checkpoint.optimizer"] = o.optimizer;
        nlohmann::json h = nlohmann::json::array();
        for (const auto& e : history)
            h.push_back({{"epoch", e.epoch},
                         {"train_loss", e.train_loss},
                         {"train_accuracy", e.train_accuracy},
                         {"val_accuracy", e.val_accuracy},
                         {"test_accuracy", e.test_accuracy},
                         {"lr", e.lr},
                         {"seconds", e.seconds},
                         {"elapsed", e.elapsed}});
        net.metadata["checkpoint.history"] = h.dump();
        cnn::NamedTensors state;
        int i = 0;
        for (cnn::Tensor* t : optimizer->state()) {
            cnn::Tensor copy;
            copy.copy_from(*t);
            state.emplace_back("optimizer." + std::to_string(i++), std::move(copy));
        }
        cnn::save(net, checkpoint, state);
        net.metadata = saved;
    };

    TrainResult result;
    const auto run_start = Clock::now();
    const double elapsed_before = history.empty() ? 0.0 : history.back().elapsed;
    cnn::Tensor x, next_x, dlogits;
    std::vector<int> y, next_y;
    for (int epoch = start_epoch; epoch < o.epochs; ++epoch) {
        const auto epoch_start = Clock::now();
        std::vector<size_t> order(train_set.count);
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), std::mt19937_64(o.seed * 1000003 + epoch));
        const uint64_t aug_seed = o.seed * 0x100000001B3ull + uint64_t(epoch);
        auto batch_at = [&](int64_t b, cnn::Tensor& bx, std::vector<int>& by) {
            size_t first = size_t(b) * o.batch_size;
            int count = int(std::min<size_t>(o.batch_size, train_set.count - first));
            make_batch(train_set, order, first, count, o.augment ? &augmenter : nullptr, aug_seed, mean, std,
                       bx, by);
        };
        ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs),
                        size_t(steps_per_epoch), stderr,
                        o.quiet ? ProgressBar::Style::lines : ProgressBar::Style::automatic);
        double loss_sum = 0;
        size_t seen = 0, correct = 0;
        int64_t b = epoch == start_epoch ? start_batch : 0;
        if (b < steps_per_epoch) batch_at(b, next_x, next_y);
        for (; b < steps_per_epoch; ++b) {
            std::swap(x, next_x);
            std::swap(y, next_y);
            // The next batch is augmented on another thread while this one trains.
            std::future<void> prepared;
            if (b + 1 < steps_per_epoch)
                prepared = std::async(std::launch::async, [&, b] { batch_at(b + 1, next_x, next_y); });
            optimizer->set_lr(schedule->lr(optimizer->steps()));
            net.zero_grad();
            const cnn::Tensor& logits = net.forward(x, true);
            cnn::LossResult r = cnn::softmax_cross_entropy(logits, y.data(), &dlogits);
            net.backward(dlogits);
            optimizer->step();
            if (prepared.valid()) prepared.get();
            if (!std::isfinite(r.loss))
                throw std::runtime_error("training diverged (loss is not finite); try a lower --lr");
            loss_sum += r.loss * x.n();
            seen += size_t(x.n());
            correct += size_t(r.correct);
            if (!o.quiet) bar.update(size_t(b + 1), loss_sum / double(seen), seen);
            if (g_stop_requested) {
                bar.finish();
                save_checkpoint(epoch, b + 1);
                std::fprintf(
                    stderr,
                    "interrupted: checkpoint written to %s (epoch %d, batch %lld); continue with --resume\n",
                    checkpoint.c_str(), epoch + 1, (long long)(b + 1));
                result.epochs = history;
                result.interrupted = true;
                return result;
            }
        }
        bar.finish();
        EpochFigures f;
        f.epoch = epoch + 1;
        f.train_loss = seen ? loss_sum / double(seen) : 0;
        f.train_accuracy = seen ? double(correct) / double(seen) : 0;
        f.val_accuracy = evaluate(net, val_set, threads).accuracy;
        f.test_accuracy = evaluate(net, test_set, threads).accuracy;
        f.lr = optimizer->lr();
        f.seconds = seconds_since(epoch_start);
        f.elapsed = elapsed_before + seconds_since(run_start);
        history.push_back(f);
        std::fprintf(stderr,
                     "epoch %d/%d  loss %.4f  train %.2f%%  validation %.2f%%  test %.2f%%  lr %.2e  %.0fs "
                     "(total %s)\n",
                     f.epoch, o.epochs, f.train_loss, 100 * f.train_accuracy, 100 * f.val_accuracy,
                     100 * f.test_accuracy, f.lr, f.seconds, ProgressBar::format_duration(f.elapsed).c_str());
        save_checkpoint(epoch + 1, 0);
        write_metrics(o.metrics, o, history);
    }

    // The final model is the last epoch's (a fixed recipe: the test set chooses nothing).
    for (auto it = net.metadata.begin(); it != net.metadata.end();)
        it = it->first.rfind("checkpoint.", 0) == 0 ? net.metadata.erase(it) : std::next(it);
    net.metadata["dataset"] = o.data_dir;
    net.metadata["epochs"] = std::to_string(o.epochs);
    net.metadata["recipe"] = recipe_text(o, lr);
    net.metadata["date"] = today();
    if (!history.empty()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", history.back().test_accuracy);
        net.metadata["test_accuracy"] = buf;
        std::snprintf(buf, sizeof buf, "%.4f", history.back().val_accuracy);
        net.metadata["validation_accuracy"] = buf;
        std::snprintf(buf, sizeof buf, "%.0f", history.back().elapsed);
        net.metadata["training_seconds"] = buf;
    }
    net.metadata["trained_images"] = std::to_string(train_set.count);
    cnn::save(net, o.out);
    std::fprintf(stderr, "model written to %s\n", o.out.c_str());
    result.epochs = history;
    return result;
}

}  // namespace digit
