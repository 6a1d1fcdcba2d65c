#include "synth/strokes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace digit {

namespace {

// A pen's radius, as a fraction of the height of what it writes: strokes 3-10% of the height wide (a fine pen
// to a felt tip; thicker brushes are the bold marker of put_on_surface).
constexpr float kPenRadius[2] = {0.015f, 0.05f};

}  // namespace

void stroke(Coverage& c, const Path& path, float radius) {
    auto dab = [&](Point a, Point b) {
        const int x0 = std::max(0, int(std::floor(std::min(a.x, b.x) - radius - 1)));
        const int x1 = std::min(c.width - 1, int(std::ceil(std::max(a.x, b.x) + radius + 1)));
        const int y0 = std::max(0, int(std::floor(std::min(a.y, b.y) - radius - 1)));
        const int y1 = std::min(c.height - 1, int(std::ceil(std::max(a.y, b.y) + radius + 1)));
        const float dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x) {
                float t = len2 > 0 ? ((x - a.x) * dx + (y - a.y) * dy) / len2 : 0.0f;
                t = std::clamp(t, 0.0f, 1.0f);
                const float ex = x - (a.x + t * dx), ey = y - (a.y + t * dy);
                const float d = std::sqrt(ex * ex + ey * ey);
                const float v = std::clamp(radius + 0.5f - d, 0.0f, 1.0f);
                c(x, y) = std::max(c(x, y), v);
            }
    };
    if (path.size() == 1) dab(path[0], path[0]);
    for (size_t i = 1; i < path.size(); ++i) dab(path[i - 1], path[i]);
}

Path arc(float cx, float cy, float rx, float ry, float from, float to, int n) {
    Path p;
    for (int i = 0; i <= n; ++i) {
        const float a = from + (to - from) * float(i) / float(n);
        p.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
    }
    return p;
}

Path polygon(const std::vector<Point>& corners, bool closed) {
    Path p;
    for (size_t i = 0; i + (closed ? 0 : 1) < corners.size(); ++i) {
        const Point a = corners[i], b = corners[(i + 1) % corners.size()];
        for (int k = 0; k < 12; ++k) {
            const float t = float(k) / 12.0f;
            p.push_back({a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t});
        }
    }
    if (!closed)
        p.push_back(corners.back());
    else
        p.push_back(corners.front());
    return p;
}

Coverage restroke(const Coverage& c, float radius) {
    // The ink (coverage at least a half) thinned to lines one pixel wide, Zhang and Suen's way: two
    // alternating passes that peel boundary pixels whose removal keeps the shape connected.
    const int w = c.width, h = c.height;
    std::vector<std::uint8_t> on(std::size_t(w) * std::size_t(h));
    for (std::size_t i = 0; i < on.size(); ++i) on[i] = c.v[i] >= 0.5f;
    auto at = [&](int x, int y) -> int {
        return x >= 0 && y >= 0 && x < w && y < h ? on[std::size_t(y) * std::size_t(w) + std::size_t(x)] : 0;
    };
    std::vector<std::size_t> peel;
    for (bool changed = true; changed;) {
        changed = false;
        for (int pass = 0; pass < 2; ++pass) {
            peel.clear();
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    if (!at(x, y)) continue;
                    // Neighbours clockwise from north: p2..p9.
                    const int p[8] = {at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1),
                                      at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)};
                    int neighbours = 0, rises = 0;
                    for (int k = 0; k < 8; ++k) {
                        neighbours += p[k];
                        rises += !p[k] && p[(k + 1) % 8];
                    }
                    if (neighbours < 2 || neighbours > 6 || rises != 1) continue;
                    const bool keep = pass == 0 ? (p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])
                                                : (p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6]);
                    if (!keep) peel.push_back(std::size_t(y) * std::size_t(w) + std::size_t(x));
                }
            for (std::size_t i : peel) on[i] = 0;
            changed = changed || !peel.empty();
        }
    }
    // A round pen of `radius` dabbed on every pixel of the lines.
    Coverage out(w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (at(x, y)) stroke(out, {{float(x), float(y)}}, radius);
    return out;
}

Coverage maybe_restroke(Coverage c, float height, float restroked, std::mt19937& rng) {
    if (restroked > 0.0f && uniform(rng, 0, 1) < restroked)
        c = restroke(c, std::max(0.7f, uniform(rng, kPenRadius[0], kPenRadius[1]) * height));
    return c;
}

Coverage maybe_break_stroke(Coverage c, float height, float broken, std::mt19937& rng) {
    if (!(broken > 0.0f) || uniform(rng, 0, 1) >= broken) return c;
    std::vector<std::size_t> ink;
    for (std::size_t i = 0; i < c.v.size(); ++i)
        if (c.v[i] >= 0.5f) ink.push_back(i);
    if (ink.empty()) return c;
    const std::size_t at = ink[std::size_t(pick(rng, int(ink.size())))];
    const float radius = std::max(1.5f, uniform(rng, 0.05f, 0.1f) * height);
    const float cx = float(at % std::size_t(c.width)), cy = float(at / std::size_t(c.width));
    const int r = int(std::ceil(radius)) + 1;
    for (int y = std::max(0, int(cy) - r); y <= std::min(c.height - 1, int(cy) + r); ++y)
        for (int x = std::max(0, int(cx) - r); x <= std::min(c.width - 1, int(cx) + r); ++x) {
            // Wiped inside the radius, with a pixel's soft edge.
            const float d = std::hypot(float(x) - cx, float(y) - cy);
            c(x, y) *= std::clamp(d - radius + 0.5f, 0.0f, 1.0f);
        }
    return c;
}

}  // namespace digit
