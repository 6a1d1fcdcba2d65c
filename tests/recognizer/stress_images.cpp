#include "stress_images.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <random>

#include "numbers.hpp"
#include "recognizer.hpp"

namespace stress {
namespace {

using testimg::Mnist;
using testimg::Rgba;
using Colour = std::array<std::uint8_t, 3>;

// Draws from mt19937's raw output only (its sequence is fixed by the standard, unlike the distributions'),
// so the images are the same with every standard library.
class Rng {
  public:
    explicit Rng(std::uint32_t seed) : engine_(seed) {}
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * float(engine_() >> 8) * (1.0f / 16777216.0f);
    }
    int integer(int lo, int hi) { return lo + int(engine_() % std::uint32_t(hi - lo + 1)); }
    bool chance(float p) { return uniform(0.0f, 1.0f) < p; }
    template <typename T, std::size_t N>
    const T& pick(const std::array<T, N>& options) {
        return options[std::size_t(integer(0, int(N) - 1))];
    }
    std::uint32_t bits() { return engine_(); }

  private:
    std::mt19937 engine_;
};

// ---- The digit's shape: MNIST bitmap -> skeleton -> round brush ---------------------------------------

// The MNIST digit's centre line as short segments between neighbouring skeleton pixels, in the units of
// the bitmap upscaled kUpscale times.
constexpr int kUpscale = 4;
constexpr int kSkeletonSide = 28 * kUpscale;

struct Skeleton {
    struct Point {
        float x, y;
    };
    std::vector<std::array<Point, 2>> segments;
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;  // bounding box of the centre line
    float width() const { return x1 - x0; }
    float height() const { return std::max(y1 - y0, 1.0f); }
};

// Zhang & Suen (1984), "A fast parallel algorithm for thinning digital patterns": two alternating
// sub-iterations delete boundary pixels that are not needed for connectivity, until none changes.
void zhang_suen_thin(std::vector<std::uint8_t>& on, int side) {
    auto value = [&](int x, int y) { return int(on[std::size_t(y * side + x)]); };
    std::vector<int> deletions;
    for (bool changed = true; changed;) {
        changed = false;
        for (int step = 0; step < 2; ++step) {
            deletions.clear();
            for (int y = 1; y < side - 1; ++y) {
                for (int x = 1; x < side - 1; ++x) {
                    if (!value(x, y)) continue;
                    // p2..p9 clockwise from north.
                    const int p[8] = {value(x, y - 1),     value(x + 1, y - 1), value(x + 1, y),
                                      value(x + 1, y + 1), value(x, y + 1),     value(x - 1, y + 1),
                                      value(x - 1, y),     value(x - 1, y - 1)};
                    int neighbours = 0, transitions = 0;
                    for (int i = 0; i < 8; ++i) {
                        neighbours += p[i];
                        transitions += !p[i] && p[(i + 1) % 8];
                    }
                    if (neighbours < 2 || neighbours > 6 || transitions != 1) continue;
                    const int n = p[0], e = p[2], s = p[4], w = p[6];
                    const bool removable =
                        step == 0 ? (n * e * s == 0 && e * s * w == 0) : (n * e * w == 0 && n * s * w == 0);
                    if (removable) deletions.push_back(y * side + x);
                }
            }
            for (int i : deletions) on[std::size_t(i)] = 0;
            changed = changed || !deletions.empty();
        }
    }
}

Skeleton skeleton_of(const Mnist& mnist, int index) {
    const std::uint8_t* bitmap = &mnist.images[std::size_t(index) * 784];
    // Bilinear upscale (pixel centres aligned), then the stroke core: MNIST's anti-aliased edge is dropped.
    std::vector<std::uint8_t> on(std::size_t(kSkeletonSide) * kSkeletonSide);
    for (int y = 0; y < kSkeletonSide; ++y) {
        const float sy = std::clamp((y + 0.5f) / kUpscale - 0.5f, 0.0f, 27.0f);
        const int y0 = std::min(int(sy), 26);
        const float fy = sy - y0;
        for (int x = 0; x < kSkeletonSide; ++x) {
            const float sx = std::clamp((x + 0.5f) / kUpscale - 0.5f, 0.0f, 27.0f);
            const int x0 = std::min(int(sx), 26);
            const float fx = sx - x0;
            auto b = [&](int xx, int yy) { return float(bitmap[yy * 28 + xx]); };
            const float v = (1 - fy) * ((1 - fx) * b(x0, y0) + fx * b(x0 + 1, y0)) +
                            fy * ((1 - fx) * b(x0, y0 + 1) + fx * b(x0 + 1, y0 + 1));
            on[std::size_t(y * kSkeletonSide + x)] = v >= 128.0f;
        }
    }
    zhang_suen_thin(on, kSkeletonSide);

    Skeleton skeleton;
    auto is_on = [&](int x, int y) {
        return x >= 0 && y >= 0 && x < kSkeletonSide && y < kSkeletonSide &&
               on[std::size_t(y * kSkeletonSide + x)];
    };
    // Each skeleton pixel moved to the mean of the skeleton pixels around it: the staircase of a pixel path
    // becomes a smooth line, which matters once the digit is drawn hundreds of pixels tall.
    auto smoothed = [&](int x, int y) {
        float sx = 0, sy = 0;
        int n = 0;
        for (int dy = -2; dy <= 2; ++dy)
            for (int dx = -2; dx <= 2; ++dx)
                if (is_on(x + dx, y + dy)) sx += x + dx + 0.5f, sy += y + dy + 0.5f, ++n;
        return Skeleton::Point{sx / n, sy / n};
    };
    for (int y = 0; y < kSkeletonSide; ++y) {
        for (int x = 0; x < kSkeletonSide; ++x) {
            if (!is_on(x, y)) continue;
            const Skeleton::Point here = smoothed(x, y);
            skeleton.x0 = std::min(skeleton.x0, here.x), skeleton.x1 = std::max(skeleton.x1, here.x);
            skeleton.y0 = std::min(skeleton.y0, here.y), skeleton.y1 = std::max(skeleton.y1, here.y);
            bool linked = false;
            for (auto [dx, dy] : {std::pair{1, 0}, {-1, 1}, {0, 1}, {1, 1}}) {
                if (!is_on(x + dx, y + dy)) continue;
                skeleton.segments.push_back({here, smoothed(x + dx, y + dy)});
                linked = true;
            }
            const bool linked_from_before =
                is_on(x - 1, y) || is_on(x + 1, y - 1) || is_on(x, y - 1) || is_on(x - 1, y - 1);
            if (!linked && !linked_from_before) skeleton.segments.push_back({here, here});  // a dot
        }
    }
    return skeleton;
}

// Where strokes are cut: centres on the skeleton, and the length of the gap along the stroke in pixels.
struct Gaps {
    std::vector<Skeleton::Point> centres;
    float length = 0;
};

// A round-brush stroke from a to b (anti-aliased coverage, the brush's caps included) into the map.
void stamp(InkMap& ink, float ax, float ay, float bx, float by, float radius) {
    const float dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
    const int x0 = std::max(0, int(std::min(ax, bx) - radius - 1));
    const int x1 = std::min(ink.width - 1, int(std::max(ax, bx) + radius + 1));
    const int y0 = std::max(0, int(std::min(ay, by) - radius - 1));
    const int y1 = std::min(ink.height - 1, int(std::max(ay, by) + radius + 1));
    for (int y = y0; y <= y1; ++y) {
        for (int x = x0; x <= x1; ++x) {
            const float px = x + 0.5f - ax, py = y + 0.5f - ay;
            const float t = length2 > 0 ? std::clamp((px * dx + py * dy) / length2, 0.0f, 1.0f) : 0.0f;
            const float coverage =
                std::clamp(radius + 0.5f - std::hypot(px - t * dx, py - t * dy), 0.0f, 1.0f);
            float& cell = ink.at(x, y);
            cell = std::max(cell, coverage);
        }
    }
}

// The skeleton stamped with a round brush of `brush` px, scaled so that the ink (brush included) is
// `height` px tall. The map holds the ink's box plus a 1 px margin; coverage is anti-aliased.
InkMap brush_digit(const Skeleton& skeleton, float height, float brush, const Gaps& gaps = {}) {
    const float radius = brush / 2;
    const float scale = std::max(height - brush, 1.0f) / skeleton.height();
    const float margin = radius + 1;
    InkMap ink(int(std::ceil(skeleton.width() * scale + 2 * margin)),
               int(std::ceil(skeleton.height() * scale + 2 * margin)));
    auto to_x = [&](float x) { return (x - skeleton.x0) * scale + margin; };
    auto to_y = [&](float y) { return (y - skeleton.y0) * scale + margin; };
    const float gap_radius = (gaps.length + brush) / 2 / scale;  // in skeleton units, caps included
    for (const auto& segment : skeleton.segments) {
        const float mx = (segment[0].x + segment[1].x) / 2, my = (segment[0].y + segment[1].y) / 2;
        const bool cut = std::any_of(gaps.centres.begin(), gaps.centres.end(), [&](Skeleton::Point c) {
            return std::hypot(mx - c.x, my - c.y) < gap_radius;
        });
        if (cut) continue;
        stamp(ink, to_x(segment[0].x), to_y(segment[0].y), to_x(segment[1].x), to_y(segment[1].y), radius);
    }
    return ink;
}

// brush_digit with the brush a fraction of the height (at least min_brush px), shrunk if needed so that the
// map fits max_width x max_height.
InkMap brush_digit_fitting(const Skeleton& skeleton, float height, float brush_fraction, float max_width,
                           float max_height, const Gaps& gaps = {}, float min_brush = 1.0f) {
    for (;;) {
        InkMap ink = brush_digit(skeleton, height, std::max(min_brush, brush_fraction * height), gaps);
        const float excess = std::max(ink.width / max_width, ink.height / max_height);
        if (excess <= 1 || height < 8) return ink;
        height *= 0.97f / excess;
    }
}

// ---- Painting ------------------------------------------------------------------------------------------

// Blends `colour` over the image where the ink is, at `opacity`.
void paint(Rgba& image, const InkMap& ink, int left, int top, Colour colour, float opacity = 1.0f) {
    for (int y = 0; y < ink.height; ++y) {
        for (int x = 0; x < ink.width; ++x) {
            const float a = ink.at(x, y) * opacity;
            const int ix = left + x, iy = top + y;
            if (a <= 0 || ix < 0 || iy < 0 || ix >= image.width || iy >= image.height) continue;
            std::uint8_t* p = image.at(ix, iy);
            for (int c = 0; c < 3; ++c)
                p[c] = std::uint8_t(std::lround(colour[std::size_t(c)] * a + p[c] * (1 - a)));
            p[3] = 255;
        }
    }
}

void fill(Rgba& image, Colour colour, std::uint8_t alpha = 255) {
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
            std::uint8_t* p = image.at(x, y);
            p[0] = colour[0], p[1] = colour[1], p[2] = colour[2], p[3] = alpha;
        }
    }
}

// The ink's box placed at a random position inside [x0, x1) x [y0, y1) (the box's own size subtracted).
std::pair<int, int> place(Rng& rng, const InkMap& ink, int x0, int y0, int x1, int y1) {
    return {rng.integer(x0, std::max(x0, x1 - ink.width)), rng.integer(y0, std::max(y0, y1 - ink.height))};
}

Sample finish(std::string file, const Mnist& mnist, int index, InkMap ink) {
    Sample sample;
    sample.file = std::move(file);
    sample.label = mnist.labels[std::size_t(index)];
    sample.mnist_index = index;
    sample.ink = std::move(ink);
    return sample;
}

// Paper: a tint, a linear shadow (darkening by up to `shadow`, mostly from left to right, as
// testimg::fill_paper makes it) and grain of standard deviation `grain` (a fraction of full scale), in one
// pass. The grain comes from a table of normal deviates walked by a xorshift generator: a 3 MP photo needs
// 3 M of them, which std::normal_distribution makes several times slower.
void grainy_paper(Rgba& image, std::array<float, 3> tint, float shadow, float grain, Rng& rng) {
    constexpr std::size_t kTable = 4096;
    std::array<float, kTable> deviates;
    for (float& d : deviates) {  // Box-Muller
        const float u1 = rng.uniform(1e-7f, 1.0f), u2 = rng.uniform(0.0f, 1.0f);
        d = grain * 255.0f * std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
    }
    std::uint32_t state = rng.bits() | 1u;
    std::vector<float> column_light(std::size_t(image.width));
    for (int x = 0; x < image.width; ++x) column_light[std::size_t(x)] = shadow * 0.7f * x / image.width;
    for (int y = 0; y < image.height; ++y) {
        const float row_light = 1.0f - shadow * 0.3f * y / image.height;
        std::uint8_t* p = image.at(0, y);
        for (int x = 0; x < image.width; ++x, p += 4) {
            state ^= state << 13, state ^= state >> 17, state ^= state << 5;
            const float light = (row_light - column_light[std::size_t(x)]) * 255.0f,
                        n = deviates[state % kTable];
            for (std::size_t c = 0; c < 3; ++c)
                p[c] = std::uint8_t(std::clamp(tint[c] * light + n, 0.0f, 255.0f));
            p[3] = 255;
        }
    }
}

// Paper from bright white to cream, never a strong colour.
std::array<float, 3> paper_tint(Rng& rng) {
    const float red = rng.uniform(0.9f, 1.0f), green = red * rng.uniform(0.96f, 1.0f);
    return {red, green, std::min(1.0f, green * rng.uniform(0.88f, 1.02f))};
}

const std::array<Colour, 4> kDarkPens = {{{0, 0, 0}, {35, 35, 38}, {25, 40, 125}, {115, 20, 30}}};
const std::array<Colour, 3> kLightBackgrounds = {{{255, 255, 255}, {250, 250, 250}, {255, 252, 244}}};
const std::array<Colour, 4> kLightPens = {
    {{255, 255, 255}, {238, 238, 238}, {255, 228, 90}, {150, 228, 255}}};
const std::array<Colour, 3> kDarkBackgrounds = {{{0, 0, 0}, {22, 22, 26}, {14, 26, 62}}};

// ---- The kinds -----------------------------------------------------------------------------------------

enum class Canvas { dark_on_light, light_on_dark, hidden_black, hidden_white };

// A digit drawn with the mouse or a finger on a web page's <canvas> (200-400 px) with a thick round brush,
// exported with toDataURL as an RGBA PNG. Opaque canvases are painted first; transparent ones keep alpha 0
// around the strokes, with the hidden colour there black (what browsers store) or white (what some drawing
// apps store), and strokes in a dark, a light or a pencil-grey colour.
Sample canvas(const Mnist& mnist, int index, std::uint32_t seed, Canvas style) {
    Rng rng(seed);
    const Skeleton skeleton = skeleton_of(mnist, index);
    const int side = rng.integer(200, 400);
    const float digit_height = rng.uniform(0.5f, 0.8f) * side, brush_fraction = rng.uniform(0.08f, 0.15f);
    const InkMap ink = brush_digit_fitting(skeleton, digit_height, brush_fraction, side - 4.0f, side - 4.0f);
    const auto [left, top] = place(rng, ink, 2, 2, side - 2, side - 2);
    Rgba image(side, side);
    if (style == Canvas::dark_on_light || style == Canvas::light_on_dark) {
        const bool dark_ink = style == Canvas::dark_on_light;
        fill(image, dark_ink ? rng.pick(kLightBackgrounds) : rng.pick(kDarkBackgrounds));
        paint(image, ink, left, top, dark_ink ? rng.pick(kDarkPens) : rng.pick(kLightPens));
    } else {
        const std::uint8_t hidden = style == Canvas::hidden_black ? 0 : 255;
        fill(image, {hidden, hidden, hidden}, 0);
        const int shade = rng.integer(0, 2);
        const std::uint8_t grey = std::uint8_t(rng.integer(102, 153));  // luma 0.4-0.6
        const Colour stroke = shade == 0   ? rng.pick(kDarkPens)
                              : shade == 1 ? rng.pick(kLightPens)
                                           : Colour{grey, grey, std::uint8_t(std::min(255, grey + 8))};
        // The canvas stores straight (not premultiplied) colour: every touched pixel has the stroke's RGB.
        for (int y = 0; y < ink.height; ++y) {
            for (int x = 0; x < ink.width; ++x) {
                const float a = ink.at(x, y);
                if (a <= 0) continue;
                std::uint8_t* p = image.at(left + x, top + y);
                p[0] = stroke[0], p[1] = stroke[1], p[2] = stroke[2];
                p[3] = std::uint8_t(std::lround(255 * a));
            }
        }
    }
    return finish(testimg::encode_png_rgba(image), mnist, index, ink);
}

Sample canvas_dark_on_light(const Mnist& m, int index, int, std::uint32_t seed) {
    return canvas(m, index, seed, Canvas::dark_on_light);
}
Sample canvas_light_on_dark(const Mnist& m, int index, int, std::uint32_t seed) {
    return canvas(m, index, seed, Canvas::light_on_dark);
}
Sample canvas_hidden_black(const Mnist& m, int index, int, std::uint32_t seed) {
    return canvas(m, index, seed, Canvas::hidden_black);
}
Sample canvas_hidden_white(const Mnist& m, int index, int, std::uint32_t seed) {
    return canvas(m, index, seed, Canvas::hidden_white);
}

// A thumbnail blown up: the digit stored at 8x8 or 12x12 (as in small digit datasets, icons, a crop from a
// low-resolution screenshot) and scaled up to 32-128 px by a viewer's bilinear filter, dark on light.
Sample lowres_scaled_up(const Mnist& mnist, int index, int, std::uint32_t seed) {
    Rng rng(seed);
    InkMap bitmap(28, 28);
    int bx0 = 28, by0 = 28, bx1 = -1, by1 = -1;
    for (int y = 0; y < 28; ++y) {
        for (int x = 0; x < 28; ++x) {
            const std::uint8_t v = mnist.images[std::size_t(index) * 784 + std::size_t(y * 28 + x)];
            bitmap.at(x, y) = v / 255.0f;
            if (v > 25)
                bx0 = std::min(bx0, x), bx1 = std::max(bx1, x), by0 = std::min(by0, y),
                by1 = std::max(by1, y);
        }
    }
    const int small_side = rng.chance(0.5f) ? 8 : 12;
    const int margin = rng.integer(0, small_side / 8);
    const float square = float(std::max(bx1 - bx0, by1 - by0) + 1);
    const float cx = (bx0 + bx1 + 1) / 2.0f, cy = (by0 + by1 + 1) / 2.0f;
    const InkMap inner = area_resize(bitmap, cx - square / 2, cy - square / 2, square, square,
                                     small_side - 2 * margin, small_side - 2 * margin);
    InkMap small(small_side, small_side);
    for (int y = 0; y < inner.height; ++y)
        for (int x = 0; x < inner.width; ++x)
            small.at(x + margin, y + margin) = std::min(1.0f, inner.at(x, y));
    const int side = rng.integer(32, 128);
    InkMap ink(side, side);
    const float step = float(small_side) / side;
    for (int y = 0; y < side; ++y) {
        const float sy = std::clamp((y + 0.5f) * step - 0.5f, 0.0f, small_side - 1.0f);
        const int y0 = std::min(int(sy), small_side - 2);
        const float fy = sy - y0;
        for (int x = 0; x < side; ++x) {
            const float sx = std::clamp((x + 0.5f) * step - 0.5f, 0.0f, small_side - 1.0f);
            const int x0 = std::min(int(sx), small_side - 2);
            const float fx = sx - x0;
            ink.at(x, y) = (1 - fy) * ((1 - fx) * small.at(x0, y0) + fx * small.at(x0 + 1, y0)) +
                           fy * ((1 - fx) * small.at(x0, y0 + 1) + fx * small.at(x0 + 1, y0 + 1));
        }
    }
    const std::uint8_t paper = std::uint8_t(rng.integer(235, 255)), pen = std::uint8_t(rng.integer(0, 50));
    Rgba image(side, side);
    fill(image, {paper, paper, paper});
    paint(image, ink, 0, 0, {pen, pen, pen});
    std::string file =
        rng.chance(0.5f) ? testimg::encode_png_rgba(image) : testimg::encode_png_custom(image, 0, 8);
    return finish(std::move(file), mnist, index, ink);
}

// A digit written with a bold marker and cropped tight, or a small icon-sized export: 40-120 px with the
// digit filling 60-90% of it, strokes a fifth to a quarter of the digit's height; some saved as JPEG.
Sample bold_marker_small(const Mnist& mnist, int index, int, std::uint32_t seed) {
    Rng rng(seed);
    const Skeleton skeleton = skeleton_of(mnist, index);
    const int height = rng.integer(40, 120);
    const int width = std::clamp(int(std::lround(height * rng.uniform(0.8f, 1.25f))), 40, 120);
    const float digit_height = rng.uniform(0.6f, 0.9f) * height, brush_fraction = rng.uniform(0.20f, 0.28f);
    const InkMap ink =
        brush_digit_fitting(skeleton, digit_height, brush_fraction, width - 2.0f, height - 2.0f);
    const auto [left, top] = place(rng, ink, 1, 1, width - 1, height - 1);
    Rgba image(width, height);
    fill(image, rng.pick(kLightBackgrounds));
    paint(image, ink, left, top, rng.pick(kDarkPens));
    std::string file = rng.chance(1 / 3.0f) ? testimg::encode_jpeg(image, rng.integer(70, 92))
                                            : testimg::encode_png_rgba(image);
    return finish(std::move(file), mnist, index, ink);
}

// A light pencil sketch scanned or photographed flat: thin grey strokes only 15-35% darker than the paper,
// graphite texture along them, paper grain, and a few places where the pencil skipped.
Sample faint_pencil_gaps(const Mnist& mnist, int index, int, std::uint32_t seed) {
    Rng rng(seed);
    const Skeleton skeleton = skeleton_of(mnist, index);
    const int width = rng.integer(300, 600), height = rng.integer(300, 600);
    Rgba image(width, height);
    const std::array<float, 3> tint = paper_tint(rng);
    const float shadow = rng.uniform(0.0f, 0.1f), grain = rng.uniform(0.012f, 0.03f);
    grainy_paper(image, tint, shadow, grain, rng);
    const float digit_height = rng.uniform(0.5f, 0.8f) * height;
    Gaps gaps;
    gaps.length = rng.uniform(0.03f, 0.06f) * digit_height;
    const int gap_count = rng.integer(2, 4);
    // Gaps apart from each other (a fifth of the digit's height), so that no stroke loses a long piece.
    for (int tries = 0; int(gaps.centres.size()) < gap_count && tries < 50; ++tries) {
        const auto& segment =
            skeleton.segments[std::size_t(rng.integer(0, int(skeleton.segments.size()) - 1))];
        const Skeleton::Point centre = segment[0];
        const bool apart = std::all_of(gaps.centres.begin(), gaps.centres.end(), [&](Skeleton::Point other) {
            return std::hypot(centre.x - other.x, centre.y - other.y) > 0.2f * skeleton.height();
        });
        if (apart) gaps.centres.push_back(centre);
    }
    const float pencil_fraction = rng.uniform(0.02f, 0.04f);
    InkMap ink =
        brush_digit_fitting(skeleton, digit_height, pencil_fraction, width - 8.0f, height - 8.0f, gaps, 2.5f);
    for (float& v : ink.v)
        if (v > 0) v *= rng.uniform(0.6f, 1.0f);  // graphite grain
    const auto [left, top] = place(rng, ink, 4, 4, width - 4, height - 4);
    const float contrast = rng.uniform(0.15f, 0.35f);
    for (int y = 0; y < ink.height; ++y) {
        for (int x = 0; x < ink.width; ++x) {
            std::uint8_t* p = image.at(left + x, top + y);
            const float keep = 1 - contrast * ink.at(x, y);
            for (int c = 0; c < 3; ++c) p[c] = std::uint8_t(std::lround(p[c] * keep));
        }
    }
    std::string file =
        rng.chance(0.5f) ? testimg::encode_jpeg(image, rng.integer(85, 95)) : testimg::encode_png_rgba(image);
    return finish(std::move(file), mnist, index, ink);
}

// Multiplies every pixel by a light level: a linear fall-off in a random direction or a radial one
// (vignette, or a lamp off to one side), darkening by up to `darkening`.
void shade(Rgba& image, Rng& rng, float darkening) {
    const bool radial = rng.chance(0.5f);
    const float angle = rng.uniform(0.0f, 6.2831853f), ca = std::cos(angle), sa = std::sin(angle);
    const float cx = rng.uniform(0.0f, float(image.width)), cy = rng.uniform(0.0f, float(image.height));
    const float reach = std::hypot(float(image.width), float(image.height));
    const float span = std::abs(ca) * image.width + std::abs(sa) * image.height;
    const float start = std::min(0.0f, ca * image.width) + std::min(0.0f, sa * image.height);
    for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
            const float t = radial ? std::min(1.0f, std::hypot(x - cx, y - cy) / (0.8f * reach))
                                   : (ca * x + sa * y - start) / span;
            const float light = 1 - darkening * (radial ? t * t : t);
            std::uint8_t* p = image.at(x, y);
            for (int c = 0; c < 3; ++c) p[c] = std::uint8_t(p[c] * light);
        }
    }
}

// Horizontal (slightly tilted) anti-aliased lines every `spacing` px, over the whole image.
void rule_lines(Rgba& image, float spacing, float phase, float slope, float thickness, Colour colour,
                float opacity) {
    for (int x = 0; x < image.width; ++x) {
        for (float centre = phase + slope * x; centre < image.height + thickness; centre += spacing) {
            for (int y = std::max(0, int(centre - thickness));
                 y <= std::min(image.height - 1, int(centre + thickness)); ++y) {
                const float a =
                    std::clamp(thickness / 2 + 0.5f - std::abs(y + 0.5f - centre), 0.0f, 1.0f) * opacity;
                std::uint8_t* p = image.at(x, y);
                for (int c = 0; c < 3; ++c)
                    p[c] = std::uint8_t(std::lround(colour[std::size_t(c)] * a + p[c] * (1 - a)));
            }
        }
    }
}

void vertical_line(Rgba& image, float at, float thickness, Colour colour, float opacity) {
    for (int y = 0; y < image.height; ++y) {
        for (int x = std::max(0, int(at - thickness)); x <= std::min(image.width - 1, int(at + thickness));
             ++x) {
            const float a = std::clamp(thickness / 2 + 0.5f - std::abs(x + 0.5f - at), 0.0f, 1.0f) * opacity;
            std::uint8_t* p = image.at(x, y);
            for (int c = 0; c < 3; ++c)
                p[c] = std::uint8_t(std::lround(colour[std::size_t(c)] * a + p[c] * (1 - a)));
        }
    }
}

void dot(Rgba& image, float cx, float cy, float radius, Colour colour) {
    for (int y = std::max(0, int(cy - radius - 1)); y <= std::min(image.height - 1, int(cy + radius + 1));
         ++y) {
        for (int x = std::max(0, int(cx - radius - 1)); x <= std::min(image.width - 1, int(cx + radius + 1));
             ++x) {
            const float a = std::clamp(radius + 0.5f - std::hypot(x + 0.5f - cx, y + 0.5f - cy), 0.0f, 1.0f);
            std::uint8_t* p = image.at(x, y);
            for (int c = 0; c < 3; ++c)
                p[c] = std::uint8_t(std::lround(colour[std::size_t(c)] * a + p[c] * (1 - a)));
        }
    }
}

// A phone photo of a digit written in pen on a notebook page: tinted paper with grain, ruled lines (and
// sometimes a margin line) running through the digit, a few specks, the table showing along one or two
// edges, uneven light, JPEG at the quality phones and messengers use.
Sample paper_photo(const Mnist& mnist, int index, int, std::uint32_t seed) {
    Rng rng(seed);
    const Skeleton skeleton = skeleton_of(mnist, index);
    const int longer = rng.integer(400, 1200);
    const int shape = rng.integer(0, 2);  // landscape 4:3, portrait 3:4, square
    const int width = shape == 1 ? longer * 3 / 4 : longer, height = shape == 0 ? longer * 3 / 4 : longer;
    Rgba image(width, height);
    const std::array<float, 3> tint = paper_tint(rng);
    const float grain = rng.uniform(0.008f, 0.025f);
    grainy_paper(image, tint, 0.0f, grain, rng);

    // The table along one or two sides: 0 left, 1 top, 2 right, 3 bottom.
    std::array<float, 4> band = {0, 0, 0, 0};
    const int first_side = rng.integer(0, 3);
    band[std::size_t(first_side)] = rng.uniform(0.04f, 0.12f);
    if (rng.chance(0.5f)) {
        const int second_side = (first_side + rng.integer(1, 3)) % 4;
        band[std::size_t(second_side)] = rng.uniform(0.04f, 0.12f);
    }
    const int paper_x0 = int(band[0] * width) + 2, paper_x1 = width - int(band[2] * width) - 2;
    const int paper_y0 = int(band[1] * height) + 2, paper_y1 = height - int(band[3] * height) - 2;

    const std::array<Colour, 2> rule_colours = {{{125, 160, 215}, {150, 150, 155}}};
    const float spacing = rng.uniform(30.0f, 40.0f), phase = rng.uniform(0.0f, spacing);
    const float slope = rng.uniform(-0.015f, 0.015f), thickness = rng.uniform(1.0f, 2.2f);
    const Colour rule_colour = rng.pick(rule_colours);
    rule_lines(image, spacing, phase, slope, thickness, rule_colour, rng.uniform(0.6f, 0.9f));
    if (rng.chance(0.3f)) {  // the red margin line
        const float at = rng.uniform(0.08f, 0.15f) * width;
        vertical_line(image, at, rng.uniform(1.0f, 2.0f), {215, 90, 95}, 0.8f);
    }

    const float short_side = float(std::min(paper_x1 - paper_x0, paper_y1 - paper_y0));
    const float digit_height = rng.uniform(0.3f, 0.6f) * short_side,
                pen_fraction = rng.uniform(0.025f, 0.06f);
    const InkMap ink =
        brush_digit_fitting(skeleton, digit_height, pen_fraction, float(paper_x1 - paper_x0) - 20,
                            float(paper_y1 - paper_y0) - 20, {}, 2.0f);
    const auto [left, top] = place(rng, ink, paper_x0 + 10, paper_y0 + 10, paper_x1 - 10, paper_y1 - 10);
    const std::array<Colour, 3> pens = {{{25, 25, 35}, {25, 45, 140}, {40, 40, 90}}};
    const Colour pen = rng.pick(pens);
    paint(image, ink, left, top, pen, rng.uniform(0.85f, 1.0f));

    // Specks on the paper, away from the digit (one touching a stroke would change what the digit is).
    const int specks = rng.integer(2, 8);
    for (int placed = 0, tries = 0; placed < specks && tries < 100; ++tries) {
        const float x = rng.uniform(float(paper_x0), float(paper_x1));
        const float y = rng.uniform(float(paper_y0), float(paper_y1));
        if (x > left - 10 && x < left + ink.width + 10 && y > top - 10 && y < top + ink.height + 10) continue;
        const std::uint8_t grey = std::uint8_t(rng.integer(50, 110));
        dot(image, x, y, rng.uniform(0.7f, 2.5f), {grey, grey, grey});
        ++placed;
    }

    const std::array<Colour, 4> tables = {{{105, 70, 40}, {55, 55, 60}, {25, 25, 25}, {40, 80, 55}}};
    const Colour table = rng.pick(tables);
    const float tilt = rng.uniform(-0.03f, 0.03f);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            // Distance inside the table's side of each (slightly tilted) paper edge, anti-aliased.
            float cover = 0;
            const float fx = x + 0.5f, fy = y + 0.5f;
            if (band[0] > 0) cover = std::max(cover, band[0] * width + tilt * fy - fx + 0.5f);
            if (band[2] > 0) cover = std::max(cover, fx - (width - band[2] * width + tilt * fy) + 0.5f);
            if (band[1] > 0) cover = std::max(cover, band[1] * height + tilt * fx - fy + 0.5f);
            if (band[3] > 0) cover = std::max(cover, fy - (height - band[3] * height + tilt * fx) + 0.5f);
            const float a = std::clamp(cover, 0.0f, 1.0f);
            if (a <= 0) continue;
            std::uint8_t* p = image.at(x, y);
            const int grain = rng.integer(-8, 8);
            for (int c = 0; c < 3; ++c)
                p[c] = std::uint8_t(
                    std::clamp(std::lround((table[std::size_t(c)] + grain) * a + p[c] * (1 - a)), 0L, 255L));
        }
    }
    shade(image, rng, rng.uniform(0.0f, 0.4f));
    return finish(testimg::encode_jpeg(image, rng.integer(55, 90)), mnist, index, ink);
}

// A full-resolution phone photo (1600x1200 or 2000x1500) of a page with one small digit (50-120 px tall)
// written near a corner, the rest empty paper with texture and mild uneven light.
Sample small_in_large_photo(const Mnist& mnist, int index, int, std::uint32_t seed) {
    Rng rng(seed);
    const Skeleton skeleton = skeleton_of(mnist, index);
    const bool large = rng.chance(0.5f), portrait = rng.chance(0.25f);
    int width = large ? 2000 : 1600, height = large ? 1500 : 1200;
    if (portrait) std::swap(width, height);
    Rgba image(width, height);
    const std::array<float, 3> tint = paper_tint(rng);
    const float shadow = rng.uniform(0.0f, 0.15f), grain = rng.uniform(0.008f, 0.02f);
    grainy_paper(image, tint, shadow, grain, rng);
    const float digit_height = float(rng.integer(50, 120)), pen_fraction = rng.uniform(0.06f, 0.12f);
    const InkMap ink = brush_digit_fitting(skeleton, digit_height, pen_fraction, 1e9f, 1e9f, {}, 2.0f);
    const int corner = rng.integer(0, 3);
    const int region_w = int(0.3f * width), region_h = int(0.3f * height);
    const int rx0 = corner % 2 == 0 ? int(0.03f * width) : width - int(0.03f * width) - region_w;
    const int ry0 = corner / 2 == 0 ? int(0.03f * height) : height - int(0.03f * height) - region_h;
    const auto [left, top] = place(rng, ink, rx0, ry0, rx0 + region_w, ry0 + region_h);
    const std::array<Colour, 3> pens = {{{25, 25, 35}, {25, 45, 140}, {20, 20, 20}}};
    const Colour pen = rng.pick(pens);
    paint(image, ink, left, top, pen, rng.uniform(0.9f, 1.0f));
    return finish(testimg::encode_jpeg(image, rng.integer(75, 92)), mnist, index, ink);
}

// The same plain digit on paper in the file formats that are rarer but real: palette PNG (8- and 4-bit,
// from image optimisers), 16-bit grey PNG (scanners), grey+alpha PNG, GIF, BMP (Windows Paint), and a phone
// JPEG that stores its pixels sideways or upside down with an EXIF orientation tag saying so.
Sample awkward_formats(const Mnist& mnist, int index, int number, std::uint32_t seed) {
    Rng rng(seed);
    const Skeleton skeleton = skeleton_of(mnist, index);
    const int width = rng.integer(100, 300), height = rng.integer(100, 300);
    const float digit_height = rng.uniform(0.5f, 0.8f) * height, brush_fraction = rng.uniform(0.08f, 0.14f);
    const InkMap ink =
        brush_digit_fitting(skeleton, digit_height, brush_fraction, width - 4.0f, height - 4.0f);
    const auto [left, top] = place(rng, ink, 2, 2, width - 2, height - 2);
    const std::uint8_t paper = std::uint8_t(rng.integer(225, 255)), pen = std::uint8_t(rng.integer(0, 60));
    Rgba image(width, height);
    fill(image, {paper, paper, paper});
    paint(image, ink, left, top, {pen, pen, pen});
    std::string file;
    switch (number % 7) {
        case 0:
            file = testimg::encode_png_custom(image, 3, 8);
            break;
        case 1:
            file = testimg::encode_png_custom(image, 0, 16);
            break;
        case 2:
            file = testimg::encode_png_custom(image, 4, 8);
            break;
        case 3:
            file = testimg::encode_gif(image);
            break;
        case 4:
            file = testimg::encode_bmp(image);
            break;
        case 5: {
            const std::array<int, 7> orientations = {6, 8, 3, 2, 5, 7, 4};
            const int orientation = orientations[std::size_t(number / 7 % 7)];
            file = testimg::with_exif_orientation(
                testimg::encode_jpeg(testimg::stored_for_orientation(image, orientation),
                                     rng.integer(85, 95)),
                orientation);
            break;
        }
        default:
            file = testimg::encode_png_custom(image, 3, 4);
            break;
    }
    return finish(std::move(file), mnist, index, ink);
}

// The ink of a line (or of lines) `height` px tall per character as an upload: with `canvas` a wide web
// canvas, dark on light or light on dark (PNG); otherwise a phone photo of a notebook page (grain, ruled
// lines, specks away from the ink, uneven light, JPEG).
std::string upload_of(const InkMap& line, float height, bool canvas, Rng& rng) {
    const int margin_x = int(height * rng.uniform(0.6f, 1.5f));
    const int width = line.width + 2 * margin_x;
    if (canvas) {
        const int image_height =
            std::max(line.height + int(0.6f * height), int(width / rng.uniform(2.5f, 3.5f)));
        Rgba image(width, image_height);
        const bool dark_ink = rng.chance(0.7f);
        fill(image, dark_ink ? rng.pick(kLightBackgrounds) : rng.pick(kDarkBackgrounds));
        const auto [left, ink_top] = place(rng, line, margin_x, 2, width - margin_x, image_height - 2);
        paint(image, line, left, ink_top, dark_ink ? rng.pick(kDarkPens) : rng.pick(kLightPens));
        return testimg::encode_png_rgba(image);
    }
    const int image_height = std::max(int(line.height * rng.uniform(2.0f, 3.0f)), width / 4);
    Rgba image(width, image_height);
    grainy_paper(image, paper_tint(rng), 0.0f, rng.uniform(0.008f, 0.025f), rng);
    const std::array<Colour, 2> rule_colours = {{{125, 160, 215}, {150, 150, 155}}};
    const float spacing = height * rng.uniform(0.8f, 1.3f);
    rule_lines(image, spacing, rng.uniform(0.0f, spacing), rng.uniform(-0.01f, 0.01f),
               rng.uniform(1.0f, 2.0f), rng.pick(rule_colours), rng.uniform(0.5f, 0.85f));
    const auto [left, ink_top] = place(rng, line, margin_x, 4, width - margin_x, image_height - 4);
    const std::array<Colour, 3> pens = {{{25, 25, 35}, {25, 45, 140}, {40, 40, 90}}};
    paint(image, line, left, ink_top, rng.pick(pens), rng.uniform(0.85f, 1.0f));
    const int specks = rng.integer(0, 5);
    for (int placed = 0, tries = 0; placed < specks && tries < 100; ++tries) {
        const float sx = rng.uniform(0.0f, float(width)), sy = rng.uniform(0.0f, float(image_height));
        if (sx > left - 10 && sx < left + line.width + 10 && sy > ink_top - 10 &&
            sy < ink_top + line.height + 10)
            continue;
        const std::uint8_t grey = std::uint8_t(rng.integer(50, 110));
        dot(image, sx, sy, rng.uniform(0.7f, 2.0f), {grey, grey, grey});
        ++placed;
    }
    shade(image, rng, rng.uniform(0.0f, 0.25f));
    return testimg::encode_jpeg(image, rng.integer(60, 90));
}

// ---- Formatted numbers: digits and the marks between them --------------------------------------------

// One character of a line: its ink, and the row of the ink that stands on the line's baseline.
struct Glyph {
    InkMap ink;
    float baseline = 0;
    bool mark = false;
};

// A polyline in the units of a box `w` x `h` (x right, y down), drawn with a brush whose radius is `r`;
// the map is the box plus the brush.
Glyph polyline_glyph(const std::vector<testimg::Segment>& segments, float w, float h, float r, Rng& rng) {
    const float m = r + 1;
    Glyph glyph;
    glyph.ink = InkMap(int(std::ceil(w + 2 * m)), int(std::ceil(h + 2 * m)));
    const float wobble = 0.03f * std::max(w, h);
    for (const testimg::Segment& s : segments)
        stamp(glyph.ink, m + s.x0 * w + rng.uniform(-wobble, wobble),
              m + s.y0 * h + rng.uniform(-wobble, wobble), m + s.x1 * w + rng.uniform(-wobble, wobble),
              m + s.y1 * h + rng.uniform(-wobble, wobble), r);
    glyph.baseline = m + h;
    return glyph;
}

// A mark as pens and fingers draw it, for a line whose digits are `height` px tall, brush `brush` px.
Glyph mark_glyph(char c, float height, float brush, Rng& rng) {
    const float r = std::max(1.0f, brush / 2);
    Glyph glyph;
    glyph.mark = true;
    if (c == '.' || c == ':') {
        // A dot is a short dab, a little fatter than the pen; a colon two of them, one at mid-height.
        const float dot_r = std::max(1.5f, r * rng.uniform(1.0f, 1.5f));
        const float rise = c == ':' ? height * rng.uniform(0.4f, 0.55f) : 0.0f;
        const float dab = dot_r * rng.uniform(0.0f, 0.6f), slant = rng.uniform(-0.5f, 0.5f);
        const float m = dot_r + 1 + 2 * dab;
        glyph.ink = InkMap(int(std::ceil(2 * m)), int(std::ceil(2 * m + rise)));
        const float bottom_y = glyph.ink.height - m;
        for (const float cy :
             c == ':' ? std::vector<float>{bottom_y, bottom_y - rise} : std::vector<float>{bottom_y})
            stamp(glyph.ink, m - dab, cy + dab * slant, m + dab, cy - dab * slant, dot_r);
        glyph.baseline = bottom_y + dot_r - height * rng.uniform(0.0f, 0.05f);
        if (c == ':') glyph.baseline -= height * rng.uniform(0.05f, 0.15f);
        return glyph;
    }
    if (c == ',') {
        const float length = height * rng.uniform(0.18f, 0.3f), lean = length * rng.uniform(0.25f, 0.6f);
        glyph =
            polyline_glyph({{1.0f, 0.0f, 0.85f, 0.35f}, {0.85f, 0.35f, 0.0f, 1.0f}}, lean, length, r, rng);
        stamp(glyph.ink, r + 1 + lean, r + 1, r + 1 + lean * 0.9f, r + 1 + length * 0.15f, r * 1.2f);
        glyph.baseline = r + 1 + length * rng.uniform(0.15f, 0.3f);
        glyph.mark = true;
        return glyph;
    }
    if (c == '-') {
        const float length = height * rng.uniform(0.25f, 0.5f), tilt = rng.uniform(-0.08f, 0.08f);
        glyph = polyline_glyph({{0.0f, 0.5f - tilt, 1.0f, 0.5f + tilt}}, length, length * 0.2f, r, rng);
        glyph.baseline = glyph.ink.height / 2.0f + height * rng.uniform(0.38f, 0.58f);
        glyph.mark = true;
        return glyph;
    }
    // '/': a stroke as tall as the digits or a little taller, leaning right.
    const float tall = height * rng.uniform(0.9f, 1.15f), lean = height * rng.uniform(0.25f, 0.55f);
    glyph = polyline_glyph({{0.0f, 1.0f, 1.0f, 0.0f}}, lean, tall, r, rng);
    glyph.baseline = r + 1 + tall - height * rng.uniform(-0.05f, 0.1f);
    glyph.mark = true;
    return glyph;
}

// The ink `in` turned by `degrees` (anticlockwise as seen) about its centre, the map grown to hold it.
InkMap rotated(const InkMap& in, float degrees) {
    const float a = degrees * 3.14159265f / 180.0f, c = std::cos(a), s = std::sin(a);
    const int w = int(std::ceil(std::abs(c) * in.width + std::abs(s) * in.height)) + 2;
    const int h = int(std::ceil(std::abs(s) * in.width + std::abs(c) * in.height)) + 2;
    InkMap out(w, h);
    const float icx = in.width / 2.0f, icy = in.height / 2.0f, ocx = w / 2.0f, ocy = h / 2.0f;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const float dx = x + 0.5f - ocx, dy = y + 0.5f - ocy;
            const float sx = c * dx - s * dy + icx - 0.5f, sy = s * dx + c * dy + icy - 0.5f;
            const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
            const float fx = sx - x0, fy = sy - y0;
            auto at = [&](int xx, int yy) {
                return xx < 0 || yy < 0 || xx >= in.width || yy >= in.height ? 0.0f : in.at(xx, yy);
            };
            out.at(x, y) = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                           fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
        }
    }
    return out;
}

// The ink turned clockwise by a quarter turn `quarters` times.
InkMap quarter_turned(const InkMap& in, int quarters) {
    InkMap out = in;
    for (int q = 0; q < (quarters % 4 + 4) % 4; ++q) {
        InkMap next(out.height, out.width);
        for (int y = 0; y < out.height; ++y)
            for (int x = 0; x < out.width; ++x) next.at(out.height - 1 - y, x) = out.at(x, y);
        out = std::move(next);
    }
    return out;
}
}  // namespace

InkMap area_resize(const InkMap& in, float x0, float y0, float w, float h, int out_w, int out_h) {
    // Weights of the input columns (rows) that each output column (row) covers.
    struct Span {
        int first = 0;
        std::vector<float> weights;
    };
    auto spans = [](float start, float length, int outputs, int limit) {
        std::vector<Span> result(static_cast<std::size_t>(outputs));
        const float step = length / outputs;
        for (int o = 0; o < outputs; ++o) {
            const float a = start + o * step, b = a + step;
            Span& s = result[std::size_t(o)];
            s.first = std::max(0, int(std::floor(a)));
            for (int i = s.first; i < std::min(limit, int(std::ceil(b))); ++i)
                s.weights.push_back(std::max(0.0f, std::min(b, i + 1.0f) - std::max(a, float(i))) / step);
        }
        return result;
    };
    const std::vector<Span> columns = spans(x0, w, out_w, in.width), rows = spans(y0, h, out_h, in.height);
    InkMap across(out_w, in.height);
    for (int y = 0; y < in.height; ++y) {
        for (int o = 0; o < out_w; ++o) {
            float sum = 0;
            const Span& s = columns[std::size_t(o)];
            for (std::size_t k = 0; k < s.weights.size(); ++k)
                sum += s.weights[k] * in.at(s.first + int(k), y);
            across.at(o, y) = sum;
        }
    }
    InkMap out(out_w, out_h);
    for (int o = 0; o < out_h; ++o) {
        const Span& s = rows[std::size_t(o)];
        for (int x = 0; x < out_w; ++x) {
            float sum = 0;
            for (std::size_t k = 0; k < s.weights.size(); ++k)
                sum += s.weights[k] * across.at(x, s.first + int(k));
            out.at(x, o) = sum;
        }
    }
    return out;
}

const std::vector<Kind>& kinds() {
    static const std::vector<Kind> all = {
        {"canvas_thick_brush_dark_on_light", canvas_dark_on_light},
        {"canvas_thick_brush_light_on_dark", canvas_light_on_dark},
        {"canvas_transparent_hidden_black", canvas_hidden_black},
        {"canvas_transparent_hidden_white", canvas_hidden_white},
        {"lowres_scaled_up", lowres_scaled_up},
        {"bold_marker_small", bold_marker_small},
        {"faint_pencil_gaps", faint_pencil_gaps},
        {"paper_photo", paper_photo},
        {"small_in_large_photo", small_in_large_photo},
        {"awkward_formats", awkward_formats},
    };
    return all;
}

int mnist_index_for(const Mnist& mnist, int kind_number, int number, int attempt) {
    const int label = number % 10;
    int in_class = 0;
    for (int i = 0; i < mnist.count; ++i) in_class += mnist.labels[std::size_t(i)] == label;
    // Large strides spread one kind's picks over the whole class and keep them apart from other kinds'.
    const int wanted = (number / 10 * 97 + kind_number * 389 + attempt * 1543) % std::max(1, in_class);
    for (int i = 0, seen = 0; i < mnist.count; ++i)
        if (mnist.labels[std::size_t(i)] == label && seen++ == wanted) return i;
    return 0;
}

InkMap drawn_digit(const Mnist& mnist, int index, float height, float brush_fraction) {
    return brush_digit(skeleton_of(mnist, index), height, std::max(2.0f, brush_fraction * height));
}

NumberSample number_image(const Mnist& mnist, const std::vector<int>& indices, NumberStyle style,
                          bool touching, std::uint32_t seed) {
    Rng rng(seed);
    const bool canvas_style = style == NumberStyle::canvas;
    const float height = canvas_style ? rng.uniform(60.0f, 140.0f) : rng.uniform(40.0f, 110.0f);
    const float brush =
        std::max(2.0f, height * (canvas_style ? rng.uniform(0.08f, 0.14f) : rng.uniform(0.04f, 0.08f)));
    const std::size_t count = indices.size();
    const std::size_t touching_pair = count > 1 ? std::size_t(rng.integer(0, int(count) - 2)) : 0;
    NumberSample sample;
    sample.touching = touching && count > 1;
    std::vector<InkMap> inks;
    std::vector<int> lefts, bottoms;
    int x = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const int index = indices[i];
        sample.text += char('0' + mnist.labels[std::size_t(index)]);
        inks.push_back(brush_digit(skeleton_of(mnist, index), height * rng.uniform(0.85f, 1.15f), brush));
        if (i > 0) {
            const bool overlapping = sample.touching && i - 1 == touching_pair;
            x += int(
                std::lround(height * (overlapping ? rng.uniform(-0.12f, -0.02f) : rng.uniform(0.08f, 0.6f))));
        }
        lefts.push_back(x);
        bottoms.push_back(int(std::lround(height * rng.uniform(-0.08f, 0.08f))));
        x += inks.back().width;
    }
    int top = 0, bottom = 0;
    for (std::size_t i = 0; i < count; ++i) {
        top = std::min(top, bottoms[i] - inks[i].height);
        bottom = std::max(bottom, bottoms[i]);
    }
    InkMap line(x, bottom - top);
    for (std::size_t i = 0; i < count; ++i) {
        const InkMap& ink = inks[i];
        const int y0 = bottoms[i] - ink.height - top;
        for (int y = 0; y < ink.height; ++y)
            for (int xx = 0; xx < ink.width; ++xx) {
                const int lx = lefts[i] + xx;
                if (lx < 0 || lx >= line.width) continue;
                float& cell = line.at(lx, y0 + y);
                cell = std::max(cell, ink.at(xx, y));
            }
    }

    sample.file = upload_of(line, height, canvas_style, rng);
    return sample;
}

TextSample text_image(const Mnist& mnist, const std::vector<std::string>& lines, const TextOptions& options,
                      const std::function<int(int)>& pick_digit, std::uint32_t seed) {
    Rng rng(seed);
    const bool canvas_style = options.style == NumberStyle::canvas;
    const float height = canvas_style ? rng.uniform(60.0f, 130.0f) : rng.uniform(40.0f, 100.0f);
    const float brush =
        std::max(2.0f, height * (canvas_style ? rng.uniform(0.08f, 0.13f) : rng.uniform(0.04f, 0.08f)));
    TextSample sample;
    std::vector<InkMap> line_inks;
    for (const std::string& text : lines) {
        if (!sample.text.empty()) sample.text += '\n';
        sample.text += text;
        std::vector<Glyph> glyphs;
        for (const char c : text) {
            if (c < '0' || c > '9') {
                glyphs.push_back(mark_glyph(c, height, brush, rng));
                continue;
            }
            const float h = height * rng.uniform(0.85f, 1.15f);
            Glyph glyph;
            if (options.stroke_digits) {
                const float w = h * (c == '1' ? 0.3f : rng.uniform(0.5f, 0.65f));
                glyph = polyline_glyph(testimg::digit_strokes(c - '0'), w, h - brush, brush / 2, rng);
            } else {
                glyph.ink = brush_digit(skeleton_of(mnist, pick_digit(c - '0')), h, brush);
                glyph.baseline = float(glyph.ink.height);
            }
            glyph.baseline += height * rng.uniform(-0.08f, 0.08f);
            glyphs.push_back(std::move(glyph));
        }
        // Left to right: digits apart by a gap from narrow to wide (one pair overlapping with `touching`),
        // marks closer to their neighbours.
        int touching_pair = -1;
        if (options.touching) {
            std::vector<int> pairs;
            for (std::size_t i = 1; i < glyphs.size(); ++i)
                if (!glyphs[i].mark && !glyphs[i - 1].mark) pairs.push_back(int(i));
            if (!pairs.empty()) touching_pair = pairs[std::size_t(rng.integer(0, int(pairs.size()) - 1))];
        }
        std::vector<int> lefts;
        int x = 0;
        float top = 0, bottom = 0;
        for (std::size_t i = 0; i < glyphs.size(); ++i) {
            if (i > 0) {
                const bool near_mark = glyphs[i].mark || glyphs[i - 1].mark;
                const float gap = int(i) == touching_pair ? rng.uniform(-0.12f, -0.02f)
                                  : near_mark             ? rng.uniform(0.06f, 0.3f)
                                                          : rng.uniform(0.08f, 0.5f);
                x += int(std::lround(height * gap));
            }
            lefts.push_back(x);
            x += glyphs[i].ink.width;
            top = std::min(top, -glyphs[i].baseline);
            bottom = std::max(bottom, glyphs[i].ink.height - glyphs[i].baseline);
        }
        InkMap line(std::max(1, x), int(std::ceil(bottom - top)) + 1);
        for (std::size_t i = 0; i < glyphs.size(); ++i) {
            const InkMap& ink = glyphs[i].ink;
            const int y0 = int(std::lround(-glyphs[i].baseline - top));
            for (int y = 0; y < ink.height; ++y)
                for (int xx = 0; xx < ink.width; ++xx) {
                    const int lx = lefts[i] + xx, ly = y0 + y;
                    if (lx < 0 || lx >= line.width || ly < 0 || ly >= line.height) continue;
                    float& cell = line.at(lx, ly);
                    cell = std::max(cell, ink.at(xx, y));
                }
        }
        line_inks.push_back(std::move(line));
    }
    // The lines stacked top to bottom, each indented a little, a gap of half a line or so between them.
    std::vector<int> indents, tops;
    int width = 0, y = 0;
    for (const InkMap& line : line_inks) {
        indents.push_back(int(height * rng.uniform(0.0f, 0.6f)));
        if (!tops.empty()) y += int(height * rng.uniform(0.3f, 0.8f));
        tops.push_back(y);
        y += line.height;
        width = std::max(width, indents.back() + line.width);
    }
    InkMap ink(width, y);
    for (std::size_t l = 0; l < line_inks.size(); ++l)
        for (int yy = 0; yy < line_inks[l].height; ++yy)
            for (int xx = 0; xx < line_inks[l].width; ++xx)
                ink.at(indents[l] + xx, tops[l] + yy) = line_inks[l].at(xx, yy);
    if (options.skew_degrees != 0.0f) ink = rotated(ink, options.skew_degrees);
    ink = quarter_turned(ink, options.quarter_turns);
    sample.file = upload_of(ink, height, canvas_style, rng);
    return sample;
}

std::string read_number_text(const digit::Classifier& classifier, const std::string& file, bool pairs) {
    try {
        digit::Trace t;
        digit::find_digit_groups(digit::decode_image(file.data(), file.size()), t);
        if (pairs) return digit::read_found_number(t, classifier).text;
        return digit::read_number(
                   t.ink, t.components,
                   [&](const std::vector<digit::Image28>& inputs) { return classifier.read_pieces(inputs); })
            .text;
    } catch (const digit::ImageError&) {
        return "";
    }
}

}  // namespace stress
