// cnn-bench: DigitNet's training and inference speed on in-memory data, one JSON object per line.
//   train  batch 128 (and 64): full steps (forward, loss, backward, Adam update), images/s
//   infer  batch 1: latency p50/p99 of the frozen network (BatchNorm folded), one image at a time
//   infer  batch 256: images/s of the frozen network
// With --model PATH the inference lines measure that saved network instead (e.g. the shipped model), and
// carry its path in a "model" field.
//   pipeline  --image FILE: the recognition pipeline (decode to the 28x28) on an image file, one thread
//   read      --read FILE: /read's work on an image file (decode, the lines, the line reader over every
//             turn tried, the digit route over the runs of digits), one thread, beside the old route's
//             (digit groups, cuts, the pair reader) and /predict's work (pipeline + one inference) on the
//             same file, measured in turn
//   lines     --only lines: the line reader's forward pass on one strip of 4 and of 12 characters, one
//             thread (the line model beside --model, default models/linenet.cnn)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <cnn/cnn.hpp>

#include "line_reader.hpp"
#include "lines.hpp"
#include "models.hpp"
#include "numbers.hpp"
#include "recognizer.hpp"
#include "text_reading.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void fill_inputs(cnn::Tensor& x, std::vector<int>& labels, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = (pixel(rng) - digit::kMnistMean) / digit::kMnistStd;
    labels.resize(x.n());
    for (auto& l : labels) l = int(rng() % 10);
}

void bench_train(int threads, int batch, int iters) {
    cnn::Sequential net = digit::make_digitnet(1);
    net.set_threads(threads);
    cnn::Adam adam(net.params(), 1e-3);
    adam.set_pool(net.pool());
    cnn::Tensor x(batch, 1, 28, 28), dlogits;
    std::vector<int> labels;
    fill_inputs(x, labels, 7);
    double loss = 0;
    auto step = [&] {
        net.zero_grad();
        const cnn::Tensor& logits = net.forward(x, true);
        loss = cnn::softmax_cross_entropy(logits, labels.data(), &dlogits).loss;
        net.backward(dlogits);
        adam.step();
    };
    for (int i = 0; i < 3; ++i) step();  // warm-up: allocations, caches
    // Median of 5 timed runs of `iters` steps each, so that one disturbed run does not decide.
    std::vector<double> rates;
    for (int run = 0; run < 5; ++run) {
        auto t0 = Clock::now();
        for (int i = 0; i < iters; ++i) step();
        rates.push_back(double(batch) * iters / seconds(t0, Clock::now()));
    }
    std::printf(
        "{\"bench\":\"train\",\"batch\":%d,\"threads\":%d,\"images_per_s\":%.1f,\"final_loss\":%.4f}\n",
        batch, threads, median(rates), loss);
    std::fflush(stdout);
}

void bench_infer(int threads, int iters, const std::string& model) {
    cnn::Sequential net = model.empty() ? digit::make_digitnet(1) : cnn::load(model);
    const std::string tag = model.empty() ? "" : ",\"model\":\"" + model + "\"";
    cnn::FrozenNet frozen(net);
    cnn::ThreadPool pool(threads);
    cnn::FrozenNet::Workspace ws;

    cnn::Tensor one(1, 1, 28, 28);
    std::vector<int> labels;
    fill_inputs(one, labels, 11);
    // As many outputs per image as the network has (ten digits, or eleven with "not a digit").
    std::vector<float> logits(256 * frozen.output_shape().size());
    for (int i = 0; i < 50; ++i) frozen.run(one.data(), 1, logits.data(), ws);
    const int samples = std::max(200, iters * 20);
    std::vector<double> latency(samples);
    for (int i = 0; i < samples; ++i) {
        auto t0 = Clock::now();
        frozen.run(one.data(), 1, logits.data(), ws);
        latency[i] = seconds(t0, Clock::now()) * 1e6;
    }
    std::sort(latency.begin(), latency.end());
    std::printf(
        "{\"bench\":\"infer\",\"batch\":1,\"threads\":%d,\"latency_us_p50\":%.1f,\"latency_us_p99\":%.1f%s}"
        "\n",
        threads, latency[samples / 2], latency[samples * 99 / 100], tag.c_str());
    std::fflush(stdout);

    cnn::Tensor big(256, 1, 28, 28);
    fill_inputs(big, labels, 13);
    for (int i = 0; i < 3; ++i) frozen.run(big.data(), 256, logits.data(), ws, &pool);
    std::vector<double> rates;
    for (int run = 0; run < 5; ++run) {
        auto t0 = Clock::now();
        for (int i = 0; i < iters; ++i) frozen.run(big.data(), 256, logits.data(), ws, &pool);
        rates.push_back(256.0 * iters / seconds(t0, Clock::now()));
    }
    std::printf("{\"bench\":\"infer\",\"batch\":256,\"threads\":%d,\"images_per_s\":%.1f%s}\n", threads,
                median(rates), tag.c_str());
    std::fflush(stdout);
}

// The recognition pipeline on an image file (decode, ink, digit groups, the 28x28), one thread: what every
// /predict pays before the network runs.
void bench_pipeline(const std::string& path, int iters) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open the image");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const digit::DecodedImage probe = digit::decode_image(bytes.data(), bytes.size());
    digit::prepare_digit(bytes.data(), bytes.size());  // warm up (and fail here on a bad file)
    const int samples = std::max(20, iters * (bytes.size() > 1'000'000 ? 2 : 100));
    std::vector<double> latency(std::size_t(samples), 0.0);
    for (double& l : latency) {
        auto t0 = Clock::now();
        digit::prepare_digit(bytes.data(), bytes.size());
        l = seconds(t0, Clock::now()) * 1e6;
    }
    std::sort(latency.begin(), latency.end());
    std::printf(
        "{\"bench\":\"pipeline\",\"image\":\"%s\",\"width\":%d,\"height\":%d,\"threads\":1,"
        "\"latency_us_p50\":%.1f,\"latency_us_p99\":%.1f}\n",
        path.c_str(), probe.source_width, probe.source_height, latency[latency.size() / 2],
        latency[latency.size() * 99 / 100]);
    std::fflush(stdout);
}

// /read's work on an image file, one thread, beside the old route's and /predict's (the pipeline and one
// inference) on the same file, the three in turn sample by sample so that a noisy machine slows all alike:
// the ratios say what the line reader costs against the old route and what a number costs per digit.
void bench_read(const std::string& path, const std::string& model, int iters) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open the image");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const digit::Classifier classifier(model);
    const digit::LineReader reader(digit::line_model_beside(model));
    const digit::DecodedImage probe = digit::decode_image(bytes.data(), bytes.size());
    auto read_text = [&] {
        digit::Trace trace;
        digit::find_text(bytes.data(), bytes.size(), {}, trace);
        return digit::read_text(trace, reader, classifier);
    };
    const digit::TextReading reading = read_text();
    const int samples = std::max(20, iters * 10);
    std::vector<double> text_ms, old_ms, predict_ms;
    for (int i = 0; i < samples; ++i) {
        auto t0 = Clock::now();
        read_text();
        auto t1 = Clock::now();
        digit::read_number(bytes.data(), bytes.size(), classifier);
        auto t2 = Clock::now();
        classifier.predict(digit::prepare_digit(bytes.data(), bytes.size()).image);
        auto t3 = Clock::now();
        text_ms.push_back(seconds(t0, t1) * 1e3);
        old_ms.push_back(seconds(t1, t2) * 1e3);
        predict_ms.push_back(seconds(t2, t3) * 1e3);
    }
    auto at = [](std::vector<double> v, double q) {
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1, std::size_t(double(v.size()) * q))];
    };
    std::string text = reading.text;
    std::replace(text.begin(), text.end(), '\n', '|');
    const double per_digit = at(text_ms, 0.5) / std::max<std::size_t>(1, reading.digits.size());
    std::printf(
        "{\"bench\":\"read\",\"image\":\"%s\",\"width\":%d,\"height\":%d,\"text\":\"%s\",\"threads\":1,"
        "\"ms_p50\":%.2f,\"ms_p99\":%.2f,\"old_route_ms_p50\":%.2f,\"old_route_ms_p99\":%.2f,"
        "\"over_old_route\":%.2f,\"ms_per_digit_p50\":%.2f,\"predict_ms_p50\":%.2f,\"predict_ms_p99\":%.2f,"
        "\"per_digit_over_predict\":%.2f}\n",
        path.c_str(), probe.source_width, probe.source_height, text.c_str(), at(text_ms, 0.5),
        at(text_ms, 0.99), at(old_ms, 0.5), at(old_ms, 0.99), at(text_ms, 0.5) / at(old_ms, 0.5), per_digit,
        at(predict_ms, 0.5), at(predict_ms, 0.99), per_digit / at(predict_ms, 0.5));
    std::fflush(stdout);
}

// The line reader's forward pass and decoding on one strip, one thread: a line of 4 and of 12 characters
// (strips as wide as make_line_strip makes them: 32 px high, about 20 px a character, margins of 8 px).
void bench_lines(const std::string& path, int iters) {
    const digit::LineReader reader(path);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    for (int chars : {4, 12}) {
        const int width = (chars * 20 + 2 * digit::kLineMargin + 3) / 4 * 4;
        digit::Plane strip(width, digit::kLineHeight);
        for (float& v : strip.v) v = pixel(rng) < 0.2f ? 1.0f : 0.0f;
        reader.read(strip);  // warm-up
        const int samples = std::max(50, iters * 20);
        std::vector<double> us;
        for (int i = 0; i < samples; ++i) {
            auto t0 = Clock::now();
            reader.read(strip);
            us.push_back(seconds(t0, Clock::now()) * 1e6);
        }
        std::sort(us.begin(), us.end());
        std::printf(
            "{\"bench\":\"lines\",\"chars\":%d,\"width\":%d,\"threads\":1,\"latency_us_p50\":%.1f,"
            "\"latency_us_p99\":%.1f,\"model\":\"%s\"}\n",
            chars, width, us[us.size() / 2], us[us.size() * 99 / 100], path.c_str());
        std::fflush(stdout);
    }
}

int usage(const char* why) {
    std::fprintf(
        stderr,
        "cnn-bench: %s\nusage: cnn-bench [--threads N] [--iters N] [--only train|infer|lines] [--model PATH] "
        "[--image FILE]... [--read FILE]...\n",
        why);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 1, iters = 10;
    std::string only, model;
    std::vector<std::string> images, numbers;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
            return argv[++i];
        };
        try {
            if (arg == "--threads")
                threads = std::stoi(value());
            else if (arg == "--iters")
                iters = std::stoi(value());
            else if (arg == "--only")
                only = value();
            else if (arg == "--model")
                model = value();
            else if (arg == "--image")
                images.push_back(value());
            else if (arg == "--read")
                numbers.push_back(value());
            else if (arg == "--help" || arg == "-h")
                return usage("DigitNet training and inference speed"), 0;
            else
                return usage(("unknown option " + arg).c_str());
        } catch (const std::exception& e) {
            return usage(e.what());
        }
    }
    if (threads < 1 || iters < 1) return usage("--threads and --iters must be at least 1");
    if (!only.empty() && only != "train" && only != "infer" && only != "lines")
        return usage("--only takes train, infer or lines");
    if (only == "lines") {
        try {
            bench_lines(digit::line_model_beside(model.empty() ? "models/digitnet.cnn" : model), iters);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cnn-bench: %s\n", e.what());
            return 1;
        }
        return 0;
    }
    if (!images.empty() || !numbers.empty()) {  // image files: the pipeline's or /read's time on each
        try {
            for (const std::string& image : images) bench_pipeline(image, iters);
            for (const std::string& image : numbers)
                bench_read(image, model.empty() ? "models/digitnet.cnn" : model, iters);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cnn-bench: %s\n", e.what());
            return 1;
        }
        return 0;
    }
    if (!model.empty()) only = "infer";  // a saved model is measured for inference only
    if (only.empty() || only == "train") {
        bench_train(threads, 128, iters);
        bench_train(threads, 64, iters);
    }
    if (only.empty() || only == "infer") {
        try {
            bench_infer(threads, iters, model);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "cnn-bench: %s\n", e.what());
            return 1;
        }
    }
    return 0;
}
