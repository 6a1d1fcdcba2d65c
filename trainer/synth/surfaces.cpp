#include "synth/surfaces.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace digit {

namespace {

// Smooth random value noise in [0,1] with cells of `cell` px.
Plane value_noise(int width, int height, float cell, std::mt19937& rng) {
    const int gw = int(width / cell) + 2, gh = int(height / cell) + 2;
    std::vector<float> g(size_t(gw) * size_t(gh));
    for (float& v : g) v = uniform(rng, 0, 1);
    Plane out(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const float fx = x / cell, fy = y / cell;
            const int ix = int(fx), iy = int(fy);
            float tx = fx - ix, ty = fy - iy;
            tx = tx * tx * (3 - 2 * tx), ty = ty * ty * (3 - 2 * ty);
            auto at = [&](int a, int b) { return g[size_t(b) * size_t(gw) + size_t(a)]; };
            const float top = at(ix, iy) * (1 - tx) + at(ix + 1, iy) * tx;
            const float bottom = at(ix, iy + 1) * (1 - tx) + at(ix + 1, iy + 1) * tx;
            out(x, y) = top * (1 - ty) + bottom * ty;
        }
    return out;
}

// Bilinear resize of a grey image (enlarging a thumbnail as a browser or a phone does).
GreyImage resize_bilinear(const GreyImage& in, int out_w, int out_h) {
    GreyImage out(out_w, out_h);
    for (int y = 0; y < out_h; ++y)
        for (int x = 0; x < out_w; ++x) {
            const float sx = std::clamp((x + 0.5f) * in.width / out_w - 0.5f, 0.0f, float(in.width - 1));
            const float sy = std::clamp((y + 0.5f) * in.height / out_h - 0.5f, 0.0f, float(in.height - 1));
            const int x0 = int(sx), y0 = int(sy), x1 = std::min(x0 + 1, in.width - 1),
                      y1 = std::min(y0 + 1, in.height - 1);
            const float tx = sx - x0, ty = sy - y0;
            out(x, y) = (in(x0, y0) * (1 - tx) + in(x1, y0) * tx) * (1 - ty) +
                        (in(x0, y1) * (1 - tx) + in(x1, y1) * tx) * ty;
        }
    return out;
}

}  // namespace

GreyImage put_on_surface(const Coverage& ink_in, Surface surface, std::mt19937& rng) {
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    // A bold marker or a thick brush: the strokes grown.
    Coverage ink = ink_in;
    if (uniform(rng, 0, 1) < 0.25f) {
        const int r = std::max(
            1, int(std::lround(uniform(rng, 0.01f, 0.045f) * float(std::min(ink.width, ink.height)))));
        ink = square_extreme(ink, r, true);
    }
    GreyImage g(ink.width, ink.height);
    if (surface == Surface::canvas) {
        const bool dark_on_light = uniform(rng, 0, 1) < 0.7f;
        const float bg = dark_on_light ? 1.0f : 0.0f, fg = dark_on_light ? uniform(rng, 0.0f, 0.3f) : 1.0f;
        for (size_t i = 0; i < g.v.size(); ++i) g.v[i] = bg + (fg - bg) * ink.v[i];
    } else {
        const float base = uniform(rng, 0.55f, 0.95f), gx = uniform(rng, -0.15f, 0.15f),
                    gy = uniform(rng, -0.15f, 0.15f);
        // Pen, or faint pencil a little darker than the paper.
        const bool faint = uniform(rng, 0, 1) < 0.25f;
        const float fg = faint ? base - uniform(rng, 0.12f, 0.3f) : uniform(rng, 0.05f, 0.4f);
        const float grain = uniform(rng, 0.004f, 0.03f);
        const bool ruled = uniform(rng, 0, 1) < 0.3f;
        const int spacing = std::max(8, ink.height / (5 + pick(rng, 4)));
        for (int y = 0; y < g.height; ++y)
            for (int x = 0; x < g.width; ++x) {
                float bg = base + gx * (float(x) / g.width - 0.5f) + gy * (float(y) / g.height - 0.5f);
                if (ruled && y % spacing == spacing / 2) bg *= 0.85f;
                const float c = ink(x, y);
                g(x, y) = std::clamp(bg + (fg - bg) * c + grain * gauss(rng), 0.0f, 1.0f);
            }
        if (uniform(rng, 0, 1) < 0.5f) g = box3(g);
        // A small mark in a large photo of the page.
        if (uniform(rng, 0, 1) < 0.2f) {
            const int w = int(float(g.width) * uniform(rng, 2.0f, 4.0f)),
                      h = int(float(g.height) * uniform(rng, 1.5f, 3.0f));
            GreyImage page(w, h);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    page(x, y) = std::clamp(
                        base + gx * (float(x) / w - 0.5f) + gy * (float(y) / h - 0.5f) + grain * gauss(rng),
                        0.0f, 1.0f);
            const int ox = pick(rng, w - g.width + 1), oy = pick(rng, h - g.height + 1);
            // The ink and the rules go onto the page, not the sheet's own light (its gradient spans a
            // smaller sheet): what differs from the sheet's light is added to the page's.
            for (int y = 0; y < g.height; ++y)
                for (int x = 0; x < g.width; ++x) {
                    const float light =
                        base + gx * (float(x) / g.width - 0.5f) + gy * (float(y) / g.height - 0.5f);
                    page(ox + x, oy + y) = std::clamp(page(ox + x, oy + y) + g(x, y) - light, 0.0f, 1.0f);
                }
            g = std::move(page);
        }
    }
    // A thumbnail scaled up: the image made 10-28 px tall, then enlarged again.
    if (uniform(rng, 0, 1) < 0.15f) {
        const int small_h = 10 + pick(rng, 19);
        const int small_w = std::max(4, int(std::lround(float(small_h) * g.width / g.height)));
        g = resize_bilinear(resize_area(g, small_w, small_h), g.width, g.height);
    }
    return g;
}

Surface random_surface(std::mt19937& rng) {
    return uniform(rng, 0, 1) < 0.5f ? Surface::canvas : Surface::paper;
}

const std::vector<std::string>& noise_kinds(NegativeSplit split) {
    static const std::vector<std::string> training = {"grain", "blobs", "stripes", "salt_pepper"};
    static const std::vector<std::string> held_out = {"clouds", "checker", "speckle"};
    return split == NegativeSplit::training ? training : held_out;
}

GreyImage draw_noise(const std::string& kind, int width, int height, std::mt19937& rng) {
    GreyImage g(width, height, 0.5f);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    if (kind == "grain") {
        const float sigma = uniform(rng, 0.08f, 0.3f), base = uniform(rng, 0.3f, 0.8f);
        for (float& v : g.v) v = base + sigma * gauss(rng);
    } else if (kind == "blobs") {
        Plane n = value_noise(width, height, uniform(rng, 6.0f, 30.0f), rng);
        const float contrast = uniform(rng, 0.5f, 1.5f);
        for (size_t i = 0; i < g.v.size(); ++i) g.v[i] = 0.5f + contrast * (n.v[i] - 0.5f);
    } else if (kind == "stripes") {
        const float a = uniform(rng, 0, kPi), period = uniform(rng, 6.0f, 30.0f);
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                g(x, y) = 0.5f + 0.4f * std::sin(2 * kPi * (x * std::cos(a) + y * std::sin(a)) / period) +
                          0.05f * gauss(rng);
    } else if (kind == "salt_pepper") {
        const float density = uniform(rng, 0.02f, 0.12f), base = uniform(rng, 0.7f, 0.95f);
        for (float& v : g.v) v = uniform(rng, 0, 1) < density ? uniform(rng, 0.0f, 0.3f) : base;
    } else if (kind == "clouds") {
        float amp = 0.5f;
        for (float cell = float(std::max(width, height)) / 3; cell >= 3; cell /= 2, amp *= 0.55f) {
            Plane n = value_noise(width, height, cell, rng);
            for (size_t i = 0; i < g.v.size(); ++i) g.v[i] += amp * (n.v[i] - 0.5f);
        }
    } else if (kind == "checker") {
        const int cell = 4 + pick(rng, 20);
        const float lo = uniform(rng, 0.0f, 0.4f), hi = uniform(rng, 0.6f, 1.0f);
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                g(x, y) = ((x / cell + y / cell) % 2 ? hi : lo) + 0.04f * gauss(rng);
    } else if (kind == "speckle") {
        const float base = uniform(rng, 0.6f, 0.95f);
        for (float& v : g.v) v = base + 0.02f * gauss(rng);
        const int spots = 20 + pick(rng, 200);
        for (int s = 0; s < spots; ++s) {
            const float cx = uniform(rng, 0, float(width)), cy = uniform(rng, 0, float(height));
            const float r = uniform(rng, 0.5f, 4.0f), level = uniform(rng, 0.0f, 0.5f);
            for (int y = std::max(0, int(cy - r - 1)); y <= std::min(height - 1, int(cy + r + 1)); ++y)
                for (int x = std::max(0, int(cx - r - 1)); x <= std::min(width - 1, int(cx + r + 1)); ++x)
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) g(x, y) = level;
        }
    } else {
        throw std::invalid_argument("unknown noise kind '" + kind + "'");
    }
    for (float& v : g.v) v = std::clamp(v, 0.0f, 1.0f);
    return g;
}

Coverage enlarge(const float* pixels, int rows, int cols, int side, float margin) {
    Plane small(cols, rows);
    std::copy(pixels, pixels + std::size_t(rows) * std::size_t(cols), small.v.begin());
    const Plane big = resize_bilinear(small, side, side);
    const int pad = int(side * margin);
    Coverage c(side + 2 * pad, side + 2 * pad);
    for (int y = 0; y < side; ++y)
        std::copy_n(&big.v[std::size_t(y) * std::size_t(side)], side, &c(pad, y + pad));
    return c;
}

namespace {

// compose_digits, and `extents` receives each digit's ink columns [x0, x1).
Coverage compose_line(const LabelledImages& digits, const std::vector<std::size_t>& indices, int height,
                      float gap_lo, float gap_hi, std::mt19937& rng,
                      std::vector<std::pair<float, float>>* extents = nullptr) {
    struct Placed {
        const float* pixels;
        int x0, x1;  // ink columns in its 28x28
        float size, lift, left;
    };
    const float scale = float(height) / float(digits.rows);
    const float margin = 0.15f * float(height);
    std::vector<Placed> line;
    float right = margin;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const float* px = digits.image(indices[k]);
        int x0 = digits.cols, x1 = -1;
        for (int y = 0; y < digits.rows; ++y)
            for (int x = 0; x < digits.cols; ++x)
                if (px[y * digits.cols + x] > 0.1f) x0 = std::min(x0, x), x1 = std::max(x1, x);
        if (x1 < x0) x0 = 0, x1 = digits.cols - 1;
        Placed p{px, x0, x1, uniform(rng, 0.85f, 1.15f), uniform(rng, -0.08f, 0.08f), 0.0f};
        const float s = scale * p.size;
        const float ink_left = k == 0 ? margin : right + uniform(rng, gap_lo, gap_hi) * float(height);
        p.left = ink_left - float(x0) * s;
        right = std::max(right, p.left + float(x1 + 1) * s);
        if (extents) extents->push_back({ink_left, p.left + float(x1 + 1) * s});
        line.push_back(p);
    }
    Coverage c(std::max(1, int(std::ceil(right + margin))),
               int(std::ceil(float(height) * 1.3f + 2 * margin)));
    for (const Placed& p : line) {
        const float s = scale * p.size;
        const float top = margin + 0.15f * float(height) + p.lift * float(height) +
                          (float(height) - float(digits.rows) * s) / 2;
        for (int y = 0; y < c.height; ++y) {
            const float sy = (float(y) + 0.5f - top) / s - 0.5f;
            if (sy < -1 || sy > float(digits.rows)) continue;
            for (int x = 0; x < c.width; ++x) {
                const float sx = (float(x) + 0.5f - p.left) / s - 0.5f;
                if (sx < -1 || sx > float(digits.cols)) continue;
                const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
                const float fx = sx - float(x0), fy = sy - float(y0);
                auto at = [&](int xx, int yy) {
                    return xx < 0 || yy < 0 || xx >= digits.cols || yy >= digits.rows
                               ? 0.0f
                               : p.pixels[yy * digits.cols + xx];
                };
                const float v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                                fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
                c(x, y) = std::max(c(x, y), v);
            }
        }
    }
    return c;
}

}  // namespace

Coverage compose_digits(const LabelledImages& digits, const std::vector<std::size_t>& indices, int height,
                        float gap_lo, float gap_hi, std::mt19937& rng) {
    return compose_line(digits, indices, height, gap_lo, gap_hi, rng);
}

Coverage compose_pair(const LabelledImages& digits, std::size_t first, std::size_t second, int height,
                      std::mt19937& rng) {
    return compose_line(digits, {first, second}, height, -0.2f, 0.06f, rng);
}

Coverage digit_in_context(const LabelledImages& digits, std::size_t index, int height, std::mt19937& rng) {
    const bool before = uniform(rng, 0, 1) < 0.7f, after = !before || uniform(rng, 0, 1) < 0.6f;
    std::vector<std::size_t> line;
    if (before) line.push_back(std::size_t(pick(rng, int(digits.count))));
    line.push_back(index);
    if (after) line.push_back(std::size_t(pick(rng, int(digits.count))));
    std::vector<std::pair<float, float>> extents;
    const Coverage c = compose_line(digits, line, height, -0.15f, 0.1f, rng, &extents);
    const auto [ink0, ink1] = extents[before ? 1 : 0];
    // The columns a cut would leave it: its own ink, give or take a little of either side.
    const int x0 = std::max(0, int(ink0 - uniform(rng, -0.02f, 0.05f) * float(height)));
    const int x1 = std::min(c.width, int(std::ceil(ink1 + uniform(rng, -0.02f, 0.05f) * float(height))));
    const int margin = int(0.15f * float(height));
    Coverage out(std::max(1, x1 - x0) + 2 * margin, c.height);
    for (int y = 0; y < c.height; ++y)
        for (int x = x0; x < x1; ++x) out(x - x0 + margin, y) = c(x, y);
    return out;
}

}  // namespace digit
