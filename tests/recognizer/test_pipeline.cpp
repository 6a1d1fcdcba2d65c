// The image pipeline on images made here: every file kind and colour type, both polarities, paper with tint,
// shadow and grain, transparency, EXIF rotations, tiny and huge images, off-centre digits among specks,
// blank images and bad files. The checks are what MNIST's preprocessing promises: ink = 1 on 0, the longer
// side of the ink ~20 px, the centre of mass at the centre.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "exif.hpp"
#include "recognizer.hpp"
#include "test_images.hpp"

using digit::Image28;
using testimg::Rgba;

namespace {

const std::array<std::uint8_t, 4> kBlackPen = {20, 20, 25, 255};
const std::array<std::uint8_t, 4> kBluePen = {30, 60, 170, 255};
const std::array<std::uint8_t, 4> kWhiteChalk = {245, 245, 240, 255};

std::string ascii(const Image28& image) {
    std::ostringstream out;
    for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
            const float v = image[std::size_t(y * 28 + x)];
            out << (v > 0.75f ? '#' : v > 0.4f ? '+' : v > 0.1f ? '.' : ' ');
        }
        out << "\n";
    }
    return out.str();
}

Image28 run(const std::string& file) {
    return digit::preprocess_image(file.data(), file.size());
}

// MNIST-like: centred by mass, longer side ~20, ink bright on dark, and not a smear.
void check_mnist_like(const Image28& image) {
    const testimg::InkStats s = testimg::ink_stats(image);
    INFO(ascii(image));
    CHECK(s.max_value > 0.9);
    CHECK(std::abs(s.com_x - 14.0) < 1.0);
    CHECK(std::abs(s.com_y - 14.0) < 1.0);
    CHECK(std::max(s.box_width(), s.box_height()) >= 18);
    CHECK(std::max(s.box_width(), s.box_height()) <= 21);
    CHECK(s.mass > 40);
    CHECK(s.mass < 300);
    // The border rows and columns stay background.
    double border = 0;
    for (int i = 0; i < 28; ++i) border += image[std::size_t(i)] + image[std::size_t(27 * 28 + i)];
    CHECK(border < 1.0);
}

// A clean reference: the digit in black on white, the way MNIST-trained intuition expects it.
Image28 reference(int digit) {
    Rgba clean(280, 280);
    testimg::draw_digit(clean, digit, 80, 40, 120, 200, 18, {0, 0, 0, 255});
    return run(testimg::encode_png_rgba(clean));
}

std::string error_code_of(const std::string& file) {
    try {
        run(file);
    } catch (const digit::ImageError& e) {
        return e.code_name();
    }
    return "no error";
}

}  // namespace

TEST_CASE("pen on paper photos: tint, shadow, grain, black or blue pen", "[pipeline]") {
    std::mt19937 rng(1);
    for (int digit : {0, 2, 3, 7}) {
        for (auto pen : {kBlackPen, kBluePen}) {
            Rgba photo(1600, 1200);
            testimg::fill_paper(photo, {0.96f, 0.93f, 0.82f}, 0.45f, 0.03f, rng);  // yellowish, shadowed
            testimg::draw_digit(photo, digit, 650, 350, 260, 480, 9, pen);
            const Image28 png = run(testimg::encode_png_rgba(photo));
            const Image28 jpeg = run(testimg::encode_jpeg(photo, 85));
            INFO("digit " << digit);
            check_mnist_like(png);
            check_mnist_like(jpeg);
            CHECK(testimg::correlation(png, reference(digit)) > 0.7);
            CHECK(testimg::correlation(jpeg, reference(digit)) > 0.7);
        }
    }
}

TEST_CASE("light ink on a dark canvas gives the same input as dark on light", "[pipeline]") {
    for (int digit : {1, 3, 7}) {
        Rgba dark(280, 280, {0, 0, 0, 255});
        testimg::draw_digit(dark, digit, 80, 40, 120, 200, 18, {255, 255, 255, 255});
        Rgba chalkboard(900, 700, {40, 60, 50, 255});
        testimg::draw_digit(chalkboard, digit, 300, 150, 180, 350, 10, kWhiteChalk);
        INFO("digit " << digit);
        check_mnist_like(run(testimg::encode_png_rgba(dark)));
        check_mnist_like(run(testimg::encode_jpeg(chalkboard)));
        CHECK(testimg::correlation(run(testimg::encode_png_rgba(dark)), reference(digit)) > 0.9);
        CHECK(testimg::correlation(run(testimg::encode_jpeg(chalkboard)), reference(digit)) > 0.7);
    }
}

TEST_CASE("transparent canvases: strokes only in alpha, dark or light strokes", "[pipeline]") {
    Rgba black_strokes(300, 300, {0, 0, 0, 0});
    testimg::draw_digit(black_strokes, 7, 90, 50, 120, 200, 20, {0, 0, 0, 255});
    Rgba white_strokes(300, 300, {255, 255, 255, 0});
    testimg::draw_digit(white_strokes, 7, 90, 50, 120, 200, 20, {255, 255, 255, 255});
    const Image28 from_black = run(testimg::encode_png_rgba(black_strokes));
    const Image28 from_white = run(testimg::encode_png_rgba(white_strokes));
    check_mnist_like(from_black);
    check_mnist_like(from_white);
    CHECK(testimg::correlation(from_black, reference(7)) > 0.75);
    CHECK(testimg::correlation(from_white, reference(7)) > 0.75);
}

TEST_CASE("every PNG colour type and depth, BMP and GIF decode to the same digit", "[pipeline]") {
    Rgba canvas(200, 200);
    testimg::draw_digit(canvas, 2, 55, 30, 90, 140, 12, {0, 0, 0, 255});
    const Image28 expected = run(testimg::encode_png_rgba(canvas));
    check_mnist_like(expected);
    struct Kind {
        const char* name;
        std::string file;
    };
    const Kind kinds[] = {
        {"grey 8-bit", testimg::encode_png_custom(canvas, 0, 8)},
        {"grey 16-bit", testimg::encode_png_custom(canvas, 0, 16)},
        {"grey 1-bit", testimg::encode_png_custom(canvas, 0, 1)},
        {"palette 4-bit index", testimg::encode_png_custom(canvas, 3, 8)},
        {"grey+alpha", testimg::encode_png_custom(canvas, 4, 8)},
        {"RGB 16-bit", testimg::encode_png_custom(canvas, 2, 16)},
        {"RGBA 16-bit", testimg::encode_png_custom(canvas, 6, 16)},
        {"BMP", testimg::encode_bmp(canvas)},
        {"GIF", testimg::encode_gif(canvas)},
        {"JPEG", testimg::encode_jpeg(canvas)},
    };
    for (const Kind& kind : kinds) {
        INFO(kind.name);
        const Image28 image = run(kind.file);
        check_mnist_like(image);
        CHECK(testimg::correlation(image, expected) > 0.9);
    }
}

TEST_CASE("JPEG EXIF orientation is honoured", "[pipeline][exif]") {
    Rgba upright(400, 300);
    testimg::draw_digit(upright, 7, 150, 40, 110, 220, 14, {0, 0, 0, 255});
    const Image28 expected = run(testimg::encode_jpeg(upright));
    check_mnist_like(expected);
    for (int orientation = 1; orientation <= 8; ++orientation) {
        INFO("orientation " << orientation);
        const std::string jpeg = testimg::with_exif_orientation(
            testimg::encode_jpeg(testimg::stored_for_orientation(upright, orientation)), orientation);
        CHECK(digit::jpeg_exif_orientation(jpeg.data(), jpeg.size()) == orientation);
        const Image28 image = run(jpeg);
        CHECK(testimg::correlation(image, expected) > 0.9);
    }
}

TEST_CASE("separate strokes of a 4 and a 5 are kept, specks far away are not", "[pipeline]") {
    std::mt19937 rng(7);
    for (int digit : {4, 5}) {
        Rgba page(1000, 800);
        testimg::fill_paper(page, {0.97f, 0.97f, 0.97f}, 0.2f, 0.02f, rng);
        testimg::draw_digit(page, digit, 400, 200, 180, 320, 8, kBlackPen);
        // Specks and a smudge well away from the digit.
        std::uniform_real_distribution<float> where(0.0f, 1.0f);
        for (int i = 0; i < 40; ++i) {
            const float x = where(rng) < 0.5f ? where(rng) * 300 : 700 + where(rng) * 290;
            const float y = where(rng) * 790;
            testimg::draw_segments(page, {{0, 0, 0.01f, 0.01f}}, x, y, 4, 4, 3, kBlackPen);
        }
        const Image28 image = run(testimg::encode_png_rgba(page));
        INFO("digit " << digit);
        check_mnist_like(image);
        CHECK(testimg::correlation(image, reference(digit)) > 0.8);
    }
}

TEST_CASE("ruled notebook lines are not ink of the digit", "[pipeline]") {
    std::mt19937 rng(3);
    Rgba page(1200, 900);
    testimg::fill_paper(page, {0.98f, 0.98f, 0.96f}, 0.1f, 0.015f, rng);
    for (int y = 60; y < 900; y += 70)
        testimg::draw_segments(page, {{0, 0, 1, 0}}, 0, float(y), 1200, 1, 3, {120, 150, 210, 255});
    testimg::draw_digit(page, 3, 500, 230, 200, 400, 9, kBluePen);
    const Image28 image = run(testimg::encode_jpeg(page));
    check_mnist_like(image);
    CHECK(testimg::correlation(image, reference(3)) > 0.7);
}

TEST_CASE("a small off-centre digit in a large noisy image, quickly", "[pipeline]") {
    std::mt19937 rng(5);
    Rgba page(4000, 3000);  // 12 MP, as a phone takes it
    testimg::fill_paper(page, {0.9f, 0.9f, 0.92f}, 0.35f, 0.04f, rng);
    testimg::draw_digit(page, 7, 3000, 350, 200, 380, 14, kBlackPen);
    const std::string jpeg = testimg::encode_jpeg(page, 80);
    const auto started = std::chrono::steady_clock::now();
    const Image28 image = run(jpeg);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    check_mnist_like(image);
    CHECK(testimg::correlation(image, reference(7)) > 0.7);
    CHECK(seconds < 2.0);
}

TEST_CASE("tiny images", "[pipeline]") {
    Rgba small(16, 16);
    testimg::draw_digit(small, 1, 6, 2, 4, 12, 2, {0, 0, 0, 255});
    const Image28 image = run(testimg::encode_png_rgba(small));
    const testimg::InkStats s = testimg::ink_stats(image);
    CHECK(s.box_height() >= 18);
    CHECK(std::abs(s.com_y - 14.0) < 1.0);
    Rgba one_pixel(1, 1, {0, 0, 0, 255});
    CHECK(error_code_of(testimg::encode_png_rgba(one_pixel)) == "empty_image");
}

TEST_CASE("blank images are empty_image, not a guess", "[pipeline]") {
    std::mt19937 rng(11);
    Rgba white(500, 400);
    CHECK(error_code_of(testimg::encode_png_rgba(white)) == "empty_image");
    Rgba black(64, 64, {0, 0, 0, 255});
    CHECK(error_code_of(testimg::encode_png_rgba(black)) == "empty_image");
    Rgba paper(1200, 900);
    testimg::fill_paper(paper, {0.95f, 0.92f, 0.85f}, 0.5f, 0.03f, rng);
    CHECK(error_code_of(testimg::encode_jpeg(paper, 80)) == "empty_image");
    Rgba transparent(300, 300, {0, 0, 0, 0});
    CHECK(error_code_of(testimg::encode_png_rgba(transparent)) == "empty_image");
}

TEST_CASE("bad files: garbage, text, truncated, absurd dimensions", "[pipeline]") {
    CHECK(error_code_of("") == "unsupported_media_type");
    CHECK(error_code_of("hello, I am a text file named digit.png\n") == "unsupported_media_type");
    CHECK(error_code_of(std::string(1000, '\xAB')) == "unsupported_media_type");
    Rgba canvas(200, 200);
    testimg::draw_digit(canvas, 2, 55, 30, 90, 140, 12, {0, 0, 0, 255});
    const std::string png = testimg::encode_png_rgba(canvas);
    const std::string jpeg = testimg::encode_jpeg(canvas);
    for (std::size_t keep : {std::size_t(8), std::size_t(30), png.size() / 2, png.size() - 13}) {
        INFO("png cut at " << keep);
        CHECK(error_code_of(png.substr(0, keep)) == "unsupported_media_type");
    }
    for (std::size_t keep : {std::size_t(3), std::size_t(100), jpeg.size() / 2, jpeg.size() - 2}) {
        INFO("jpeg cut at " << keep);
        CHECK(error_code_of(jpeg.substr(0, keep)) == "unsupported_media_type");
    }
    CHECK(error_code_of(testimg::png_header_only(100000, 100000)) == "image_too_large");
    CHECK(error_code_of(testimg::png_header_only(0x7FFFFFFF, 0x7FFFFFFF)) == "image_too_large");
    CHECK(error_code_of(testimg::png_header_only(0, 10)) == "unsupported_media_type");
}

TEST_CASE("EXIF parser survives malformed segments", "[exif]") {
    const std::string jpeg = testimg::encode_jpeg(Rgba(8, 8));
    CHECK(digit::jpeg_exif_orientation(jpeg.data(), jpeg.size()) == 1);
    std::string exif = testimg::with_exif_orientation(jpeg, 6);
    for (std::size_t cut = 0; cut < 60; ++cut) {
        const std::string truncated = exif.substr(0, cut);
        const int orientation = digit::jpeg_exif_orientation(truncated.data(), truncated.size());
        CHECK(orientation >= 1);
        CHECK(orientation <= 8);
    }
    std::string bad_count = exif;
    bad_count[4 + 2 + 6 + 8] = '\xFF';  // IFD entry count 0xFF..: entries run past the segment
    CHECK(digit::jpeg_exif_orientation(bad_count.data(), bad_count.size()) >= 1);
}

TEST_CASE("fuzz corpus and regression inputs go through without harm", "[pipeline][fuzz]") {
    // Every seed and every input that once crashed a fuzzer (regression-*): an image or an ImageError.
    const std::string corpus = std::string(DIGIT_SOURCE_DIR) + "/tests/fuzz/corpus/image_pipeline";
    DIR* directory = ::opendir(corpus.c_str());
    REQUIRE(directory != nullptr);
    int files = 0;
    while (const dirent* entry = ::readdir(directory)) {
        if (entry->d_name[0] == '.') continue;
        const std::string file = testimg::read_file(corpus + "/" + entry->d_name);
        INFO(entry->d_name);
        try {
            const Image28 image = run(file);
            for (float v : image) CHECK((v >= 0.0f && v <= 1.0f));
        } catch (const digit::ImageError&) {
        }
        ++files;
    }
    ::closedir(directory);
    CHECK(files > 5);
}
