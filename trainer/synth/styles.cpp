#include "synth/styles.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace digit {

namespace {

// A style's strokes in the glyph box: x in about [0, 0.7], y in [0, 1] (down), the centre (0.35, 0.5).
using Strokes = std::vector<Path>;

Path line(Point a, Point b, int n = 12) {
    Path p;
    for (int i = 0; i <= n; ++i) {
        const float t = float(i) / float(n);
        p.push_back({a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t});
    }
    return p;
}

// A quadratic Bezier curve from a to c pulled towards b.
Path curve(Point a, Point b, Point c, int n = 20) {
    Path p;
    for (int i = 0; i <= n; ++i) {
        const float t = float(i) / float(n), s = 1 - t;
        p.push_back(
            {s * s * a.x + 2 * s * t * b.x + t * t * c.x, s * s * a.y + 2 * s * t * b.y + t * t * c.y});
    }
    return p;
}

// Appends q to p (q's first point dropped when it is p's last).
void join(Path& p, const Path& q) {
    p.insert(p.end(), q.begin() + (p.empty() ? 0 : 1), q.end());
}

// A 1's stem from its top (x, top) to its foot, and a flag falling from the top to the left: `length` of
// the glyph's height, falling `fall` times its length (a 7's bar lies flat; a flag falls), straight or
// bowed a little. Returns the foot's x.
float one_with_flag(Strokes& s, float length, std::mt19937& rng) {
    const float x = uniform(rng, 0.38f, 0.48f), top = uniform(rng, 0.0f, 0.05f);
    const float foot =
        x + uniform(rng, -0.03f, 0.06f);  // never falling left under a flag, as a 7's stem does
    Path p;
    if (length > 0) {
        // Long flags fall steeply: one as long as a 7's bar and nearly as flat is the ambiguous middle.
        const Point start{x - length, top + length * uniform(rng, length > 0.22f ? 0.65f : 0.5f, 1.2f)};
        if (uniform(rng, 0, 1) < 0.4f)
            join(p, curve(start, {x - length * 0.5f + uniform(rng, -0.05f, 0.05f), top + length * 0.2f},
                          {x, top}, 10));
        else
            join(p, line(start, {x, top}, 8));
    }
    join(p, line({x, top}, {foot, 1.0f}, 16));
    s.push_back(p);
    return foot;
}

void foot_serif(Strokes& s, float foot) {
    s.push_back(line({foot - 0.14f, 1.0f}, {foot + 0.14f, 1.0f}, 8));
}

// A 7's bar, flat, and its stem falling to the left, straight or curved; returns the stem.
Path seven(Strokes& s, bool curved, std::mt19937& rng) {
    const float left = uniform(rng, 0.0f, 0.12f), right = uniform(rng, 0.6f, 0.72f),
                top = uniform(rng, 0.0f, 0.05f);
    const Point corner{right, top}, foot{uniform(rng, 0.15f, 0.35f), 1.0f};
    Path p = line({left, top + uniform(rng, -0.05f, 0.05f)}, corner, 10);
    Path stem = curved ? curve(corner, {uniform(rng, 0.55f, 0.75f), uniform(rng, 0.45f, 0.65f)}, foot)
                       : line(corner, foot, 16);
    join(p, stem);
    s.push_back(p);
    return stem;
}

// A 9's head, the same oval for both 9s: drawn into `s`; returns where the stem leaves it (its right side).
Point nine_head(Strokes& s, std::mt19937& rng) {
    const float rx = uniform(rng, 0.22f, 0.3f), ry = uniform(rng, 0.17f, 0.25f), cy = ry + 0.01f;
    const float cx = 0.62f - rx;
    s.push_back(arc(cx, cy, rx, ry, 0.05f * kPi, 2.1f * kPi, 32));
    return {cx + rx, cy};
}

struct Style {
    DigitStyle style;
    float slant_lo, slant_hi;  // the top's shift right per unit of height
    void (*draw)(Strokes& s, std::mt19937& rng);
};

const Style kStyles[] = {
    {{"one-plain", 1},
     -0.2f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) { one_with_flag(s, uniform(rng, 0, 1) < 0.5f ? 0.0f : 0.06f, rng); }},
    {{"one-short-flag", 1},
     -0.2f,
     0.15f,
     [](Strokes& s, std::mt19937& rng) { one_with_flag(s, uniform(rng, 0.1f, 0.22f), rng); }},
    {{"one-long-flag", 1},
     -0.2f,
     0.06f,
     [](Strokes& s, std::mt19937& rng) { one_with_flag(s, uniform(rng, 0.22f, 0.42f), rng); }},
    {{"one-foot-serif", 1},
     -0.2f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) { foot_serif(s, one_with_flag(s, 0.0f, rng)); }},
    {{"one-flag-and-foot", 1},
     -0.2f,
     0.1f,
     [](Strokes& s, std::mt19937& rng) { foot_serif(s, one_with_flag(s, uniform(rng, 0.1f, 0.42f), rng)); }},
    {{"seven-plain", 7}, -0.1f, 0.25f, [](Strokes& s, std::mt19937& rng) { seven(s, false, rng); }},
    {{"seven-crossbar", 7},
     -0.1f,
     0.25f,
     [](Strokes& s, std::mt19937& rng) {
         const Path stem = seven(s, uniform(rng, 0, 1) < 0.3f, rng);
         const Point at = stem[std::size_t(float(stem.size() - 1) * uniform(rng, 0.4f, 0.55f))];
         const float half = uniform(rng, 0.12f, 0.22f);
         s.push_back(line({at.x - half, at.y + uniform(rng, -0.03f, 0.03f)},
                          {at.x + half * uniform(rng, 0.7f, 1.1f), at.y + uniform(rng, -0.03f, 0.03f)}, 8));
     }},
    {{"seven-curved-stem", 7}, -0.1f, 0.25f, [](Strokes& s, std::mt19937& rng) { seven(s, true, rng); }},
    {{"four-open-top", 4},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float bar = uniform(rng, 0.55f, 0.7f), stem = uniform(rng, 0.44f, 0.54f);
         Path p =
             line({uniform(rng, 0.1f, 0.3f), uniform(rng, 0.0f, 0.05f)}, {uniform(rng, 0.0f, 0.08f), bar});
         join(p, line(p.back(), {0.7f, bar + uniform(rng, -0.04f, 0.02f)}));
         s.push_back(p);
         s.push_back(line({stem, uniform(rng, 0.0f, 0.3f)}, {stem + uniform(rng, -0.05f, 0.05f), 1.0f}, 16));
     }},
    {{"four-closed-top", 4},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float bar = uniform(rng, 0.58f, 0.7f), stem = uniform(rng, 0.44f, 0.54f);
         const Point top{stem, uniform(rng, 0.0f, 0.04f)};
         Path p = line(top, {uniform(rng, 0.0f, 0.06f), bar});
         join(p, line(p.back(), {0.7f, bar}));
         s.push_back(p);
         s.push_back(line(top, {stem + uniform(rng, -0.04f, 0.04f), 1.0f}, 16));
     }},
    {{"nine-straight-stem", 9},
     -0.15f,
     0.25f,
     [](Strokes& s, std::mt19937& rng) {
         const Point join_at = nine_head(s, rng);
         s.push_back(line(join_at, {join_at.x + uniform(rng, -0.12f, 0.02f), 1.0f}, 16));
     }},
    {{"nine-curled", 9},
     -0.15f,
     0.25f,
     [](Strokes& s, std::mt19937& rng) {
         const Point join_at = nine_head(s, rng);
         Path stem = line(join_at, {join_at.x - 0.02f, 0.75f}, 10);
         join(stem, curve(stem.back(), {join_at.x - 0.04f, 1.02f}, {uniform(rng, 0.05f, 0.25f), 0.88f}, 12));
         s.push_back(stem);
     }},
    {{"two-loop-foot", 2},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float loop = uniform(rng, 0.05f, 0.1f);
         Path p = arc(0.35f, 0.28f, 0.3f, 0.26f, 1.05f * kPi, 2.15f * kPi, 20);
         const Point base{0.12f, 0.92f};
         join(p, line(p.back(), {base.x + loop, base.y - loop}, 12));
         // The loop: round the foot's corner and back across the stroke.
         join(p, arc(base.x + loop * 0.2f, base.y - loop * 0.6f, loop, loop, -0.25f * kPi, -1.9f * kPi, 12));
         join(p, line(p.back(), {0.7f, 0.95f + uniform(rng, -0.04f, 0.03f)}, 12));
         s.push_back(p);
     }},
    {{"three-flat-top", 3},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float mid = uniform(rng, 0.38f, 0.48f);
         Path p = line({uniform(rng, 0.02f, 0.12f), 0.02f}, {uniform(rng, 0.58f, 0.68f), 0.02f}, 10);
         join(p, line(p.back(), {uniform(rng, 0.22f, 0.32f), mid}, 10));
         const float ry = (1.0f - mid) / 2, cy = mid + ry;
         join(p, curve(p.back(), {0.78f, mid + 0.05f}, {0.62f, cy + 0.08f}, 12));
         join(p, curve(p.back(), {0.5f, 1.04f}, {uniform(rng, 0.0f, 0.08f), 0.88f}, 12));
         s.push_back(p);
     }},
    {{"eight-stacked-loops", 8},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float waist = uniform(rng, 0.4f, 0.5f);
         s.push_back(arc(0.35f + uniform(rng, -0.04f, 0.04f), waist / 2, uniform(rng, 0.17f, 0.25f),
                         waist / 2, 0, 2 * kPi, 28));
         s.push_back(arc(0.35f + uniform(rng, -0.04f, 0.04f), waist + (1 - waist) / 2,
                         uniform(rng, 0.22f, 0.3f), (1 - waist) / 2, 0, 2 * kPi, 28));
     }},
    {{"zero-open", 0},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float gap = uniform(rng, 0.3f, 0.8f), at = -0.5f * kPi + uniform(rng, -0.1f, 0.6f);
         s.push_back(
             arc(0.35f, 0.5f, uniform(rng, 0.25f, 0.33f), 0.5f, at + gap / 2, at + 2 * kPi - gap / 2, 40));
     }},
    {{"six-open", 6},
     -0.15f,
     0.2f,
     [](Strokes& s, std::mt19937& rng) {
         const float r = uniform(rng, 0.24f, 0.3f), cy = 1.0f - r;
         Path p = curve({uniform(rng, 0.5f, 0.65f), 0.0f}, {0.1f, 0.15f}, {0.35f - r, cy}, 16);
         join(p, arc(0.35f, cy, r, r, kPi, -uniform(rng, 0.15f, 0.55f) * kPi, 28));
         s.push_back(p);
     }},
};

}  // namespace

const std::vector<DigitStyle>& digit_styles() {
    static const std::vector<DigitStyle> styles = [] {
        std::vector<DigitStyle> out;
        for (const Style& s : kStyles) out.push_back(s.style);
        return out;
    }();
    return styles;
}

Coverage draw_styled_digit(std::size_t index, int height, std::mt19937& rng) {
    if (index >= std::size(kStyles)) throw std::out_of_range("no digit style " + std::to_string(index));
    const Style& style = kStyles[index];
    const float h = float(height), margin = 0.3f * h;
    const int side = int(std::ceil(h + 2 * margin));
    Coverage c(side, side);
    const float slant = uniform(rng, style.slant_lo, style.slant_hi), angle = uniform(rng, -0.1f, 0.1f),
                widen = uniform(rng, 0.75f, 1.3f);
    const float wobble = uniform(rng, 0.0f, 0.02f), freq = uniform(rng, 1.0f, 3.0f),
                phase = uniform(rng, 0, 6.3f);
    const float radius = std::max(0.7f, h * uniform(rng, 0.02f, 0.065f));
    const bool swelling = uniform(rng, 0, 1) < 0.4f;  // a brush or a nib: the width swells and thins
    const float swell_freq = uniform(rng, 0.5f, 2.0f), swell_phase = uniform(rng, 0, 6.3f);
    Strokes strokes;
    style.draw(strokes, rng);
    for (const Path& p : strokes) {
        Path q(p.size());
        for (std::size_t i = 0; i < p.size(); ++i) {
            const float t = float(i) / float(std::max<std::size_t>(1, p.size() - 1));
            float x = (p[i].x - 0.35f) * widen + slant * (0.5f - p[i].y), y = p[i].y - 0.5f;
            x += wobble * std::sin(2 * kPi * freq * t + phase);
            y += wobble * std::cos(2 * kPi * freq * t * 1.3f + phase);
            const float rx = x * std::cos(angle) - y * std::sin(angle),
                        ry = x * std::sin(angle) + y * std::cos(angle);
            q[i] = {float(side) / 2 + rx * h, float(side) / 2 + ry * h};
        }
        if (!swelling) {
            stroke(c, q, radius);
            continue;
        }
        for (std::size_t i = 1; i < q.size(); ++i) {
            const float t = float(i) / float(q.size() - 1);
            const float r =
                radius * (0.55f + 0.9f * (0.5f + 0.5f * std::sin(2 * kPi * swell_freq * t + swell_phase)));
            stroke(c, {q[i - 1], q[i]}, std::max(0.7f, r));
        }
    }
    return c;
}

}  // namespace digit
