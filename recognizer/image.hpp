// Float images and the filters the recognition steps share: grey dilation/erosion, a 3x3 mean, area
// resizing, percentiles and Otsu's threshold. Values are plain floats; each step says what they mean.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace digit {

// A single-channel float image, row-major.
struct Plane {
    int width = 0, height = 0;
    std::vector<float> v;
    Plane() = default;
    Plane(int w, int h, float fill = 0.0f) : width(w), height(h), v(std::size_t(w) * std::size_t(h), fill) {}
    float& operator()(int x, int y) { return v[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
    float operator()(int x, int y) const { return v[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
    bool empty() const { return v.empty(); }
};

// The network's input: 28x28, row-major, 0 = background, 1 = ink (MNIST's polarity).
constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;
using Image28 = std::array<float, kImagePixels>;
// A field twice as wide, for two digits side by side (normalise_wide).
constexpr int kWideSide = 2 * kImageSide;
constexpr int kWidePixels = kImageSide * kWideSide;
using ImageWide = std::array<float, kWidePixels>;

// A grey image: 0 = black, 1 = white.
using GreyImage = Plane;

// A binary image, row-major, 1 = set.
struct Mask {
    int width = 0, height = 0;
    std::vector<std::uint8_t> v;
    Mask() = default;
    Mask(int w, int h) : width(w), height(h), v(std::size_t(w) * std::size_t(h), 0) {}
    std::uint8_t& operator()(int x, int y) { return v[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
    std::uint8_t operator()(int x, int y) const {
        return v[std::size_t(y) * std::size_t(width) + std::size_t(x)];
    }
};

// An axis-aligned box, inclusive of x0..x1 and y0..y1.
struct Box {
    int x0 = 0, y0 = 0, x1 = -1, y1 = -1;
    int width() const { return x1 - x0 + 1; }
    int height() const { return y1 - y0 + 1; }
    bool empty() const { return x1 < x0 || y1 < y0; }
    void include(const Box& other) {
        if (other.empty()) return;
        if (empty()) {
            *this = other;
            return;
        }
        x0 = x0 < other.x0 ? x0 : other.x0, y0 = y0 < other.y0 ? y0 : other.y0;
        x1 = x1 > other.x1 ? x1 : other.x1, y1 = y1 > other.y1 ? y1 : other.y1;
    }
};

// Grey dilation (take_max) or erosion over a (2r+1)x(2r+1) square, separable; exact whatever r is.
Plane square_extreme(const Plane& in, int r, bool take_max);
// 3x3 mean, edges clipped.
Plane box3(const Plane& in);
// Area-averaging resize: each output pixel is the mean of the input area it covers.
Plane resize_area(const Plane& in, int out_w, int out_h);
// Value below which `fraction` of the samples lie.
float percentile(std::vector<float> values, double fraction);
// Mean stroke width of the shapes in a mask: area over half the boundary length (a stroke of width w and
// length L has area wL and about 2L boundary pixels).
float mean_stroke_width(const Mask& mask);
// Otsu's threshold of non-negative values over [0, max_value], 256 bins.
float otsu_threshold(const std::vector<float>& values, float max_value);

}  // namespace digit
