#include "image_pipeline.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>

#include <cnn/simd.hpp>

#include "exif.hpp"

// stb_image compiled here, privately (static functions), for the four formats the API accepts: fewer
// decoders facing the internet, no clash with anyone else's copy, and the fuzzer instruments it too.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_NO_FAILURE_STRINGS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace digit {
namespace {

// The result's geometry, as MNIST was made: the ink's longer side scaled to 20 px inside a 28x28 field.
constexpr int kDigitBox = 20;
// MNIST strokes are about 2-3 px wide at that scale; thinner ones (pen strokes on a large photo) are grown.
constexpr float kTargetStrokeWidth = 2.5f;

[[noreturn]] void throw_unsupported(const std::string& why) {
    throw ImageError("unsupported_media_type", 415, why);
}

[[noreturn]] void throw_empty() {
    throw ImageError("empty_image", 422, "the image holds no ink (it is blank or uniform)");
}

enum class Format { png, jpeg, bmp, gif, unknown };

Format sniff_format(const std::uint8_t* bytes, std::size_t size) {
    auto starts_with = [&](const char* magic, std::size_t length) {
        return size >= length && std::memcmp(bytes, magic, length) == 0;
    };
    if (starts_with("\x89PNG\r\n\x1a\n", 8)) return Format::png;
    if (starts_with("\xFF\xD8\xFF", 3)) return Format::jpeg;
    if (starts_with("GIF87a", 6) || starts_with("GIF89a", 6)) return Format::gif;
    if (starts_with("BM", 2)) return Format::bmp;
    return Format::unknown;
}

// Dimensions from the PNG IHDR when stb_image refuses the header (it rejects sides over 2^24 as an error,
// but such a file is a too-large image, not an unknown format).
bool png_header_dimensions(const std::uint8_t* bytes, std::size_t size, std::uint64_t& width,
                           std::uint64_t& height) {
    if (size < 24 || std::memcmp(bytes + 12, "IHDR", 4) != 0) return false;
    auto be32 = [&](std::size_t at) {
        return std::uint64_t(bytes[at]) << 24 | std::uint64_t(bytes[at + 1]) << 16 |
               std::uint64_t(bytes[at + 2]) << 8 | std::uint64_t(bytes[at + 3]);
    };
    width = be32(16);
    height = be32(20);
    return true;
}

float luma(const std::uint8_t* rgb) {
    return (0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]) * (1.0f / 255.0f);
}

// Grey value in [0,1] of one decoded pixel with `channels` channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA),
// composited over a backdrop of grey `backdrop`.
inline float pixel_grey(const std::uint8_t* p, int channels, float backdrop) {
    switch (channels) {
        case 1:
            return p[0] * (1.0f / 255.0f);
        case 2: {
            const float alpha = p[1] * (1.0f / 255.0f);
            return alpha * p[0] * (1.0f / 255.0f) + (1.0f - alpha) * backdrop;
        }
        case 3:
            return luma(p);
        default: {
            const float alpha = p[3] * (1.0f / 255.0f);
            return alpha * luma(p) + (1.0f - alpha) * backdrop;
        }
    }
}

// Transparent regions are composited over white, unless what is drawn is itself light (white strokes on a
// transparent canvas), in which case over black: either way the strokes keep their contrast.
float choose_backdrop(const std::uint8_t* pixels, std::size_t count, int channels) {
    if (channels != 2 && channels != 4) return 1.0f;
    double opaque_weight = 0.0, opaque_grey = 0.0;
    std::size_t transparent = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = pixels + i * std::size_t(channels);
        const float alpha = p[channels - 1] * (1.0f / 255.0f);
        if (alpha < 0.5f) ++transparent;
        opaque_weight += alpha;
        opaque_grey += alpha * (channels == 2 ? p[0] * (1.0f / 255.0f) : luma(p));
    }
    // Only a substantial transparent area is a "canvas"; a photo with transparent corners stays on white.
    if (transparent * 5 < count || opaque_weight <= 0.0) return 1.0f;
    return opaque_grey / opaque_weight > 0.5 ? 0.0f : 1.0f;
}

// Applies an EXIF orientation (1..8) so that the image is upright as a viewer would show it.
GreyImage apply_orientation(const GreyImage& stored, int orientation) {
    if (orientation <= 1 || orientation > 8) return stored;
    const int w = stored.width, h = stored.height;
    const bool swaps_axes = orientation >= 5;
    GreyImage upright;
    upright.width = swaps_axes ? h : w;
    upright.height = swaps_axes ? w : h;
    upright.pixels.resize(stored.pixels.size());
    for (int y = 0; y < upright.height; ++y) {
        for (int x = 0; x < upright.width; ++x) {
            int sx = x, sy = y;
            switch (orientation) {
                case 2:
                    sx = w - 1 - x;
                    break;  // mirrored
                case 3:
                    sx = w - 1 - x;
                    sy = h - 1 - y;
                    break;  // rotated 180
                case 4:
                    sy = h - 1 - y;
                    break;  // mirrored vertically
                case 5:
                    sx = y;
                    sy = x;
                    break;  // transposed
                case 6:
                    sx = y;
                    sy = h - 1 - x;
                    break;  // needs 90 degrees clockwise
                case 7:
                    sx = w - 1 - y;
                    sy = h - 1 - x;
                    break;  // transversed
                case 8:
                    sx = w - 1 - y;
                    sy = x;
                    break;  // needs 90 degrees anticlockwise
            }
            upright.pixels[std::size_t(y) * upright.width + x] = stored.at(sx, sy);
        }
    }
    return upright;
}

// ---- Filters on float images ---------------------------------------------------------------------------

struct Plane {
    int width = 0, height = 0;
    std::vector<float> v;
    Plane() = default;
    Plane(int w, int h, float fill = 0.0f) : width(w), height(h), v(std::size_t(w) * h, fill) {}
    float& operator()(int x, int y) { return v[std::size_t(y) * width + x]; }
    float operator()(int x, int y) const { return v[std::size_t(y) * width + x]; }
};

// Running max (or min) over windows of 2r+1 samples, clipped at the ends: grey dilation (erosion) along one
// direction. Max and min are exact, so every way of computing them below gives the same result.

// Down a chunk of kWidth adjacent columns (one vector per row, `n` rows): van Herk / Gil-Werman with the
// running extremes in registers. The column is padded with r identity samples above and below and cut into
// blocks of k = 2r+1; g is the running extreme from each block's start, h from each block's end, and any
// window of k samples is the union of a block's suffix and the next block's prefix: out[i] = op(h[i],
// g[i + 2r]). Three comparisons per pixel, whatever r is. g and h hold (n + 2r rounded up to k) vectors.
template <bool kMax>
void column_chunk_extreme(const float* in, std::ptrdiff_t in_stride, float* out, std::ptrdiff_t out_stride,
                          int n, int r, float* g, float* h) {
    using cnn::simd::vec;
    constexpr int L = cnn::simd::kWidth;
    const auto op = [](vec a, vec b) { return kMax ? (a > b ? a : b) : (a < b ? a : b); };
    const vec identity = cnn::simd::splat(kMax ? -std::numeric_limits<float>::infinity()
                                               : std::numeric_limits<float>::infinity());
    const int k = 2 * r + 1, padded = (n + 2 * r + k - 1) / k * k;
    const auto x = [&](int i) {
        return i >= r && i < r + n ? cnn::simd::load(in + (i - r) * in_stride) : identity;
    };
    for (int b = 0; b < padded; b += k) {
        vec running = x(b);
        cnn::simd::store(g + std::ptrdiff_t(b) * L, running);
        for (int i = b + 1; i < b + k; ++i) {
            running = op(running, x(i));
            cnn::simd::store(g + std::ptrdiff_t(i) * L, running);
        }
        running = x(b + k - 1);
        cnn::simd::store(h + std::ptrdiff_t(b + k - 1) * L, running);
        for (int i = b + k - 2; i >= b; --i) {
            running = op(running, x(i));
            cnn::simd::store(h + std::ptrdiff_t(i) * L, running);
        }
    }
    for (int i = 0; i < n; ++i) {
        cnn::simd::store(out + i * out_stride, op(cnn::simd::load(h + std::ptrdiff_t(i) * L),
                                                  cnn::simd::load(g + std::ptrdiff_t(i + 2 * r) * L)));
    }
}

// Down every column: whole chunks in place, the last partial chunk through a padded copy.
template <bool kMax>
Plane column_extreme(const Plane& in, int r) {
    constexpr int L = cnn::simd::kWidth;
    const int w = in.width, n = in.height, k = 2 * r + 1, padded = (n + 2 * r + k - 1) / k * k;
    std::vector<float> g(std::size_t(padded) * L), h(std::size_t(padded) * L);
    Plane out(w, n);
    const int whole = w / L * L;
    for (int c = 0; c < whole; c += L)
        column_chunk_extreme<kMax>(&in.v[std::size_t(c)], w, &out.v[std::size_t(c)], w, n, r, g.data(),
                                   h.data());
    if (whole < w) {
        const int lanes = w - whole;
        std::vector<float> part(std::size_t(n) * L, 0.0f), result(part.size());
        for (int y = 0; y < n; ++y)
            std::copy_n(&in.v[std::size_t(y) * w + std::size_t(whole)], lanes, &part[std::size_t(y) * L]);
        column_chunk_extreme<kMax>(part.data(), L, result.data(), L, n, r, g.data(), h.data());
        for (int y = 0; y < n; ++y)
            std::copy_n(&result[std::size_t(y) * L], lanes, &out.v[std::size_t(y) * w + std::size_t(whole)]);
    }
    return out;
}

template <typename Op>
void pairwise(const float* __restrict in, float* __restrict out, int count, int span, Op op) {
    for (int i = 0; i < count; ++i) out[i] = op(in[i], in[i + span]);
}

// Along every row, by doubling: after pass m, cur[i] is the extreme of the 2^m padded samples from i on, and
// two overlapping such windows make one of k. log2(k) + 1 vectorised passes over the row.
template <bool kMax>
Plane row_extreme(const Plane& in, int r) {
    const float identity =
        kMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    const auto op = [](float a, float b) { return kMax ? std::max(a, b) : std::min(a, b); };
    const int n = in.width, k = 2 * r + 1, length = n + 2 * r;
    std::vector<float> first(static_cast<std::size_t>(length)), second(first.size());
    Plane out(in.width, in.height);
    for (int y = 0; y < in.height; ++y) {
        // The passes write over `first` too: its padding is laid down again for every row.
        std::fill(first.begin(), first.begin() + r, identity);
        std::copy_n(&in.v[std::size_t(y) * n], n, first.begin() + r);
        std::fill(first.begin() + r + n, first.end(), identity);
        float* cur = first.data();
        float* next = second.data();
        int span = 1;
        for (; 2 * span <= k; span *= 2) {
            pairwise(cur, next, length - 2 * span + 1, span, op);
            std::swap(cur, next);
        }
        float* row = &out.v[std::size_t(y) * n];
        for (int i = 0; i < n; ++i) row[i] = op(cur[i], cur[i + k - span]);
    }
    return out;
}

// Grey dilation (take_max) or erosion over a (2r+1)x(2r+1) square, separable.
Plane square_extreme(const Plane& in, int r, bool take_max) {
    if (r <= 0) return in;
    return take_max ? row_extreme<true>(column_extreme<true>(in, r), r)
                    : row_extreme<false>(column_extreme<false>(in, r), r);
}

// 3x3 mean, edges clipped: takes the grain out of paper texture and JPEG noise before thresholding.
Plane box3(const Plane& in) {
    Plane out(in.width, in.height);
    for (int y = 0; y < in.height; ++y) {
        const int y0 = std::max(0, y - 1), y1 = std::min(in.height - 1, y + 1);
        for (int x = 0; x < in.width; ++x) {
            const int x0 = std::max(0, x - 1), x1 = std::min(in.width - 1, x + 1);
            float sum = 0.0f;
            for (int yy = y0; yy <= y1; ++yy)
                for (int xx = x0; xx <= x1; ++xx) sum += in(xx, yy);
            out(x, y) = sum / float((y1 - y0 + 1) * (x1 - x0 + 1));
        }
    }
    return out;
}

// Value below which `fraction` of the samples lie (nth_element on a copy).
float percentile(std::vector<float> values, double fraction) {
    if (values.empty()) return 0.0f;
    const std::size_t k =
        std::min(values.size() - 1, std::size_t(std::max(0.0, fraction) * double(values.size() - 1)));
    std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
    return values[k];
}

// Otsu's threshold of non-negative values over [0, max_value], 256 bins.
float otsu_threshold(const std::vector<float>& values, float max_value) {
    if (max_value <= 0.0f) return 0.0f;
    // Four interleaved integer histograms: most values fall in the same bin, and one histogram would make
    // every increment wait for the previous one.
    std::array<std::array<std::uint32_t, 256>, 4> counts{};
    const float to_bin = 255.0f / max_value;
    const auto bin = [to_bin](float value) { return std::size_t(std::clamp(value * to_bin, 0.0f, 255.0f)); };
    std::size_t i = 0;
    for (; i + 4 <= values.size(); i += 4)
        for (std::size_t lane = 0; lane < 4; ++lane) ++counts[lane][bin(values[i + lane])];
    for (; i < values.size(); ++i) ++counts[0][bin(values[i])];
    std::array<double, 256> histogram{};
    for (std::size_t b = 0; b < 256; ++b)
        histogram[b] = double(counts[0][b] + counts[1][b] + counts[2][b] + counts[3][b]);
    const double total = double(values.size());
    double sum_all = 0.0;
    for (int i = 0; i < 256; ++i) sum_all += i * histogram[i];
    double weight_below = 0.0, sum_below = 0.0, best_variance = -1.0;
    int best_bin = 0;
    for (int i = 0; i < 256; ++i) {
        weight_below += histogram[i];
        sum_below += i * histogram[i];
        const double weight_above = total - weight_below;
        if (weight_below <= 0.0 || weight_above <= 0.0) continue;
        const double mean_below = sum_below / weight_below;
        const double mean_above = (sum_all - sum_below) / weight_above;
        const double between =
            weight_below * weight_above * (mean_below - mean_above) * (mean_below - mean_above);
        if (between > best_variance) {
            best_variance = between;
            best_bin = i;
        }
    }
    return (best_bin + 0.5f) / to_bin;
}

// ---- Connected components ------------------------------------------------------------------------------

struct Component {
    int area = 0;
    double mass = 0.0;  // sum of ink strength
    float peak = 0.0f;
    int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;  // inclusive bounding box
    int border_contact[4] = {0, 0, 0, 0};              // pixels on the left, right, top, bottom edges
    bool kept = false;
    int width() const { return x1 - x0 + 1; }
    int height() const { return y1 - y0 + 1; }
};

// Labels the 8-connected components of `mask` (labels[i] = component index, or -1).
std::vector<Component> label_components(const std::vector<std::uint8_t>& mask, const Plane& strength,
                                        std::vector<int>& labels) {
    const int w = strength.width, h = strength.height;
    labels.assign(mask.size(), -1);
    std::vector<Component> components;
    std::vector<int> stack;
    for (int start = 0; start < w * h; ++start) {
        if (!mask[std::size_t(start)] || labels[std::size_t(start)] >= 0) continue;
        const int id = int(components.size());
        components.emplace_back();
        Component& c = components.back();
        stack.assign(1, start);
        labels[std::size_t(start)] = id;
        while (!stack.empty()) {
            const int i = stack.back();
            stack.pop_back();
            const int x = i % w, y = i / w;
            const float s = strength.v[std::size_t(i)];
            c.area += 1;
            c.mass += s;
            c.peak = std::max(c.peak, s);
            c.x0 = std::min(c.x0, x), c.x1 = std::max(c.x1, x);
            c.y0 = std::min(c.y0, y), c.y1 = std::max(c.y1, y);
            c.border_contact[0] += x == 0;
            c.border_contact[1] += x == w - 1;
            c.border_contact[2] += y == 0;
            c.border_contact[3] += y == h - 1;
            for (int dy = -1; dy <= 1; ++dy) {
                for (int dx = -1; dx <= 1; ++dx) {
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    const int j = ny * w + nx;
                    if (mask[std::size_t(j)] && labels[std::size_t(j)] < 0) {
                        labels[std::size_t(j)] = id;
                        stack.push_back(j);
                    }
                }
            }
        }
    }
    return components;
}

// Not ink of the digit: the paper's edge, the table, a shadow along the border, a ruled line across the page.
bool looks_like_clutter(const Component& c, int w, int h) {
    const bool long_border_contact = c.border_contact[0] > h / 4 || c.border_contact[1] > h / 4 ||
                                     c.border_contact[2] > w / 4 || c.border_contact[3] > w / 4;
    const bool ruled_line = c.width() >= w * 0.85 && c.height() <= h * 0.08;
    const bool vertical_rule = c.height() >= h * 0.85 && c.width() <= w * 0.03;
    return long_border_contact || ruled_line || vertical_rule;
}

int gap_between(int a0, int a1, int b0, int b1) {
    return std::max({0, b0 - a1, a0 - b1});
}

// Chooses the components that make up the digit: the strongest one, then the pieces near it (the separate
// bar of a 4, 5 or 7, a stroke broken by a faint pen), leaving specks and far-away marks out.
void keep_digit_components(std::vector<Component>& components, int w, int h) {
    std::vector<int> candidates;
    for (int i = 0; i < int(components.size()); ++i)
        if (!looks_like_clutter(components[std::size_t(i)], w, h)) candidates.push_back(i);
    if (candidates.empty()) {  // nothing but clutter: better to look at it than to call the image blank
        candidates.resize(components.size());
        std::iota(candidates.begin(), candidates.end(), 0);
    }
    if (candidates.empty()) return;
    const int main = *std::max_element(candidates.begin(), candidates.end(), [&](int a, int b) {
        return components[std::size_t(a)].mass < components[std::size_t(b)].mass;
    });
    Component& main_component = components[std::size_t(main)];
    main_component.kept = true;
    int x0 = main_component.x0, y0 = main_component.y0, x1 = main_component.x1, y1 = main_component.y1;
    const double main_mass = main_component.mass;
    for (bool grew = true; grew;) {
        grew = false;
        const int size = std::max(x1 - x0 + 1, y1 - y0 + 1);
        for (int i : candidates) {
            Component& c = components[std::size_t(i)];
            if (c.kept) continue;
            const int gap = std::max(gap_between(x0, x1, c.x0, c.x1), gap_between(y0, y1, c.y0, c.y1));
            const bool close_piece = gap <= 0.15 * size && c.mass >= 0.01 * main_mass;
            const bool nearby_part = gap <= 0.5 * size && c.mass >= 0.08 * main_mass;
            if (!close_piece && !nearby_part) continue;
            c.kept = true;
            grew = true;
            x0 = std::min(x0, c.x0), y0 = std::min(y0, c.y0), x1 = std::max(x1, c.x1),
            y1 = std::max(y1, c.y1);
        }
    }
}

// Area-averaging resize: each output pixel is the mean of the input area it covers (fractional edges
// weighted), so a large stroke shrinks to soft grey edges like MNIST's, never to aliased stairs.
Plane resize_area(const Plane& in, int out_w, int out_h) {
    auto resize_axis = [](const float* src, int src_n, std::ptrdiff_t src_stride, float* dst, int dst_n,
                          std::ptrdiff_t dst_stride) {
        const double scale = double(src_n) / dst_n;
        for (int i = 0; i < dst_n; ++i) {
            const double begin = i * scale, end = (i + 1) * scale;
            double sum = 0.0;
            for (int s = int(begin); s < src_n && s < end; ++s) {
                const double overlap = std::min<double>(end, s + 1) - std::max<double>(begin, s);
                if (overlap > 0) sum += overlap * src[s * src_stride];
            }
            dst[i * dst_stride] = float(sum / scale);
        }
    };
    Plane columns(out_w, in.height), out(out_w, out_h);
    for (int y = 0; y < in.height; ++y)
        resize_axis(&in.v[std::size_t(y) * in.width], in.width, 1, &columns.v[std::size_t(y) * out_w], out_w,
                    1);
    for (int x = 0; x < out_w; ++x)
        resize_axis(&columns.v[std::size_t(x)], in.height, out_w, &out.v[std::size_t(x)], out_h, out_w);
    return out;
}

// Mean stroke width of a binary shape: area over half its boundary length (a stroke of width w and length L
// has area wL and about 2L boundary pixels).
float stroke_width(const std::vector<std::uint8_t>& mask, int w, int h) {
    std::size_t area = 0, boundary = 0;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            if (!mask[std::size_t(y) * w + x]) continue;
            ++area;
            const bool edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 ||
                              !mask[std::size_t(y) * w + x - 1] || !mask[std::size_t(y) * w + x + 1] ||
                              !mask[std::size_t(y - 1) * w + x] || !mask[std::size_t(y + 1) * w + x];
            boundary += edge;
        }
    }
    if (boundary == 0) return 0.0f;
    return 2.0f * float(area) / float(boundary);
}

// Sums of how far the deviations go beyond +-noise, below (darker) and above (lighter). Kept out of the
// caller so that the two running sums stay in registers.
std::pair<double, double> ink_beyond_noise(const std::vector<float>& deviation, float noise) {
    double darker = 0.0, lighter = 0.0;
    for (float d : deviation) {
        darker += std::max(0.0f, -d - noise);
        lighter += std::max(0.0f, d - noise);
    }
    return {darker, lighter};
}

// Which way the ink goes. Ink is what stands out from the local background, and the local background is
// what most pixels of a neighbourhood are: the median of each cell of a coarse grid. (Top-hats cannot decide
// this: the paper enclosed by the loops of a dark 0, 4 or 7 is itself a "light thin structure".)
bool ink_is_darker_than_background(const Plane& image) {
    const int w = image.width, h = image.height;
    const int cell = std::max(4, std::max(w, h) / 6);
    const int cells_x = (w + cell - 1) / cell, cells_y = (h + cell - 1) / cell;
    std::vector<float> cell_median(std::size_t(cells_x) * cells_y);
    std::vector<float> values;
    for (int cy = 0; cy < cells_y; ++cy) {
        for (int cx = 0; cx < cells_x; ++cx) {
            values.clear();
            for (int y = cy * cell; y < std::min(h, (cy + 1) * cell); ++y)
                for (int x = cx * cell; x < std::min(w, (cx + 1) * cell); ++x) values.push_back(image(x, y));
            cell_median[std::size_t(cy) * cells_x + cx] = percentile(values, 0.5);
        }
    }
    std::vector<int> cell_of_column(static_cast<std::size_t>(w));
    for (int x = 0; x < w; ++x) cell_of_column[std::size_t(x)] = x / cell;
    std::vector<float> deviation(image.v.size());
    for (int y = 0; y < h; ++y) {
        const float* medians = &cell_median[std::size_t(y / cell) * cells_x];
        for (int x = 0; x < w; ++x)
            deviation[std::size_t(y) * w + x] = image(x, y) - medians[cell_of_column[std::size_t(x)]];
    }
    std::vector<float> magnitude(deviation.size());
    for (std::size_t i = 0; i < deviation.size(); ++i) magnitude[i] = std::abs(deviation[i]);
    const float noise = std::max(0.03f, 4.0f * 1.4826f * percentile(std::move(magnitude), 0.5));
    const auto [darker, lighter] = ink_beyond_noise(deviation, noise);
    // Most pictures are dark ink on light paper; a light median tips a close call that way, a dark one the
    // other.
    const double prior_dark = percentile(image.v, 0.5) >= 0.5f ? 1.25 : 0.8;
    return darker * prior_dark >= lighter;
}

// A copy of a PNG without its zero-length IDAT chunks, or an empty string when it has none. stb_image
// (Debian's 2.27) copies an empty first IDAT into a buffer it has not allocated yet, a memcpy from/to null
// that UndefinedBehaviorSanitizer reports (found by fuzz_image_pipeline); the chunks carry no image data, so
// dropping them changes nothing else. Chunk framing errors are left for stb to reject.
std::string without_empty_idat(const std::uint8_t* bytes, std::size_t size) {
    constexpr std::size_t kSignature = 8;
    std::vector<std::pair<std::size_t, std::size_t>> keep;  // [begin, end) ranges of the file to keep
    std::size_t at = kSignature, kept_from = 0;
    bool found = false;
    while (at + 12 <= size) {
        const std::size_t length = (std::size_t(bytes[at]) << 24) | (std::size_t(bytes[at + 1]) << 16) |
                                   (std::size_t(bytes[at + 2]) << 8) | std::size_t(bytes[at + 3]);
        if (length > size - at - 12) break;
        if (length == 0 && std::memcmp(bytes + at + 4, "IDAT", 4) == 0) {
            keep.emplace_back(kept_from, at);
            kept_from = at + 12;
            found = true;
        }
        at += 12 + length;
    }
    if (!found) return {};
    keep.emplace_back(kept_from, size);
    std::string copy;
    for (const auto& [begin, end] : keep)
        copy.append(reinterpret_cast<const char*>(bytes) + begin, end - begin);
    return copy;
}

}  // namespace

GreyImage decode_grey(const void* data, std::size_t size, const PipelineOptions& options) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    if (bytes == nullptr || size == 0) throw_unsupported("the file is empty");
    const Format format = sniff_format(bytes, size);
    const std::string cleaned = format == Format::png ? without_empty_idat(bytes, size) : std::string();
    if (!cleaned.empty()) {
        bytes = reinterpret_cast<const std::uint8_t*>(cleaned.data());
        size = cleaned.size();
    }
    if (format == Format::unknown) throw_unsupported("not a PNG, JPEG, BMP or GIF image");
    if (size > std::size_t(INT_MAX)) throw_unsupported("the file is too large to decode");

    // Before stb_image reads even the header: its JPEG header parser builds the Huffman tables too.
    if (format == Format::jpeg && !jpeg_is_complete(bytes, size)) {
        throw_unsupported("the JPEG file is truncated or its structure is corrupt");
    }
    int width = 0, height = 0, channels = 0;
    const int length = int(size);
    if (!stbi_info_from_memory(bytes, length, &width, &height, &channels)) {
        std::uint64_t header_w = 0, header_h = 0;
        if (format == Format::png && png_header_dimensions(bytes, size, header_w, header_h) &&
            header_w * header_h > options.max_pixels) {
            throw ImageError("image_too_large", 422, "the image has more pixels than the limit");
        }
        throw_unsupported("the image header is corrupt or of an unsupported kind");
    }
    if (width <= 0 || height <= 0) throw_unsupported("the image has no pixels");
    if (std::uint64_t(width) * std::uint64_t(height) > options.max_pixels) {
        throw ImageError("image_too_large", 422,
                         "the image is " + std::to_string(width) + "x" + std::to_string(height) +
                             " pixels, more than the limit of " + std::to_string(options.max_pixels));
    }

    std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
        stbi_load_from_memory(bytes, length, &width, &height, &channels, 0), stbi_image_free);
    if (!decoded || channels < 1 || channels > 4) throw_unsupported("the image data is corrupt or truncated");

    // Area-average down by an integer factor straight from the decoded bytes: a 12 MP photo never exists
    // as floats, and the ink search runs on a few hundred pixels a side.
    const int longest = std::max(width, height);
    const int working_side = std::max(16, options.working_side);
    const int factor = (longest + working_side - 1) / working_side;
    GreyImage stored;
    stored.width = (width + factor - 1) / factor;
    stored.height = (height + factor - 1) / factor;
    stored.pixels.assign(std::size_t(stored.width) * stored.height, 0.0f);
    const std::size_t pixel_count = std::size_t(width) * std::size_t(height);
    const float backdrop = choose_backdrop(decoded.get(), pixel_count, channels);
    for (int y = 0; y < height; ++y) {
        const stbi_uc* row = decoded.get() + std::size_t(y) * width * channels;
        float* out_row = &stored.pixels[std::size_t(y / factor) * stored.width];
        for (int x = 0; x < width; ++x)
            out_row[x / factor] += pixel_grey(row + std::size_t(x) * channels, channels, backdrop);
    }
    for (int oy = 0; oy < stored.height; ++oy) {
        const int rows = std::min(factor, height - oy * factor);
        for (int ox = 0; ox < stored.width; ++ox) {
            const int cols = std::min(factor, width - ox * factor);
            stored.pixels[std::size_t(oy) * stored.width + ox] /= float(rows * cols);
        }
    }
    decoded.reset();
    if (format == Format::jpeg) return apply_orientation(stored, jpeg_exif_orientation(bytes, size));
    return stored;
}

Image28 preprocess_grey(const GreyImage& grey) {
    const int w = grey.width, h = grey.height;
    if (w <= 0 || h <= 0 || grey.pixels.size() != std::size_t(w) * std::size_t(h)) throw_empty();
    const int longest = std::max(w, h);

    Plane image(w, h);
    for (std::size_t i = 0; i < image.v.size(); ++i) image.v[i] = std::clamp(grey.pixels[i], 0.0f, 1.0f);
    if (longest >= 48) image = box3(image);

    // Ink is a thin structure on a background that changes slowly (tint, shadow, uneven light). A grey
    // closing (opening) with a window wider than any stroke erases dark (light) strokes and keeps the
    // background, shadows included; the difference -- the black (white) top-hat -- is the ink's strength,
    // whatever the paper's colour.
    const bool ink_is_dark = ink_is_darker_than_background(image);
    const int radius = std::max(6, int(std::lround(longest / 12.0)));
    const Plane background = square_extreme(square_extreme(image, radius, ink_is_dark), radius,
                                            !ink_is_dark);  // closing or opening
    Plane strength(w, h);
    for (std::size_t i = 0; i < image.v.size(); ++i)
        strength.v[i] =
            std::max(0.0f, ink_is_dark ? background.v[i] - image.v[i] : image.v[i] - background.v[i]);
    // Noise floor from the median and MAD of the top-hat: most pixels are background.
    auto noise_floor = [](const Plane& strength) {
        const float median = percentile(strength.v, 0.5);
        std::vector<float> deviations(strength.v.size());
        for (std::size_t i = 0; i < deviations.size(); ++i) deviations[i] = std::abs(strength.v[i] - median);
        const float sigma = 1.4826f * percentile(std::move(deviations), 0.5);
        return median + std::max(6.0f * sigma, 0.03f);
    };
    const float floor = noise_floor(strength);

    const float max_strength = *std::max_element(strength.v.begin(), strength.v.end());
    if (max_strength < 0.08f || max_strength <= floor) throw_empty();

    // Threshold: Otsu between background and ink, never into the noise, and never so high that the faint
    // half of a stroke falls away.
    std::vector<float> above_floor;
    for (float s : strength.v)
        if (s > floor) above_floor.push_back(s);
    const float strong_ink = percentile(above_floor, 0.9);
    const float threshold =
        std::max(floor, std::min(otsu_threshold(strength.v, max_strength), 0.5f * strong_ink));

    std::vector<std::uint8_t> mask(strength.v.size());
    for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = strength.v[i] > threshold;
    // Ruled lines of notebook paper run across most of the width and cross the digit, which would make them
    // one component with it: take out every horizontal run that long before looking for components.
    if (w >= 64) {
        const int min_run = int(0.75 * w);
        for (int y = 0; y < h; ++y) {
            for (int x = 0; x < w;) {
                int end = x;
                while (end < w && mask[std::size_t(y) * w + end]) ++end;
                if (end - x >= min_run) {
                    for (int i = x; i < end; ++i) {
                        mask[std::size_t(y) * w + i] = 0;
                        strength(i, y) = 0.0f;
                    }
                }
                x = end + 1;
            }
        }
    }
    std::vector<int> labels;
    std::vector<Component> components = label_components(mask, strength, labels);
    keep_digit_components(components, w, h);

    double kept_mass = 0.0;
    float kept_peak = 0.0f;
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (const Component& c : components) {
        if (!c.kept) continue;
        kept_mass += c.mass;
        kept_peak = std::max(kept_peak, c.peak);
        x0 = std::min(x0, c.x0), y0 = std::min(y0, c.y0), x1 = std::max(x1, c.x1), y1 = std::max(y1, c.y1);
    }
    // A speck is not a digit: the ink must amount to at least a small dot of ~1.5% of the image's side.
    const double min_mass = std::max(1.0, 0.25 * std::pow(0.015 * longest, 2.0));
    if (x1 < 0 || kept_mass < min_mass || kept_peak < 0.08f) throw_empty();

    std::vector<std::uint8_t> digit_mask(mask.size(), 0);
    std::vector<float> digit_strengths;
    for (std::size_t i = 0; i < mask.size(); ++i) {
        if (labels[i] >= 0 && components[std::size_t(labels[i])].kept) {
            digit_mask[i] = 1;
            digit_strengths.push_back(strength.v[i]);
        }
    }

    // Soft ink in [0,1]: strong ink saturates at 1, the anti-aliased fringe stays grey (MNIST is not binary);
    // only the surroundings of the chosen components count, so far-away specks and clutter vanish.
    const float ink_level = std::max(percentile(digit_strengths, 0.6), threshold * 1.2f);
    const float ink_zero = 0.5f * threshold;
    const int box_w = x1 - x0 + 1, box_h = y1 - y0 + 1;
    const int fringe = std::max(1, int(std::lround(std::max(box_w, box_h) / 40.0)));
    Plane near_digit(w, h);
    for (std::size_t i = 0; i < mask.size(); ++i) near_digit.v[i] = digit_mask[i];
    near_digit = square_extreme(near_digit, fringe, true);

    // Strokes from a large photo of a thin pen would end up a pixel wide and faint at 20 px; MNIST's are
    // 2-3 px. Grow thin strokes (grey dilation) and thin very thick ones (canvas brushes), at working size.
    const float scale_to_box = float(kDigitBox) / float(std::max(box_w, box_h));
    const float width_in_box = stroke_width(digit_mask, w, h) * scale_to_box;
    int grow = 0, shrink = 0;
    if (width_in_box > 0.0f && width_in_box < 0.7f * kTargetStrokeWidth) {
        grow = int(std::lround((kTargetStrokeWidth - width_in_box) / scale_to_box / 2.0f));
        grow = std::min(grow, std::max(box_w, box_h) / 10);
    } else if (width_in_box > 2.2f * kTargetStrokeWidth) {
        shrink = int(std::lround((width_in_box - 1.6f * kTargetStrokeWidth) / scale_to_box / 2.0f));
        shrink = std::min(shrink, int(0.25f * width_in_box / scale_to_box));
    }
    const int margin = fringe + grow;
    const int cx0 = std::max(0, x0 - margin), cy0 = std::max(0, y0 - margin);
    const int cx1 = std::min(w - 1, x1 + margin), cy1 = std::min(h - 1, y1 + margin);
    Plane crop(cx1 - cx0 + 1, cy1 - cy0 + 1);
    for (int y = cy0; y <= cy1; ++y) {
        for (int x = cx0; x <= cx1; ++x) {
            const float ink = (strength(x, y) - ink_zero) / (ink_level - ink_zero);
            crop(x - cx0, y - cy0) = near_digit(x, y) > 0.0f ? std::clamp(ink, 0.0f, 1.0f) : 0.0f;
        }
    }
    if (grow > 0) crop = square_extreme(crop, grow, true);
    if (shrink > 0) crop = square_extreme(crop, shrink, false);

    // Crop to what is left of the ink, then scale the longer side to 20 px by area averaging.
    int bx0 = crop.width, by0 = crop.height, bx1 = -1, by1 = -1;
    for (int y = 0; y < crop.height; ++y) {
        for (int x = 0; x < crop.width; ++x) {
            if (crop(x, y) <= 0.02f) continue;
            bx0 = std::min(bx0, x), by0 = std::min(by0, y), bx1 = std::max(bx1, x), by1 = std::max(by1, y);
        }
    }
    if (bx1 < 0) throw_empty();
    Plane ink(bx1 - bx0 + 1, by1 - by0 + 1);
    for (int y = by0; y <= by1; ++y)
        for (int x = bx0; x <= bx1; ++x) ink(x - bx0, y - by0) = crop(x, y);
    const int ink_long = std::max(ink.width, ink.height);
    const int out_w = std::max(1, int(std::lround(double(ink.width) * kDigitBox / ink_long)));
    const int out_h = std::max(1, int(std::lround(double(ink.height) * kDigitBox / ink_long)));
    const Plane small = resize_area(ink, out_w, out_h);

    // Paste into 28x28 with the centre of mass at the centre, as MNIST did.
    double mass = 0.0, mx = 0.0, my = 0.0;
    for (int y = 0; y < out_h; ++y) {
        for (int x = 0; x < out_w; ++x) {
            mass += small(x, y);
            mx += small(x, y) * (x + 0.5);
            my += small(x, y) * (y + 0.5);
        }
    }
    if (mass <= 1e-3) throw_empty();
    const int left = std::clamp(int(std::lround(kImageSide / 2.0 - mx / mass)), 0, kImageSide - out_w);
    const int top = std::clamp(int(std::lround(kImageSide / 2.0 - my / mass)), 0, kImageSide - out_h);
    Image28 result{};
    for (int y = 0; y < out_h; ++y)
        for (int x = 0; x < out_w; ++x)
            result[std::size_t(top + y) * kImageSide + std::size_t(left + x)] =
                std::clamp(small(x, y), 0.0f, 1.0f);
    return result;
}

Image28 preprocess_image(const void* data, std::size_t size, const PipelineOptions& options) {
    return preprocess_grey(decode_grey(data, size, options));
}

}  // namespace digit
