// Whole numbers read by /read's line reader (read_text: lines, models/linenet.cnn, the runs of digits read
// again by the digit route) and by the old route (read_number: digit groups, cuts and the pair reader,
// models/pairnet.cnn), on images made here from MNIST test digits (stress_images.hpp's number_image:
// notebook photos and wide canvases, gaps from overlapping to wide, a third with a touching or overlapping
// pair) and from stroke drawings on a wide canvas (test_images.hpp's digit_strokes: a 4 in two strokes, a 5
// whose bar is apart, a 1 that is just a stroke, lengths 1 to 12). Beside them run two simpler routes: the
// old route without the pair reader ("cuts only"), and every digit group of group_digits read whole as one
// digit (components merged by geometry, nothing cut). All are read by the shipped models. The suite prints
// exact-string accuracy by length and kind and per-digit accuracy for each, and the calibration of the two
// routes' confidence, and fails under the floors below.
//
// NUMBER_DUMP_DIR=dir writes every image the line reader misreads as kind_index_truth_read.{png,jpg}.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "calibrate.hpp"
#include "classifier.hpp"
#include "line_reader.hpp"
#include "numbers.hpp"
#include "recognizer.hpp"
#include "stress_images.hpp"
#include "test_images.hpp"
#include "text_reading.hpp"

namespace {

constexpr int kPerLength = 100;      // MNIST strings of each length 2-7, half on paper, half on canvas
constexpr int kDrawnPerLength = 10;  // stroke drawings of each length 1-12
constexpr double kMnistStringsFloor = 97.0;  // percent exact, the old route
constexpr double kLineReaderFloor = 94.0;    // percent exact, the line reader

// The simpler route: each group of group_digits read whole.
std::string read_groups_whole(const std::string& file, const digit::Classifier& classifier) {
    const digit::DecodedImage decoded = digit::decode_image(file.data(), file.size());
    const digit::InkMap ink = digit::find_ink(decoded.grey);
    digit::Components components = digit::label_components(ink);
    digit::mark_clutter(components, decoded.grey.width, decoded.grey.height);
    std::string text;
    for (const digit::DigitGroup& group : digit::group_digits(ink, components)) {
        try {
            text += char('0' +
                         classifier.numbers().predict(digit::normalise_digit(ink, components, group)).digit);
        } catch (const digit::ImageError&) {
        }
    }
    return text;
}

// The line reader's text (read_text through models/linenet.cnn, digits only as /read?charset=digits) and
// its confidence (0 when nothing is read).
std::pair<std::string, float> read_lines(const std::string& file, const digit::Classifier& classifier,
                                         const digit::LineReader& reader) {
    try {
        digit::Trace trace;
        digit::find_text(file.data(), file.size(), {}, trace);
        const digit::TextReading reading =
            digit::read_text(trace, reader, classifier, digit::Charset::digits);
        return {reading.text, reading.confidence};
    } catch (const digit::ImageError&) {
        return {"", 0.0f};
    }
}

// The text and its confidence (0 when nothing is read).
std::pair<std::string, float> read_ours(const std::string& file, const digit::Classifier& classifier) {
    try {
        const digit::NumberReading reading = digit::read_number(file.data(), file.size(), classifier);
        return {reading.text, reading.confidence};
    } catch (const digit::ImageError&) {
        return {"", 0.0f};
    }
}

struct Score {
    int exact = 0, count = 0;
    void add(bool right) { exact += right, ++count; }
    double percent() const { return count > 0 ? 100.0 * exact / count : 0.0; }
};

// Per route: exact strings by row, and digits read right per class (a string read with the wrong length
// counts all its digits wrong).
struct Route {
    std::map<std::string, Score> rows;
    Score digits[10];
    void add(const std::string& row, const std::string& truth, const std::string& read) {
        rows[row].add(truth == read);
        for (std::size_t i = 0; i < truth.size(); ++i)
            digits[truth[i] - '0'].add(read.size() == truth.size() && read[i] == truth[i]);
    }
};

// A drawn digit is kept when the model reads it, perfectly cropped, as its label.
class ReadableDigits {
  public:
    ReadableDigits(const testimg::Mnist& mnist, const digit::Classifier& classifier)
        : mnist_(mnist), classifier_(classifier), checked_(std::size_t(mnist.count), 0) {}
    int pick(std::mt19937& rng, int label) {
        std::uniform_int_distribution<int> any(0, mnist_.count - 1);
        for (;;) {
            const int index = any(rng);
            if (mnist_.labels[std::size_t(index)] != label) continue;
            std::uint8_t& state = checked_[std::size_t(index)];
            if (state == 0) {
                const stress::InkMap ink = stress::drawn_digit(mnist_, index, 80.0f, 0.1f);
                digit::Plane plane(ink.width, ink.height);
                plane.v = ink.v;
                state = classifier_.predict(digit::centre_in_field(plane)).digit == label ? 1 : 2;
            }
            if (state == 1) return index;
        }
    }

  private:
    const testimg::Mnist& mnist_;
    const digit::Classifier& classifier_;
    std::vector<std::uint8_t> checked_;  // 0 unchecked, 1 readable, 2 not
};

// A number drawn with digit_strokes on a wide canvas: per-digit size and baseline jitter, gaps from
// narrow to wide; a 1 is sometimes a bare stroke.
std::string drawn_number(const std::string& text, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const float height = 50 + 70 * u(rng), brush = height * (0.07f + 0.07f * u(rng));
    std::vector<float> widths, gaps;
    float total = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        widths.push_back(height * (text[i] == '1' ? 0.35f : 0.55f + 0.15f * u(rng)));
        gaps.push_back(i + 1 < text.size() ? height * (0.2f + 0.5f * u(rng)) : 0.0f);
        total += widths.back() + gaps.back();
    }
    const int margin = int(height * 0.6f);
    const int width = int(total) + 2 * margin;
    const int image_height = std::max(int(height * 1.8f), width / 3);
    const bool dark_ink = u(rng) < 0.7f;
    testimg::Rgba canvas(width, image_height,
                         dark_ink ? std::array<std::uint8_t, 4>{255, 255, 255, 255}
                                  : std::array<std::uint8_t, 4>{20, 20, 28, 255});
    const std::array<std::uint8_t, 4> pen = dark_ink ? std::array<std::uint8_t, 4>{0, 0, 0, 255}
                                                     : std::array<std::uint8_t, 4>{255, 255, 255, 255};
    float x = float(margin);
    const float top = (image_height - height) / 2;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const float scale = 0.9f + 0.2f * u(rng), dy = height * (u(rng) - 0.5f) * 0.12f;
        const float h = height * scale, w = widths[i] * scale;
        if (text[i] == '1' && u(rng) < 0.5f)
            testimg::draw_segments(canvas, {{0.5f, 0.0f, 0.45f, 1.0f}}, x, top + dy, w, h, brush, pen);
        else
            testimg::draw_digit(canvas, text[i] - '0', x, top + dy, w, h, brush, pen);
        x += widths[i] + gaps[i];
    }
    return testimg::encode_png_rgba(canvas);
}

void dump(const std::string& dir, const std::string& name, const std::string& truth, const std::string& read,
          const std::string& file) {
    if (dir.empty()) return;
    const bool png = file.size() > 4 && file[1] == 'P' && file[2] == 'N' && file[3] == 'G';
    std::ofstream(
        dir + "/" + name + "_" + truth + "_" + (read.empty() ? "none" : read) + (png ? ".png" : ".jpg"),
        std::ios::binary)
        << file;
}

void print_table(const char* title, const std::vector<std::pair<const char*, const Route*>>& routes) {
    std::printf("\n%s\n%-22s", title, "strings");
    for (const auto& [name, route] : routes) std::printf(" %18s", name);
    std::printf("\n");
    auto cell = [](const Score& s) { std::printf(" %5d/%-5d %5.1f%%", s.exact, s.count, s.percent()); };
    for (const auto& [row, score] : routes[0].second->rows) {
        std::printf("%-22s", row.c_str());
        for (const auto& route : routes) cell(route.second->rows.at(row));
        std::printf("\n");
    }
    std::printf("%-22s", "digits (by class)");
    for (const auto& [name, route] : routes) std::printf(" %18s", name);
    std::printf("\n");
    for (int d = 0; d < 10; ++d) {
        std::printf("%-22d", d);
        for (const auto& route : routes) cell(route.second->digits[d]);
        std::printf("\n");
    }
    std::fflush(stdout);
}

}  // namespace

TEST_CASE("numbers: MNIST test strings and drawn numbers read whole, against groups read whole",
          "[numbers]") {
    const std::string source = DIGIT_SOURCE_DIR;
    testimg::Mnist mnist;
    if (!testimg::load_mnist_test(source + "/data/mnist", mnist))
        FAIL("MNIST test set missing or unreadable in " << source << "/data/mnist");
    const digit::Classifier classifier(source + "/models/digitnet.cnn");
    const digit::LineReader reader(source + "/models/linenet.cnn");
    const char* dump_env = std::getenv("NUMBER_DUMP_DIR");
    const std::string dump_dir = dump_env != nullptr ? dump_env : "";
    if (!dump_dir.empty()) std::filesystem::create_directories(dump_dir);
    const auto start = std::chrono::steady_clock::now();

    ReadableDigits readable(mnist, classifier);
    // NUMBER_SEED draws another set of strings, for measuring a change on strings it was not tuned on.
    const char* seed_env = std::getenv("NUMBER_SEED");
    std::mt19937 rng(seed_env != nullptr ? std::uint32_t(std::strtoul(seed_env, nullptr, 10)) : 2024u);
    Route lines, ours, cuts, simple;
    std::vector<float> confidences, line_confidences;  // of the old route's and the line reader's readings
    std::vector<bool> right, line_right;
    for (int length = 2; length <= 7; ++length) {
        for (int n = 0; n < kPerLength; ++n) {
            std::vector<int> indices;
            for (int i = 0; i < length; ++i) indices.push_back(readable.pick(rng, int(rng() % 10)));
            const bool touching = n % 3 == 0;
            const auto style = n % 2 == 0 ? stress::NumberStyle::paper : stress::NumberStyle::canvas;
            const stress::NumberSample sample =
                stress::number_image(mnist, indices, style, touching, std::uint32_t(rng()));
            const auto [ours_read, ours_confidence] = read_ours(sample.file, classifier);
            const auto [lines_read, lines_confidence] = read_lines(sample.file, classifier, reader);
            line_confidences.push_back(lines_confidence);
            line_right.push_back(lines_read == sample.text);
            const std::string simple_read = read_groups_whole(sample.file, classifier);
            const std::string cuts_read = stress::read_number_text(classifier, sample.file, false);
            confidences.push_back(ours_confidence);
            right.push_back(ours_read == sample.text);
            const std::string kind = std::string(style == stress::NumberStyle::paper ? "paper" : "canvas") +
                                     (touching ? " touching" : " apart");
            for (const std::string& row : {"length " + std::to_string(length), kind, std::string("all")}) {
                lines.add(row, sample.text, lines_read);
                ours.add(row, sample.text, ours_read);
                cuts.add(row, sample.text, cuts_read);
                simple.add(row, sample.text, simple_read);
            }
            if (lines_read != sample.text)
                dump(dump_dir, "mnist" + std::to_string(length) + "_" + std::to_string(n), sample.text,
                     lines_read, sample.file);
        }
    }
    Route drawn_lines, drawn_ours, drawn_cuts, drawn_simple;
    std::mt19937 draw_rng(13);
    const std::vector<std::string> fixed = {"1111", "007", "2024", "10", "11", "100", "45", "54", "1", "7"};
    for (int length = 1; length <= 12; ++length) {
        for (int n = 0; n < kDrawnPerLength; ++n) {
            std::string text;
            if (length == 1 && n < int(fixed.size())) {
                text = fixed[std::size_t(n)];
            } else {
                for (int i = 0; i < length; ++i) text += char('0' + draw_rng() % 10);
            }
            const std::string file = drawn_number(text, draw_rng);
            const std::string ours_read = read_ours(file, classifier).first;
            const std::string lines_read = read_lines(file, classifier, reader).first;
            const std::string simple_read = read_groups_whole(file, classifier);
            const std::string cuts_read = stress::read_number_text(classifier, file, false);
            const std::string row =
                "length " + std::string(text.size() < 10 ? " " : "") + std::to_string(text.size());
            for (const std::string& r : {row, std::string("all")}) {
                drawn_lines.add(r, text, lines_read);
                drawn_ours.add(r, text, ours_read);
                drawn_cuts.add(r, text, cuts_read);
                drawn_simple.add(r, text, simple_read);
            }
            if (lines_read != text)
                dump(dump_dir, "drawn" + std::to_string(length) + "_" + std::to_string(n), text, lines_read,
                     file);
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_table(
        "numbers from MNIST test digits (paper JPEG and canvas PNG)",
        {{"line reader", &lines}, {"old route", &ours}, {"cuts only", &cuts}, {"groups whole", &simple}});
    // How far the text's confidence can be trusted: its calibration, and how right the sure readings are.
    for (const auto& [name, conf, ok] : {std::tuple{"line reader", &line_confidences, &line_right},
                                         std::tuple{"old route", &confidences, &right}}) {
        int sure = 0, sure_right = 0;
        for (std::size_t i = 0; i < conf->size(); ++i)
            if ((*conf)[i] >= 0.9f) ++sure, sure_right += (*ok)[i];
        std::printf(
            "%s, confidence of the text: expected calibration error (15 bins) %.4f; read with 0.9 or more: "
            "%d/%zu strings, %.1f%% of them exact\n",
            name, digit::expected_calibration_error(*conf, *ok), sure, conf->size(),
            100.0 * sure_right / std::max(1, sure));
    }
    print_table("numbers drawn with strokes on a wide canvas", {{"line reader", &drawn_lines},
                                                                {"old route", &drawn_ours},
                                                                {"cuts only", &drawn_cuts},
                                                                {"groups whole", &drawn_simple}});
    std::printf("(%.1f s, making and reading both ways)\n", seconds);

    // The old route: at least 97% exact on the MNIST strings, 98% on the drawn numbers. The line reader
    // (what /read answers with), which reads the runs of digits again by the old route: at least 92% on the
    // MNIST strings (the aim is 98%), every drawn number.
    CHECK(ours.rows["all"].percent() >= kMnistStringsFloor);
    CHECK(drawn_ours.rows["all"].percent() >= 98.0);
    CHECK(lines.rows["all"].percent() >= kLineReaderFloor);
    CHECK(drawn_lines.rows["all"].percent() >= 100.0);
}

// Not run by default: writes the bench's number images into NUMBER_SAMPLE_DIR (cnn-bench --read), a 4-digit
// 800x300 photo of pen on paper (JPEG) and a 7-digit canvas drawing (PNG).
TEST_CASE("numbers: sample images for the bench", "[.samples]") {
    const char* dir_env = std::getenv("NUMBER_SAMPLE_DIR");
    REQUIRE(dir_env != nullptr);
    const std::string dir = dir_env;
    std::filesystem::create_directories(dir);
    std::mt19937 rng(4);
    testimg::Rgba photo(800, 300);
    testimg::fill_paper(photo, {0.97f, 0.95f, 0.88f}, 0.25f, 0.02f, rng);
    const std::string year = "2024";
    for (std::size_t i = 0; i < year.size(); ++i)
        testimg::draw_digit(photo, year[i] - '0', 150 + 130 * float(i), 80, 80, 140, 7, {30, 30, 60, 255});
    std::ofstream(dir + "/photo-2024.jpg", std::ios::binary) << testimg::encode_jpeg(photo, 85);
    testimg::Rgba canvas(1050, 350);
    const std::string number = "1234567";
    for (std::size_t i = 0; i < number.size(); ++i)
        testimg::draw_digit(canvas, number[i] - '0', 80 + 130 * float(i), 90, 85, 170, 16, {0, 0, 0, 255});
    std::ofstream(dir + "/canvas-1234567.png", std::ios::binary) << testimg::encode_png_rgba(canvas);
}

// The single-digit answer says how many digits an image holds (digit_count), and the page offers to read an
// image of several as a number. A single digit written wide must count as one: every MNIST test digit,
// uploaded dark on light at 4x as the page's "Random test digit" does, by the geometry alone and settled by
// the pair reader.
TEST_CASE("numbers: a single MNIST test digit counts as one digit, a wide one too", "[numbers][count]") {
    const std::string source = DIGIT_SOURCE_DIR;
    testimg::Mnist mnist;
    if (!testimg::load_mnist_test(source + "/data/mnist", mnist))
        FAIL("MNIST test set missing or unreadable in " << source << "/data/mnist");
    const digit::Classifier classifier(source + "/models/digitnet.cnn");
    REQUIRE(classifier.pairs() != nullptr);
    int geometry_more = 0, settled_more = 0, images = 0;
    for (int i = 0; i < mnist.count; ++i) {
        testimg::Rgba image(112, 112);
        for (int y = 0; y < 112; ++y)
            for (int x = 0; x < 112; ++x) {
                std::uint8_t* p = image.at(x, y);
                p[0] = p[1] = p[2] =
                    std::uint8_t(255 - mnist.images[std::size_t(i) * 784 + std::size_t(y / 4 * 28 + x / 4)]);
            }
        const std::string file = testimg::encode_png_rgba(image);
        try {
            const digit::SingleDigitInput input = digit::prepare_digit(file.data(), file.size());
            ++images;
            geometry_more += input.digit_count > 1;
            settled_more += digit::settle_digit_count(input, classifier) > 1;
        } catch (const digit::ImageError&) {
        }
    }
    std::printf(
        "MNIST test digits counted as more than one digit: %d of %d by the geometry alone, %d settled by "
        "the pair reader\n",
        geometry_more, images, settled_more);
    CHECK(images == mnist.count);
    CHECK(settled_more <= images / 250);
}
