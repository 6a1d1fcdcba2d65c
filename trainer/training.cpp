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
#include "negatives.hpp"
#include "progress.hpp"
#include "uploads.hpp"

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

// Copies a trained network's weights and BatchNorm statistics into `net` of the same architecture; a last
// layer with more outputs keeps its extra rows as initialised (fine-tuning with a "not a digit" output).
void start_from(cnn::Sequential& net, cnn::Sequential trained) {
    std::vector<cnn::Tensor*> to, from;
    for (cnn::Param* p : net.params()) to.push_back(&p->value);
    for (cnn::Param* p : trained.params()) from.push_back(&p->value);
    for (size_t i = 0; i < net.size() && i < trained.size(); ++i) {
        auto a = net.layer(i).buffers(), b = trained.layer(i).buffers();
        for (size_t k = 0; k < a.size() && k < b.size(); ++k)
            to.push_back(a[k].second), from.push_back(b[k].second);
    }
    cnn::check(net.size() == trained.size() && to.size() == from.size(),
               "--init: the model's layers differ from --arch " + net.metadata.at("architecture"));
    for (size_t i = 0; i < to.size(); ++i) {
        cnn::Tensor& dst = *to[i];
        const cnn::Tensor& src = *from[i];
        cnn::check(dst.c() == src.c() && dst.h() == src.h() && dst.w() == src.w() && dst.n() >= src.n(),
                   "--init: parameter shapes differ from --arch " + net.metadata.at("architecture"));
        std::copy(src.data(), src.data() + src.size(), dst.data());
    }
}

// Cross-entropy on the first `digits` rows; on the rest (negatives), `weight` times the cross-entropy to the
// uniform distribution, logsumexp(z) - mean(z), whose gradient is softmax(z) - 1/K. Each part is a mean
// over its own rows.
cnn::LossResult outlier_exposure_loss(const cnn::Tensor& logits, const int* labels, int digits, float weight,
                                      cnn::Tensor& dlogits) {
    const int N = logits.n(), K = int(logits.sample_size()), negatives = N - digits;
    dlogits.resize(N, K, 1, 1);
    cnn::LossResult result;
    std::vector<float> p(static_cast<size_t>(K));
    for (int n = 0; n < N; ++n) {
        const float* z = logits.sample(n);
        float* dz = dlogits.sample(n);
        cnn::softmax(z, p.data(), K);
        if (n < digits) {
            const int y = labels[n];
            result.loss += -std::log(std::max(p[size_t(y)], 1e-30f)) / digits;
            result.correct += cnn::argmax(z, K) == y;
            for (int k = 0; k < K; ++k) dz[k] = (p[size_t(k)] - (k == y ? 1.0f : 0.0f)) / float(digits);
        } else {
            double mean_log_p = 0;
            for (int k = 0; k < K; ++k) mean_log_p += std::log(std::max(p[size_t(k)], 1e-30f)) / K;
            result.loss += -weight * mean_log_p / negatives;
            for (int k = 0; k < K; ++k) dz[k] = weight * (p[size_t(k)] - 1.0f / float(K)) / float(negatives);
        }
    }
    return result;
}

}  // namespace

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

std::vector<float> logits_of(cnn::Sequential& net, const LabelledImages& set, int threads,
                             std::size_t layers) {
    cnn::FrozenNet frozen(net, layers);
    const int classes = int(frozen.output_shape().size());
    std::vector<float> logits(set.count * size_t(classes));
    if (set.count == 0) return logits;
    cnn::check(set.rows == net.input_shape().h && set.cols == net.input_shape().w,
               set.images_path + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                   ", the model expects " + net.input_shape().str());
    const float mean = metadata_float(net.metadata, "input_mean", kMnistMean),
                std = metadata_float(net.metadata, "input_std", kMnistStd);
    cnn::ThreadPool pool(resolve_threads(threads));
    cnn::FrozenNet::Workspace ws;
    const size_t per = set.pixels_per_image(), batch = 512;
    std::vector<float> x(batch * per);
    for (size_t first = 0; first < set.count; first += batch) {
        const size_t n = std::min(batch, set.count - first);
        for (size_t i = 0; i < n * per; ++i) x[i] = (set.pixels[first * per + i] - mean) / std;
        frozen.run(x.data(), int(n), logits.data() + first * size_t(classes), ws, &pool);
    }
    return logits;
}

EvalResult evaluate(cnn::Sequential& net, const LabelledImages& set, int threads) {
    EvalResult result;
    const int classes = int(net.output_shape().size()), digits = std::min(classes, 10);
    result.confusion.assign(digits, std::vector<int>(digits, 0));
    if (set.count == 0) return result;
    const std::vector<float> logits = logits_of(net, set, threads);
    int correct = 0;
    for (size_t i = 0; i < set.count; ++i) {
        int predicted = cnn::argmax(logits.data() + i * size_t(classes), digits);
        int truth = set.labels[i];
        if (truth < digits) ++result.confusion[truth][predicted];
        correct += predicted == truth;
    }
    result.accuracy = double(correct) / double(set.count);
    return result;
}

std::pair<std::vector<size_t>, std::vector<size_t>> split_training_set(size_t count, size_t limit,
                                                                       size_t validation, uint64_t seed) {
    std::vector<size_t> all(count);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), std::mt19937_64(seed ^ 0xDA7A));
    size_t available = limit > 0 ? std::min(limit, all.size()) : all.size();
    size_t val_count = std::min(validation, available / 10);
    all.resize(available);
    std::vector<size_t> val_idx(all.end() - val_count, all.end());
    all.resize(available - val_count);
    return {all, val_idx};
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

    auto [all, val_idx] = split_training_set(data.train.count, o.limit, o.validation, o.seed);
    LabelledImages train_set = select_images(data.train, all), val_set = select_images(data.train, val_idx);
    const LabelledImages& test_set = data.test;

    const double lr = o.lr > 0 ? o.lr : (o.optimizer == "sgd" ? 0.05 : 2e-3);
    const int64_t steps_per_epoch = int64_t((train_set.count + o.batch_size - 1) / o.batch_size);

    cnn::check(o.rejection == "exposure" || o.rejection == "class",
               "unknown --rejection '" + o.rejection + "' (exposure or class)");
    const bool reject_class = o.negatives > 0 && o.rejection == "class";
    cnn::Sequential net = make_network(o.arch, o.seed, reject_class ? 11 : 10);
    if (!o.init.empty()) start_from(net, cnn::load(o.init));
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

    // Digits drawn as uploads are made on another thread while the negatives are made.
    std::future<LabelledImages> uploads_made;
    if (o.uploads > 0)
        uploads_made = std::async(std::launch::async, [&] {
            std::vector<size_t> picked(std::min(train_set.count, size_t(o.uploads)));
            std::iota(picked.begin(), picked.end(), 0);  // train_set is already in a seeded random order
            return digits_as_uploads(select_images(train_set, picked), uint32_t(o.seed) + 5,
                                     o.uploads_in_context, o.uploads_restroked);
        });
    std::future<LabelledImages> styles_made;
    if (o.styles > 0)
        styles_made = std::async(std::launch::async, [&] {
            return styled_digits_as_uploads(size_t(o.styles), uint32_t(o.seed) + 11);
        });
    LabelledImages negative_set;
    if (o.negatives > 0) {
        const auto made_start = Clock::now();
        NegativeSet made =
            make_negatives(NegativeSplit::training,
                           {NegativeFamily::letters, NegativeFamily::doodles, NegativeFamily::noise,
                            NegativeFamily::clothing, NegativeFamily::pairs},
                           o.negatives, o.fashion_dir, uint32_t(o.seed), &train_set, o.uploads_restroked);
        negative_set = as_labelled(made.images, 10);
        negative_set.images_path = "negatives";
        if (!o.quiet)
            std::fprintf(stderr, "%zu negatives made in %.0f s; %s\n", negative_set.count,
                         seconds_since(made_start),
                         reject_class ? "taught as an eleventh class" : "taught the uniform answer");
    }
    const int negatives_per_batch = negative_set.count > 0 ? std::max(1, o.batch_size / 2) : 0;
    LabelledImages upload_set;
    if (uploads_made.valid()) {
        upload_set = uploads_made.get();
        if (!o.quiet) std::fprintf(stderr, "%zu training digits drawn as uploads\n", upload_set.count);
    }
    const int uploads_per_batch = upload_set.count > 0 ? std::max(1, o.batch_size / 4) : 0;
    LabelledImages style_set;
    if (styles_made.valid()) {
        style_set = styles_made.get();
        if (!o.quiet) std::fprintf(stderr, "%zu digits drawn in the styles people write\n", style_set.count);
    }
    const int styles_per_batch = style_set.count > 0 ? std::max(1, o.batch_size / 8) : 0;
    const int extra_per_batch = o.extra && o.extra->count > 0 ? std::max(1, o.extra_per_batch) : 0;

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
            std::mt19937_64 pick_rng(aug_seed * 31 + uint64_t(b));
            // Extra rows after the digits: digits drawn as uploads, in styles, the extra set, then negatives.
            auto append = [&](const LabelledImages& set, int rows, uint64_t salt) {
                std::vector<size_t> picked(static_cast<size_t>(rows));
                for (size_t& i : picked) i = size_t(pick_rng() % set.count);
                cnn::Tensor ex;
                std::vector<int> ey;
                make_batch(set, picked, 0, rows, o.augment ? &augmenter : nullptr,
                           aug_seed ^ (salt * uint64_t(b + 1)), mean, std, ex, ey);
                const int before = bx.n();
                bx.resize(before + rows, 1, train_set.rows, train_set.cols);
                std::copy(ex.data(), ex.data() + ex.size(), bx.sample(before));
                by.insert(by.end(), ey.begin(), ey.end());
            };
            if (uploads_per_batch > 0) append(upload_set, uploads_per_batch, 0x632BE59Bull);
            if (styles_per_batch > 0) append(style_set, styles_per_batch, 0xC2B2AE35ull);
            if (extra_per_batch > 0) append(*o.extra, extra_per_batch, 0x85EBCA6Bull);
            // Negatives last: the outlier-exposure loss takes the batch's last rows for them.
            if (negatives_per_batch > 0) append(negative_set, negatives_per_batch, 0x9E3779B9ull);
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
            const bool exposure = negatives_per_batch > 0 && !reject_class;
            cnn::LossResult r = exposure
                                    ? outlier_exposure_loss(logits, y.data(), x.n() - negatives_per_batch,
                                                            o.outlier_weight, dlogits)
                                    : cnn::softmax_cross_entropy(logits, y.data(), &dlogits);
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
    if (upload_set.count > 0)
        net.metadata["upload_digits"] =
            std::to_string(upload_set.count) +
            " training digits also drawn as uploads and read by the recognizer" +
            (o.uploads_in_context > 0
                 ? ", " + std::to_string(int(std::lround(100 * o.uploads_in_context))) +
                       "% of them cut out of a written number with bits of touching neighbours"
                 : std::string()) +
            (o.uploads_restroked > 0 ? ", " + std::to_string(int(std::lround(100 * o.uploads_restroked))) +
                                           "% redrawn with a pen of one width"
                                     : std::string());
    if (style_set.count > 0)
        net.metadata["style_digits"] =
            std::to_string(style_set.count) +
            " digits drawn in the styles people write (flagged and footed 1s, 7s with a "
            "bar, open 4s, ...), as uploads";
    if (!o.init.empty()) net.metadata["fine_tuned_from"] = o.init;
    if (negative_set.count > 0) {
        net.metadata["rejection"] = reject_class ? "class" : "exposure";
        net.metadata["negatives"] =
            std::to_string(negative_set.count) +
            " training negatives (letters and symbols in handwriting fonts, doodles, noise textures, "
            "Fashion-MNIST train, pairs of touching training digits), " +
            (reject_class ? std::string("an eleventh output")
                          : "outlier exposure weight " + std::to_string(o.outlier_weight));
    }
    cnn::save(net, o.out);
    std::fprintf(stderr, "model written to %s\n", o.out.c_str());
    result.epochs = history;
    return result;
}

}  // namespace digit
