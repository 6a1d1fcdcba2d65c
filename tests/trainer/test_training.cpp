// The trainer's behaviour: a short run learns, checkpoints resume exactly, interrupted runs resume exactly.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "classifier.hpp"
#include "pairs.hpp"
#include "synth/doodles.hpp"
#include "synth/strokes.hpp"
#include "synth/styles.hpp"
#include "training.hpp"
#include "uploads.hpp"

namespace {

bool have_mnist() {
    return std::ifstream(std::string(DIGIT_MNIST_DIR) + "/train-images-idx3-ubyte").good();
}

digit::TrainOptions quick_options(const std::string& name) {
    digit::TrainOptions o;
    o.data_dir = DIGIT_MNIST_DIR;
    o.out = "/tmp/digit_train_test_" + std::to_string(::getpid()) + "_" + name + ".cnn";
    o.checkpoint = o.out + ".ckpt";
    o.arch = "digitnet";
    o.limit = 2000;
    o.validation = 200;
    o.threads = 2;
    o.quiet = true;
    return o;
}

std::vector<float> weights_of(const std::string& path) {
    cnn::Sequential net = cnn::load(path);
    std::vector<float> w;
    for (cnn::Param* p : net.params()) w.insert(w.end(), p->value.data(), p->value.data() + p->value.size());
    for (size_t i = 0; i < net.size(); ++i)
        for (auto& [name, t] : net.layer(i).buffers()) w.insert(w.end(), t->data(), t->data() + t->size());
    return w;
}

void remove_outputs(const digit::TrainOptions& o) {
    std::remove(o.out.c_str());
    std::remove(o.checkpoint.c_str());
    if (!o.metrics.empty()) std::remove(o.metrics.c_str());
}

}  // namespace

TEST_CASE("A short training run on 2,000 MNIST images reaches over 90% test accuracy", "[trainer]") {
    if (!have_mnist()) FAIL("MNIST is missing: run data/fetch-mnist.sh");
    digit::TrainOptions o = quick_options("short");
    o.epochs = 3;
    o.augment = false;
    o.metrics = o.out + ".json";
    digit::TrainResult r = digit::train(o);
    REQUIRE(r.epochs.size() == 3);
    CHECK(r.epochs.back().test_accuracy > 0.90);
    // The model file holds the recipe and the figures; the metrics file one entry per epoch.
    cnn::Sequential net = cnn::load(o.out);
    CHECK(net.metadata.at("architecture") == "digitnet");
    CHECK(net.metadata.count("recipe") == 1);
    CHECK(std::stod(net.metadata.at("test_accuracy")) == Approx(r.epochs.back().test_accuracy).margin(1e-4));
    CHECK(net.metadata.count("checkpoint.epoch") == 0);
    std::ifstream metrics(o.metrics);
    std::string text((std::istreambuf_iterator<char>(metrics)), std::istreambuf_iterator<char>());
    CHECK(text.find("\"epoch\": 3") != std::string::npos);
    remove_outputs(o);
}

TEST_CASE("Resuming from a checkpoint continues with the saved epoch and optimizer state", "[trainer]") {
    if (!have_mnist()) FAIL("MNIST is missing: run data/fetch-mnist.sh");
    // A constant learning rate, so that a 1-epoch run is the first half of a 2-epoch run.
    digit::TrainOptions straight = quick_options("straight");
    straight.limit = 600;
    straight.validation = 60;
    straight.schedule = "constant";
    straight.epochs = 2;
    digit::train(straight);

    digit::TrainOptions resumed = straight;
    resumed.out = quick_options("resumed").out;
    resumed.checkpoint = resumed.out + ".ckpt";
    resumed.epochs = 1;
    digit::train(resumed);
    cnn::NamedTensors state;
    cnn::Sequential ckpt = cnn::load(resumed.checkpoint, &state);
    CHECK(ckpt.metadata.at("checkpoint.epoch") == "1");
    CHECK(std::stoi(ckpt.metadata.at("checkpoint.optimizer_steps")) == 5);  // 540 images in batches of 128
    CHECK(state.size() == 2 * ckpt.params().size());                        // Adam's m and v per parameter
    resumed.epochs = 2;
    resumed.resume = true;
    digit::TrainResult r = digit::train(resumed);
    REQUIRE(r.epochs.size() == 2);
    CHECK(r.epochs[0].epoch == 1);
    CHECK(weights_of(resumed.out) == weights_of(straight.out));
    remove_outputs(straight);
    remove_outputs(resumed);
}

TEST_CASE("An interrupted run writes a checkpoint mid-epoch and resumes to the same model", "[trainer]") {
    if (!have_mnist()) FAIL("MNIST is missing: run data/fetch-mnist.sh");
    digit::TrainOptions straight = quick_options("uninterrupted");
    straight.limit = 1200;
    straight.validation = 100;
    straight.epochs = 2;
    digit::train(straight);

    digit::TrainOptions o = straight;
    o.out = quick_options("interrupted").out;
    o.checkpoint = o.out + ".ckpt";
    digit::g_stop_requested = false;
    std::thread stopper([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        digit::g_stop_requested = true;
    });
    digit::TrainResult first = digit::train(o);
    stopper.join();
    digit::g_stop_requested = false;
    REQUIRE(first.interrupted);
    CHECK_FALSE(std::ifstream(o.out).good());  // no model yet, only the checkpoint
    cnn::Sequential ckpt = cnn::load(o.checkpoint);
    INFO("stopped at epoch " << ckpt.metadata.at("checkpoint.epoch") << " batch "
                             << ckpt.metadata.at("checkpoint.batch"));
    o.resume = true;
    digit::train(o);
    CHECK(weights_of(o.out) == weights_of(straight.out));
    remove_outputs(straight);
    remove_outputs(o);
}

TEST_CASE("The shipped pair reader tells one digit from two and reads both, on MNIST test digits",
          "[trainer][pairs]") {
    const std::string model = std::string(DIGIT_SOURCE_DIR) + "/models/pairnet.cnn";
    const digit::Dataset data = digit::load_dataset(DIGIT_MNIST_DIR);
    // Test digits only, never trained on: one digit, or two written close, on canvas or paper.
    const digit::LabelledImages samples = digit::make_pair_samples(data.test, 2000, 77);
    REQUIRE(samples.count == 2000);
    REQUIRE(samples.cols == digit::kWideSide);
    const digit::PairReader reader(model);
    std::vector<digit::ImageWide> fields(samples.count);
    for (std::size_t i = 0; i < samples.count; ++i)
        std::copy_n(samples.image(i), digit::kWidePixels, fields[i].begin());
    const std::vector<digit::PairPrediction> answers = reader.read(fields);
    int count_right = 0, singles = 0, singles_right = 0, pairs = 0, pairs_right = 0;
    for (std::size_t i = 0; i < samples.count; ++i) {
        const int truth = samples.labels[i];
        const digit::PairPrediction& a = answers[i];
        const bool two = a.two >= 0.5f;
        count_right += two == (truth >= 10);
        if (truth < 10) {
            ++singles;
            singles_right +=
                !two && std::max_element(a.single.begin(), a.single.end()) - a.single.begin() == truth;
        } else {
            ++pairs;
            pairs_right += two && a.best_pair == truth - 10;
        }
    }
    std::printf(
        "pair reader on MNIST test digits: one or two told apart %.2f%%, single digits %.2f%%, pairs "
        "%.2f%% (%zu samples)\n",
        100.0 * count_right / double(samples.count), 100.0 * singles_right / singles,
        100.0 * pairs_right / pairs, samples.count);
    CHECK(count_right >= 0.98 * double(samples.count));
    CHECK(singles_right >= 0.965 * singles);
    CHECK(pairs_right >= 0.9 * pairs);
}

TEST_CASE(
    "Pair samples redrawn with a pen or broken: none by default, and the same samples as before at share 0",
    "[trainer][pairs]") {
    const digit::Dataset data = digit::load_dataset(DIGIT_MNIST_DIR);
    const digit::LabelledImages plain = digit::make_pair_samples(data.test, 60, 5),
                                zero = digit::make_pair_samples(data.test, 60, 5, 0.6f, 0.0f, 0.0f),
                                pen = digit::make_pair_samples(data.test, 60, 5, 0.6f, 1.0f),
                                broken = digit::make_pair_samples(data.test, 60, 5, 0.6f, 0.0f, 1.0f);
    CHECK(zero.pixels == plain.pixels);
    CHECK(zero.labels == plain.labels);
    for (const digit::LabelledImages* changed : {&pen, &broken}) {
        REQUIRE(changed->count == 60);
        CHECK(changed->cols == digit::kWideSide);
        CHECK(changed->pixels != plain.pixels);
    }
}

namespace {

// Width of the ink in row y: the number of pixels with coverage at least a half.
int ink_width(const digit::Coverage& c, int y) {
    int n = 0;
    for (int x = 0; x < c.width; ++x) n += c(x, y) >= 0.5f;
    return n;
}

}  // namespace

TEST_CASE("A broken stroke wipes out the ink within 5-10% of the height of one point of the strokes",
          "[trainer][restroke]") {
    // An upright bar 5 px wide, 60 px tall: a gap that spans it parts it in two.
    digit::Coverage bar(40, 80);
    for (int y = 10; y < 70; ++y)
        for (int x = 18; x < 23; ++x) bar(x, y) = 1.0f;
    std::mt19937 rng(7), untouched(7);
    const digit::Coverage same = digit::maybe_break_stroke(bar, 60.0f, 0.0f, rng);
    CHECK(same.v == bar.v);
    CHECK(rng() == untouched());  // share 0 draws nothing
    int parted = 0;
    for (int trial = 0; trial < 20; ++trial) {
        const digit::Coverage out = digit::maybe_break_stroke(bar, 60.0f, 1.0f, rng);
        // Every pixel changed lies within the gap's radius (at most 10% of 60 px) of one point.
        std::vector<std::pair<int, int>> wiped;
        bool added = false;
        for (int y = 0; y < 80; ++y)
            for (int x = 0; x < 40; ++x) {
                added = added || out(x, y) > bar(x, y);
                if (out(x, y) < bar(x, y)) wiped.push_back({x, y});
            }
        CHECK(!added);
        REQUIRE(!wiped.empty());
        double widest = 0.0;
        for (const auto& [x0, y0] : wiped)
            for (const auto& [x1, y1] : wiped) widest = std::max(widest, std::hypot(x1 - x0, y1 - y0));
        CHECK(widest <= 2 * 6.0 + 1.0);
        // Parted in two: a row between rows of ink holds none.
        bool gap = false;
        for (int y = 11; y < 69; ++y) gap = gap || ink_width(out, y) == 0;
        parted += gap;
    }
    // Most wipes span the bar (those drawn at its edge with a small radius dent it).
    CHECK(parted >= 10);
}

TEST_CASE("restroke redraws strokes of any width with a pen of the width asked", "[trainer][restroke]") {
    // An upright bar 21 px wide and a hairline 1 px wide, 60 px tall.
    digit::Coverage bold(80, 80), thin(80, 80);
    for (int y = 10; y < 70; ++y) {
        for (int x = 30; x < 51; ++x) bold(x, y) = 1.0f;
        thin(40, y) = 1.0f;
    }
    for (float radius : {1.5f, 4.0f, 8.0f}) {
        const int expected = 2 * int(radius) + 1;  // pixels within radius + 0.5 - 0.5 of the centre line
        for (const digit::Coverage* in : {&bold, &thin}) {
            const digit::Coverage out = digit::restroke(*in, radius);
            // Away from the ends, every row is as wide as the pen, centred on the stroke.
            for (int y = 25; y < 55; ++y) {
                CHECK(std::abs(ink_width(out, y) - expected) <= 1);
                CHECK(out(40, y) == 1.0f);
            }
            // The stroke keeps its length, less at most half the old width at each end (where a thick
            // stroke's centre line ends), and gains none beyond the pen.
            CHECK(ink_width(out, 21) > 0);
            CHECK(ink_width(out, 58) > 0);
            CHECK(ink_width(out, 10 - int(radius) - 2) == 0);
            CHECK(ink_width(out, 69 + int(radius) + 2) == 0);
        }
    }
    // A ring stays a ring: its inside keeps clear when the pen is thinner than the hole.
    digit::Coverage ring(80, 80);
    for (int y = 0; y < 80; ++y)
        for (int x = 0; x < 80; ++x) {
            const float d = std::hypot(float(x) - 40.0f, float(y) - 40.0f);
            ring(x, y) = d > 18.0f && d < 30.0f ? 1.0f : 0.0f;
        }
    const digit::Coverage out = digit::restroke(ring, 3.0f);
    CHECK(out(40, 40) == 0.0f);
    CHECK(out(40, 16) == 1.0f);  // the centre line, 24 px from the centre
    CHECK(out(40, 11) == 0.0f);  // the ring's outer edge is gone
}

TEST_CASE("Every digit style draws ink inside its canvas, and the styled uploads take the styles in turn",
          "[trainer][styles]") {
    const std::vector<digit::DigitStyle>& styles = digit::digit_styles();
    REQUIRE(styles.size() >= 15);
    std::mt19937 rng(5);
    for (std::size_t s = 0; s < styles.size(); ++s) {
        INFO(styles[s].name);
        CHECK(styles[s].digit >= 0);
        CHECK(styles[s].digit <= 9);
        for (int k = 0; k < 20; ++k) {
            const digit::Coverage c = digit::draw_styled_digit(s, 100, rng);
            CHECK(c.width == 160);  // 100 px and a margin of 30% on either side
            int inked = 0, border = 0;
            for (int y = 0; y < c.height; ++y)
                for (int x = 0; x < c.width; ++x) {
                    const bool ink = c(x, y) >= 0.5f;
                    inked += ink;
                    border += ink && (x == 0 || y == 0 || x == c.width - 1 || y == c.height - 1);
                }
            CHECK(inked >= 300);  // strokes, not a dot
            CHECK(border == 0);   // nothing cut off
        }
    }
    CHECK_THROWS_AS(digit::draw_styled_digit(styles.size(), 100, rng), std::out_of_range);

    const digit::LabelledImages made = digit::styled_digits_as_uploads(2 * styles.size(), 3);
    CHECK(made.count >= 2 * styles.size() - 2);  // the recognizer may find no ink in a faint one
    CHECK(made.pixels.size() == made.count * 784);
    if (made.count == 2 * styles.size())
        for (std::size_t i = 0; i < made.count; ++i) CHECK(made.labels[i] == styles[i % styles.size()].digit);
}

TEST_CASE(
    "Every doodle kind of the table draws ink, the splits share no kind, and an unknown kind is refused",
    "[trainer][doodles]") {
    const auto& training = digit::doodle_kinds(digit::NegativeSplit::training);
    const auto& held_out = digit::doodle_kinds(digit::NegativeSplit::held_out);
    CHECK(!training.empty());
    CHECK(!held_out.empty());
    std::vector<std::string> kinds = training;
    for (const std::string& kind : held_out) {
        CHECK(std::find(training.begin(), training.end(), kind) == training.end());
        kinds.push_back(kind);
    }
    // Drawn by name only, for a third of the training doodles each (make_negatives).
    for (const char* kind : {"composition", "blob"}) {
        CHECK(std::find(kinds.begin(), kinds.end(), kind) == kinds.end());
        kinds.push_back(kind);
    }
    std::mt19937 rng(11);
    for (const std::string& kind : kinds) {
        INFO(kind);
        const digit::Coverage c = digit::draw_doodle(kind, 100, rng);
        CHECK(c.width == 136);  // 100 px and a margin of 18% on either side
        CHECK(c.height == 136);
        int inked = 0;
        for (float v : c.v) inked += v >= 0.5f;
        CHECK(inked >= 20);  // a dot at least
    }
    CHECK_THROWS_AS(digit::draw_doodle("unicorn", 100, rng), std::invalid_argument);
}
