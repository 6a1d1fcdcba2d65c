// Test images made inside the tests: pen strokes on paper-like backgrounds, canvas drawings, MNIST digits
// pasted into large noisy canvases, and encoders for every file kind the API accepts (PNG in all its colour
// types and depths, baseline JPEG with or without an EXIF orientation, BMP, GIF).
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "classifier.hpp"

namespace testimg {

// RGBA, 8 bits per channel, row-major.
struct Rgba {
    int width = 0, height = 0;
    std::vector<std::uint8_t> px;  // 4 per pixel
    Rgba() = default;
    Rgba(int w, int h, std::array<std::uint8_t, 4> fill = {255, 255, 255, 255});
    std::uint8_t* at(int x, int y) { return &px[(std::size_t(y) * width + x) * 4]; }
    const std::uint8_t* at(int x, int y) const { return &px[(std::size_t(y) * width + x) * 4]; }
};

struct Segment {
    float x0, y0, x1, y1;
};

// Strokes of each digit 0-9 in a unit box (x right, y down), drawn scaled into any rectangle.
std::vector<Segment> digit_strokes(int digit);

// Paper: a tint, a linear shadow across the page (darkening fraction), and grain.
void fill_paper(Rgba& image, std::array<float, 3> tint, float shadow, float grain, std::mt19937& rng);

// Anti-aliased strokes of `width` px in `colour` (alpha-blended), for a digit scaled into the box.
void draw_digit(Rgba& image, int digit, float box_x, float box_y, float box_w, float box_h, float width,
                std::array<std::uint8_t, 4> colour);
void draw_segments(Rgba& image, const std::vector<Segment>& segments, float box_x, float box_y, float box_w,
                   float box_h, float width, std::array<std::uint8_t, 4> colour);

// Encoders.
std::string encode_png_rgba(const Rgba& image);  // stb_image_write, colour type 6
std::string encode_jpeg(const Rgba& image, int quality = 90);
std::string encode_bmp(const Rgba& image);
std::string encode_gif(const Rgba& image);  // grey palette, first (only) frame
// Hand-made PNG: colour_type 0 (grey), 3 (palette), 4 (grey+alpha), 2 (RGB); bit_depth 1, 8 or 16.
std::string encode_png_custom(const Rgba& image, int colour_type, int bit_depth);
// A PNG whose header claims width x height pixels (no valid data behind it).
std::string png_header_only(std::uint32_t width, std::uint32_t height);
// Inserts an APP1 Exif segment with the given orientation right after a JPEG's SOI marker.
std::string with_exif_orientation(const std::string& jpeg, int orientation);

// The stored pixels a camera writes for an upright scene when it records `orientation` instead of
// rotating: applying that orientation to the result gives `upright` back.
Rgba stored_for_orientation(const Rgba& upright, int orientation);

// MNIST test set (IDX files) reading.
struct Mnist {
    int count = 0;
    std::vector<std::uint8_t> images;  // count x 28 x 28
    std::vector<std::uint8_t> labels;
};
bool load_mnist_test(const std::string& dir, Mnist& out);

// Measurements of a preprocessed 28x28 input.
struct InkStats {
    double mass = 0, com_x = 0, com_y = 0;  // centre of mass, pixel-centre coordinates (centre = 14,14)
    int box_x0 = 28, box_y0 = 28, box_x1 = -1, box_y1 = -1;  // pixels > 0.1
    int box_width() const { return box_x1 - box_x0 + 1; }
    int box_height() const { return box_y1 - box_y0 + 1; }
    double max_value = 0;
};
InkStats ink_stats(const digit::Image28& image);
double correlation(const digit::Image28& a, const digit::Image28& b);

std::string read_file(const std::string& path);

}  // namespace testimg
