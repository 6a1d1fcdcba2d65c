#include "synth/number_lines.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "digits.hpp"
#include "ink.hpp"
#include "lines.hpp"
#include "synth/strokes.hpp"
#include "synth/styles.hpp"
#include "synth/surfaces.hpp"
#include "uploads.hpp"

namespace digit {
namespace {

std::string digits_of(std::mt19937& rng, int n, bool leading_zero_ok = true) {
    std::string s;
    for (int i = 0; i < n; ++i) {
        int d = pick(rng, 10);
        if (i == 0 && !leading_zero_ok && n > 1) d = 1 + pick(rng, 9);
        s += char('0' + d);
    }
    return s;
}

std::string two(int v) {
    return std::string(1, char('0' + v / 10)) + char('0' + v % 10);
}

// A glyph of the line: its ink in its own plane, where it stands on the baseline, and how wide it is.
struct Glyph {
    Coverage ink;
    float top = 0.0f;  // the plane's top row, relative to the baseline (negative: above it)
};

// The ink's bounding box cropped out of `c` (an empty plane when there is no ink).
Coverage crop_ink(const Coverage& c, int* top_offset) {
    int x0 = c.width, x1 = -1, y0 = c.height, y1 = -1;
    for (int y = 0; y < c.height; ++y)
        for (int x = 0; x < c.width; ++x)
            if (c(x, y) > 0.05f)
                x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    if (x1 < x0) return Coverage(1, 1);
    Coverage out(x1 - x0 + 1, y1 - y0 + 1);
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) out(x - x0, y - y0) = c(x, y);
    if (top_offset) *top_offset = y0;
    return out;
}

Glyph digit_glyph(int digit, const DigitPool& pool, float height, std::mt19937& rng) {
    Glyph g;
    // Digits in the styles people write, a quarter of the time where the digit has styles.
    std::vector<std::size_t> styles;
    const auto& all = digit_styles();
    for (std::size_t s = 0; s < all.size(); ++s)
        if (all[s].digit == digit) styles.push_back(s);
    if (!styles.empty() && uniform(rng, 0, 1) < 0.25f) {
        const std::size_t style = styles[std::size_t(pick(rng, int(styles.size())))];
        g.ink = crop_ink(draw_styled_digit(style, int(std::lround(height)), rng), nullptr);
    } else {
        const auto& candidates = pool.by_label[std::size_t(digit)];
        const std::size_t index = candidates[std::size_t(pick(rng, int(candidates.size())))];
        // MNIST's digits are 20 px tall in their 28 x 28: enlarged so that the ink is `height` tall.
        const int side = std::max(8, int(std::lround(height * 28.0f / 20.0f)));
        g.ink = crop_ink(enlarge(pool.digits->image(index), pool.digits->rows, pool.digits->cols, side, 0.0f),
                         nullptr);
    }
    g.top = -float(g.ink.height) + uniform(rng, -0.06f, 0.06f) * height;
    return g;
}

// Marks drawn with a round pen of radius r: a point, a comma, a minus sign, a slash, a colon.
Glyph mark_glyph(char ch, float height, float r, std::mt19937& rng) {
    const float pad = 2.0f * r + 2.0f;
    Coverage c;
    float top = 0.0f;
    auto canvas = [&](float w, float h) {
        c = Coverage(int(std::ceil(w + 2 * pad)), int(std::ceil(h + 2 * pad)));
    };
    if (ch == '.' || ch == ':') {
        const float rr = r * uniform(rng, 0.9f, 1.7f);
        const float gap = height * uniform(rng, 0.3f, 0.5f);
        const bool colon = ch == ':';
        canvas(2 * rr, colon ? gap + 2 * rr : 2 * rr);
        auto dot = [&](float cx, float cy) {
            // A dot, or the short dab a pen leaves.
            const float len = uniform(rng, 0, 1) < 0.4f ? uniform(rng, 0.2f, 1.0f) * rr : 0.0f;
            const float a = uniform(rng, 0, 2 * kPi);
            stroke(c,
                   {{cx - len * std::cos(a) / 2, cy - len * std::sin(a) / 2},
                    {cx + len * std::cos(a) / 2, cy + len * std::sin(a) / 2}},
                   rr);
        };
        dot(pad + rr, pad + rr);
        if (colon) dot(pad + rr + uniform(rng, -0.1f, 0.1f) * height, pad + rr + gap);
        // The point sits on the baseline; a colon's lower dot too, or a little above it.
        top = -(colon ? gap + 2 * rr : 2 * rr) - pad -
              (colon ? uniform(rng, 0.0f, 0.2f) : uniform(rng, -0.02f, 0.05f)) * height;
    } else if (ch == ',') {
        const float h = height * uniform(rng, 0.2f, 0.35f), w = h * uniform(rng, 0.25f, 0.6f);
        canvas(w, h);
        Path p;
        for (int i = 0; i <= 10; ++i) {
            const float t = float(i) / 10;
            p.push_back({pad + w * (1 - t * t), pad + h * t});
        }
        stroke(c, p, r);
        if (uniform(rng, 0, 1) < 0.3f) stroke(c, {{pad + w, pad + r}, {pad + w, pad + r}}, r * 1.4f);
        top = -pad - h * uniform(rng, 0.25f, 0.45f);
    } else if (ch == '-') {
        const float w = height * uniform(rng, 0.3f, 0.65f), tilt = w * uniform(rng, -0.12f, 0.12f);
        canvas(w, std::abs(tilt));
        const float y0 = pad + (tilt < 0 ? -tilt : 0.0f);
        stroke(
            c,
            {{pad, y0}, {pad + w / 2, y0 + tilt / 2 + uniform(rng, -0.03f, 0.03f) * w}, {pad + w, y0 + tilt}},
            r);
        top = -height * uniform(rng, 0.38f, 0.62f) - pad - std::abs(tilt) / 2;
    } else if (ch == '/') {
        const float h = height * uniform(rng, 0.9f, 1.2f), w = h * uniform(rng, 0.3f, 0.65f);
        canvas(w, h);
        stroke(c, {{pad, pad + h}, {pad + w, pad}}, r);
        top = -h - pad + uniform(rng, -0.05f, 0.12f) * height;
    }
    Glyph g;
    int offset = 0;
    g.ink = crop_ink(c, &offset);
    g.top = top + float(offset);
    return g;
}

}  // namespace

std::string random_number_text(std::mt19937& rng) {
    const float kind = uniform(rng, 0, 1);
    auto n = [&](int lo, int hi) { return lo + pick(rng, hi - lo + 1); };
    if (kind < 0.30f) {  // a plain digit string
        if (uniform(rng, 0, 1) < 0.12f) return std::string(std::size_t(n(2, 6)), char('0' + pick(rng, 10)));
        return digits_of(rng, n(1, 10));
    }
    if (kind < 0.42f) {  // a decimal point
        std::string s = digits_of(rng, n(1, 4), false) + "." + digits_of(rng, n(1, 3));
        return s;
    }
    if (kind < 0.52f) {  // a decimal comma or thousands
        if (uniform(rng, 0, 1) < 0.5f) return digits_of(rng, n(1, 3), false) + "," + digits_of(rng, n(1, 3));
        std::string s = digits_of(rng, n(1, 3), false) + "," + digits_of(rng, 3);
        if (uniform(rng, 0, 1) < 0.3f) s += "." + digits_of(rng, 2);
        return s;
    }
    if (kind < 0.62f) {  // negative
        std::string s = "-" + digits_of(rng, n(1, 4), false);
        if (uniform(rng, 0, 1) < 0.4f) s += (uniform(rng, 0, 1) < 0.8f ? "." : ",") + digits_of(rng, n(1, 2));
        return s;
    }
    if (kind < 0.77f) {  // a date
        const int d = n(1, 31), m = n(1, 12), y = n(1950, 2049);
        const std::string dd = two(d), mm = two(m), yyyy = std::to_string(y), yy = two(y % 100);
        switch (pick(rng, 7)) {
            case 0:
                return dd + "/" + mm;
            case 1:
                return dd + "/" + mm + "/" + yyyy;
            case 2:
                return dd + "/" + mm + "/" + yy;
            case 3:
                return yyyy + "-" + mm + "-" + dd;
            case 4:
                return dd + "-" + mm + "-" + yyyy;
            case 5:
                return dd + "." + mm + "." + yyyy;
            default:
                return std::to_string(m) + "/" + std::to_string(d);
        }
    }
    if (kind < 0.87f) {  // a time or a score
        std::string s = std::to_string(n(0, 23)) + ":" + two(n(0, 59));
        if (uniform(rng, 0, 1) < 0.5f) s = two(n(0, 23)) + ":" + two(n(0, 59));
        if (uniform(rng, 0, 1) < 0.2f) s += ":" + two(n(0, 59));
        if (uniform(rng, 0, 1) < 0.1f) s = std::to_string(n(0, 9)) + ":" + std::to_string(n(0, 9));
        return s;
    }
    if (kind < 0.91f) return std::to_string(n(1, 9)) + "/" + std::to_string(n(2, 16));  // a fraction
    // Anything of the alphabet, digits mostly.
    static const char marks[] = ".,-/:";
    std::string s;
    const int len = n(2, 8);
    for (int i = 0; i < len; ++i)
        s += uniform(rng, 0, 1) < 0.75f ? char('0' + pick(rng, 10)) : marks[pick(rng, 5)];
    return s;
}

DigitPool::DigitPool(const LabelledImages& set, const std::vector<std::size_t>& allowed)
    : digits(&set), indices(allowed), by_label(10) {
    for (std::size_t i : allowed)
        if (set.labels[i] < 10) by_label[set.labels[i]].push_back(i);
    for (const auto& l : by_label)
        if (l.empty())
            throw std::runtime_error(set.images_path + ": a digit has no images to draw lines from");
}

GreyImage draw_number(const std::string& text, const DigitPool& pool, int height, std::mt19937& rng) {
    const float h = float(height);
    const float r = h * uniform(rng, 0.04f, 0.085f);
    std::vector<Glyph> glyphs;
    for (char ch : text)
        glyphs.push_back(ch >= '0' && ch <= '9'
                             ? digit_glyph(ch - '0', pool, h * uniform(rng, 0.88f, 1.1f), rng)
                             : mark_glyph(ch, h, r, rng));
    // Left to right, each a gap after the one before (below 0 they touch or overlap; marks keep apart).
    const float margin = 0.5f * h;
    std::vector<float> left(glyphs.size());
    float x = margin;
    for (std::size_t i = 0; i < glyphs.size(); ++i) {
        const bool mark =
            text[i] < '0' || text[i] > '9' || (i > 0 && (text[i - 1] < '0' || text[i - 1] > '9'));
        const float gap =
            i == 0 ? 0.0f
            : mark
                ? uniform(rng, 0.06f, 0.35f) * h
                : (uniform(rng, 0, 1) < 0.2f ? uniform(rng, -0.12f, 0.02f) : uniform(rng, 0.03f, 0.4f)) * h;
        left[i] = x + gap;
        x = left[i] + float(glyphs[i].ink.width);
    }
    const float slope = uniform(rng, 0, 1) < 0.3f ? uniform(rng, -0.05f, 0.05f) : 0.0f;
    const float baseline = margin + 1.15f * h + std::max(0.0f, -slope * x);
    Coverage c(int(std::ceil(x + margin)),
               int(std::ceil(baseline + 0.45f * h + margin + std::max(0.0f, slope * x))));
    for (std::size_t i = 0; i < glyphs.size(); ++i) {
        const Glyph& g = glyphs[i];
        const int ox = int(std::lround(left[i]));
        const int oy = int(std::lround(baseline + g.top + slope * left[i]));
        for (int y = 0; y < g.ink.height; ++y)
            for (int xx = 0; xx < g.ink.width; ++xx) {
                const int px = ox + xx, py = oy + y;
                if (px >= 0 && py >= 0 && px < c.width && py < c.height)
                    c(px, py) = std::max(c(px, py), g.ink(xx, y));
            }
    }
    c = maybe_restroke(std::move(c), h, 0.3f, rng);
    // Now and then specks of dust or grain beside and between the characters, fainter and smaller than any
    // point the pen makes: the reader learns they are no decimal point.
    if (uniform(rng, 0, 1) < 0.3f) {
        const int specks = 1 + pick(rng, 3);
        for (int k = 0; k < specks; ++k) {
            Coverage speck(c.width, c.height);
            const float sx = uniform(rng, 0.0f, float(c.width)),
                        sy = baseline + uniform(rng, -1.2f, 0.3f) * h;
            stroke(speck, {{sx, sy}, {sx, sy}}, std::max(0.5f, r * uniform(rng, 0.25f, 0.6f)));
            const float strength = uniform(rng, 0.3f, 0.7f);
            for (std::size_t i = 0; i < c.v.size(); ++i) c.v[i] = std::max(c.v[i], strength * speck.v[i]);
        }
    }
    return put_on_surface(c, random_surface(rng), rng);
}

std::string upside_down_text(const std::string& text) {
    std::string out;
    for (auto c = text.rbegin(); c != text.rend(); ++c) {
        switch (*c) {
            case '0':
            case '1':
            case '8':
            case '-':
            case '/':
            case ':':
                out += *c;
                break;
            case '6':
                out += '9';
                break;
            case '9':
                out += '6';
                break;
            default:
                return "";
        }
    }
    return out;
}

std::optional<TrainingLine> make_training_line(const DigitPool& pool, std::mt19937& rng, GreyImage* drawn,
                                               float upside_down) {
    const std::string text = random_number_text(rng);
    const bool turned = upside_down > 0.0f && uniform(rng, 0, 1) < upside_down;
    // Characters 14-70 px tall in the working image (it is at most 400 px a side); sometimes drawn larger
    // and area-reduced to it, as a phone photo is.
    const float chars = float(text.size());
    const float most = std::min(70.0f, 380.0f / (0.75f * chars + 1.2f));
    const float working = uniform(rng, std::min(14.0f, most), most);
    const int factor = uniform(rng, 0, 1) < 0.25f ? 2 : 1;
    const GreyImage grey = draw_number(text, pool, int(std::lround(working * float(factor))), rng);
    if (drawn) *drawn = grey;
    try {
        DecodedImage decoded = decoded_as_upload(grey);
        const InkMap ink = find_ink(decoded.grey);
        Components components = label_components(ink);
        mark_clutter(components, ink.mask.width, ink.mask.height);
        const std::vector<TextLine> lines = find_lines(components, line_marks(ink, components));
        if (lines.size() != 1) return std::nullopt;
        TrainingLine out;
        out.strip = make_line_strip(ink, components, lines[0]).pixels;
        out.text = text;
        if (turned) {
            Plane& p = out.strip;
            std::reverse(p.v.begin(), p.v.end());  // row-major: a half turn reverses the pixel order
            out.text = upside_down_text(text);
        }
        return out;
    } catch (const ImageError&) {
        return std::nullopt;
    }
}

std::vector<TrainingLine> make_training_lines(const DigitPool& pool, std::size_t count, std::uint32_t seed,
                                              int threads, std::vector<GreyImage>* drawn, float upside_down) {
    std::vector<std::optional<TrainingLine>> made(count);
    if (drawn) drawn->assign(count, GreyImage());
    threads = std::max(1, threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (std::size_t i = std::size_t(t); i < count; i += std::size_t(threads)) {
                std::mt19937 rng(seed * 7919u + std::uint32_t(i));
                made[i] = make_training_line(pool, rng, drawn ? &(*drawn)[i] : nullptr, upside_down);
            }
        });
    for (auto& w : workers) w.join();
    std::vector<TrainingLine> out;
    for (auto& m : made)
        if (m) out.push_back(std::move(*m));
    return out;
}

}  // namespace digit
