#include "negatives.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <stdexcept>

#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb/stb_truetype.h>

#include "recognizer.hpp"

namespace digit {

namespace {

constexpr float kPi = 3.14159265358979f;
// A pen's radius, as a fraction of the height of what it writes: strokes 3-10% of the height wide (a fine
// pen to a felt tip; thicker brushes are the bold marker of put_on_surface).
constexpr float kPenRadius[2] = {0.015f, 0.05f};

struct Point {
    float x, y;
};
using Path = std::vector<Point>;

float uniform(std::mt19937& rng, float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(rng);
}
int pick(std::mt19937& rng, int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
}

// A round brush of `radius` px along a path in pixels, anti-aliased, ink combined by maximum.
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

Path arc(float cx, float cy, float rx, float ry, float from, float to, int n = 40) {
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

// The strokes of one doodle in unit coordinates (y down).
std::vector<Path> doodle_strokes(const std::string& kind, std::mt19937& rng) {
    std::vector<Path> s;
    auto dot = [&](float x, float y) { s.push_back(arc(x, y, 0.02f, 0.02f, 0, 2 * kPi, 8)); };
    if (kind == "smiley") {
        s.push_back(arc(0.5f, 0.5f, 0.38f, 0.38f, 0, 2 * kPi));
        dot(0.37f, 0.4f);
        dot(0.63f, 0.4f);
        s.push_back(arc(0.5f, 0.52f, 0.2f, 0.16f, 0.15f * kPi, 0.85f * kPi, 20));
    } else if (kind == "star") {
        std::vector<Point> c;
        const int points = 5 + pick(rng, 2);
        for (int i = 0; i < 2 * points; ++i) {
            const float a = -kPi / 2 + kPi * float(i) / float(points), r = i % 2 ? 0.17f : 0.42f;
            c.push_back({0.5f + r * std::cos(a), 0.52f + r * std::sin(a)});
        }
        s.push_back(polygon(c, true));
    } else if (kind == "spiral") {
        Path p;
        const float turns = uniform(rng, 2.2f, 3.5f);
        for (int i = 0; i <= 160; ++i) {
            const float t = float(i) / 160.0f, a = t * turns * 2 * kPi;
            p.push_back({0.5f + 0.4f * t * std::cos(a), 0.5f + 0.4f * t * std::sin(a)});
        }
        s.push_back(p);
    } else if (kind == "zigzag") {
        std::vector<Point> c;
        const int n = 5 + pick(rng, 5);
        for (int i = 0; i < n; ++i)
            c.push_back(
                {0.1f + 0.8f * float(i) / float(n - 1), (i % 2 ? 0.3f : 0.7f) + uniform(rng, -0.05f, 0.05f)});
        s.push_back(polygon(c, false));
    } else if (kind == "scribble") {
        Path p;
        Point at{0.5f, 0.5f};
        float heading = uniform(rng, 0, 2 * kPi);
        const int n = 60 + pick(rng, 80);
        for (int i = 0; i < n; ++i) {
            heading += uniform(rng, -0.7f, 0.7f);
            at.x += 0.04f * std::cos(heading);
            at.y += 0.04f * std::sin(heading);
            if (at.x < 0.1f || at.x > 0.9f) heading = kPi - heading, at.x = std::clamp(at.x, 0.1f, 0.9f);
            if (at.y < 0.1f || at.y > 0.9f) heading = -heading, at.y = std::clamp(at.y, 0.1f, 0.9f);
            p.push_back(at);
        }
        s.push_back(p);
    } else if (kind == "triangle") {
        s.push_back(polygon({{0.5f, 0.12f}, {0.88f, 0.82f}, {0.12f, 0.82f}}, true));
    } else if (kind == "envelope") {
        s.push_back(polygon({{0.1f, 0.25f}, {0.9f, 0.25f}, {0.9f, 0.75f}, {0.1f, 0.75f}}, true));
        s.push_back(polygon({{0.1f, 0.25f}, {0.5f, 0.55f}, {0.9f, 0.25f}}, false));
    } else if (kind == "hash") {
        s.push_back(polygon({{0.2f, 0.35f}, {0.85f, 0.33f}}, false));
        s.push_back(polygon({{0.15f, 0.65f}, {0.8f, 0.63f}}, false));
        s.push_back(polygon({{0.4f, 0.12f}, {0.35f, 0.88f}}, false));
        s.push_back(polygon({{0.68f, 0.12f}, {0.63f, 0.88f}}, false));
    } else if (kind == "wave") {
        Path p;
        const float periods = uniform(rng, 1.5f, 3.0f);
        for (int i = 0; i <= 80; ++i) {
            const float t = float(i) / 80.0f;
            p.push_back({0.05f + 0.9f * t, 0.5f + 0.18f * std::sin(t * periods * 2 * kPi)});
        }
        s.push_back(p);
    } else if (kind == "cloud") {
        Path p;
        const int bumps = 5 + pick(rng, 4);
        for (int i = 0; i <= 200; ++i) {
            const float a = 2 * kPi * float(i) / 200.0f;
            const float r = 0.28f + 0.1f * std::fabs(std::sin(a * float(bumps) / 2));
            p.push_back({0.5f + 1.3f * r * std::cos(a), 0.5f + 0.9f * r * std::sin(a)});
        }
        s.push_back(p);
    } else if (kind == "arrow") {
        s.push_back(polygon({{0.1f, 0.5f}, {0.88f, 0.5f}}, false));
        s.push_back(polygon({{0.65f, 0.3f}, {0.88f, 0.5f}, {0.65f, 0.7f}}, false));
    } else if (kind == "cat") {
        s.push_back(arc(0.5f, 0.56f, 0.33f, 0.3f, 0, 2 * kPi));
        s.push_back(polygon({{0.22f, 0.42f}, {0.25f, 0.1f}, {0.42f, 0.28f}}, false));
        s.push_back(polygon({{0.58f, 0.28f}, {0.75f, 0.1f}, {0.78f, 0.42f}}, false));
        dot(0.4f, 0.5f);
        dot(0.6f, 0.5f);
        s.push_back(polygon({{0.05f, 0.6f}, {0.35f, 0.64f}}, false));
        s.push_back(polygon({{0.65f, 0.64f}, {0.95f, 0.6f}}, false));
    } else if (kind == "car") {
        s.push_back(polygon({{0.08f, 0.65f},
                             {0.08f, 0.45f},
                             {0.3f, 0.45f},
                             {0.4f, 0.28f},
                             {0.68f, 0.28f},
                             {0.78f, 0.45f},
                             {0.92f, 0.48f},
                             {0.92f, 0.65f}},
                            true));
        s.push_back(arc(0.28f, 0.68f, 0.08f, 0.08f, 0, 2 * kPi, 20));
        s.push_back(arc(0.72f, 0.68f, 0.08f, 0.08f, 0, 2 * kPi, 20));
    } else if (kind == "glasses") {
        s.push_back(arc(0.28f, 0.5f, 0.17f, 0.14f, 0, 2 * kPi));
        s.push_back(arc(0.72f, 0.5f, 0.17f, 0.14f, 0, 2 * kPi));
        s.push_back(arc(0.5f, 0.5f, 0.06f, 0.05f, 1.1f * kPi, 1.9f * kPi, 10));
        s.push_back(polygon({{0.11f, 0.48f}, {0.02f, 0.38f}}, false));
        s.push_back(polygon({{0.89f, 0.48f}, {0.98f, 0.38f}}, false));
    } else if (kind == "crown") {
        s.push_back(polygon({{0.12f, 0.75f},
                             {0.12f, 0.3f},
                             {0.3f, 0.55f},
                             {0.5f, 0.22f},
                             {0.7f, 0.55f},
                             {0.88f, 0.3f},
                             {0.88f, 0.75f}},
                            true));
    } else if (kind == "boat") {
        s.push_back(polygon({{0.08f, 0.62f}, {0.92f, 0.62f}, {0.75f, 0.82f}, {0.25f, 0.82f}}, true));
        s.push_back(polygon({{0.5f, 0.62f}, {0.5f, 0.1f}, {0.82f, 0.55f}, {0.5f, 0.55f}}, false));
    } else if (kind == "cup") {
        s.push_back(polygon({{0.2f, 0.25f}, {0.26f, 0.8f}, {0.64f, 0.8f}, {0.7f, 0.25f}}, true));
        s.push_back(arc(0.74f, 0.48f, 0.12f, 0.13f, -0.5f * kPi, 0.5f * kPi, 20));
    } else if (kind == "kite") {
        s.push_back(polygon({{0.5f, 0.08f}, {0.75f, 0.35f}, {0.5f, 0.7f}, {0.25f, 0.35f}}, true));
        s.push_back(polygon({{0.25f, 0.35f}, {0.75f, 0.35f}}, false));
        Path tail;
        for (int i = 0; i <= 30; ++i) {
            const float t = float(i) / 30.0f;
            tail.push_back({0.5f + 0.08f * std::sin(t * 4 * kPi), 0.7f + 0.25f * t});
        }
        s.push_back(tail);
    } else if (kind == "eye") {
        s.push_back(arc(0.5f, 0.78f, 0.42f, 0.45f, 1.18f * kPi, 1.82f * kPi, 30));
        s.push_back(arc(0.5f, 0.22f, 0.42f, 0.45f, 0.18f * kPi, 0.82f * kPi, 30));
        s.push_back(arc(0.5f, 0.5f, 0.1f, 0.1f, 0, 2 * kPi, 20));
        dot(0.5f, 0.5f);
    } else if (kind == "leaf") {
        // A pointed oval with its midrib and veins.
        s.push_back(arc(0.5f, 0.95f, 0.55f, 0.75f, 1.25f * kPi, 1.75f * kPi, 30));
        s.push_back(arc(0.5f, 0.05f, 0.55f, 0.75f, 0.25f * kPi, 0.75f * kPi, 30));
        s.push_back(polygon({{0.08f, 0.5f}, {0.97f, 0.5f}}, false));
        for (float x : {0.35f, 0.55f, 0.75f}) {
            s.push_back(polygon({{x - 0.12f, 0.32f}, {x, 0.5f}}, false));
            s.push_back(polygon({{x - 0.12f, 0.68f}, {x, 0.5f}}, false));
        }
    } else if (kind == "shield") {
        s.push_back(polygon({{0.15f, 0.12f}, {0.85f, 0.12f}, {0.85f, 0.45f}}, false));
        s.push_back(arc(0.15f, 0.45f, 0.7f, 0.47f, 0.0f, 0.5f * kPi, 20));
        s.push_back(arc(0.85f, 0.45f, 0.7f, 0.47f, 0.5f * kPi, kPi, 20));
        s.push_back(polygon({{0.15f, 0.45f}, {0.15f, 0.12f}}, false));
        s.push_back(polygon({{0.5f, 0.12f}, {0.5f, 0.9f}}, false));
    } else if (kind == "ghost") {
        s.push_back(arc(0.5f, 0.4f, 0.3f, 0.3f, kPi, 2 * kPi, 30));
        Path hem;
        for (int i = 0; i <= 60; ++i) {
            const float t = float(i) / 60.0f;
            hem.push_back({0.8f - 0.6f * t, 0.85f + 0.05f * std::sin(t * 6 * kPi)});
        }
        s.push_back(polygon({{0.2f, 0.4f}, {0.2f, 0.85f}}, false));
        s.push_back(polygon({{0.8f, 0.4f}, {0.8f, 0.85f}}, false));
        s.push_back(hem);
        dot(0.4f, 0.4f);
        dot(0.6f, 0.4f);
    } else if (kind == "butterfly") {
        s.push_back(arc(0.3f, 0.35f, 0.2f, 0.2f, 0, 2 * kPi, 30));
        s.push_back(arc(0.7f, 0.35f, 0.2f, 0.2f, 0, 2 * kPi, 30));
        s.push_back(arc(0.33f, 0.7f, 0.15f, 0.14f, 0, 2 * kPi, 30));
        s.push_back(arc(0.67f, 0.7f, 0.15f, 0.14f, 0, 2 * kPi, 30));
        s.push_back(polygon({{0.5f, 0.2f}, {0.5f, 0.85f}}, false));
    } else if (kind == "tree") {
        Path crown;
        const int bumps = 5 + pick(rng, 3);
        for (int i = 0; i <= 160; ++i) {
            const float a = 2 * kPi * float(i) / 160.0f;
            const float r = 0.24f + 0.06f * std::fabs(std::sin(a * float(bumps) / 2));
            crown.push_back({0.5f + r * std::cos(a), 0.36f + 0.9f * r * std::sin(a)});
        }
        s.push_back(crown);
        s.push_back(polygon({{0.44f, 0.62f}, {0.44f, 0.92f}, {0.56f, 0.92f}, {0.56f, 0.62f}}, false));
    } else if (kind == "mushroom") {
        s.push_back(arc(0.5f, 0.5f, 0.4f, 0.35f, kPi, 2 * kPi, 30));
        s.push_back(polygon({{0.1f, 0.5f}, {0.9f, 0.5f}}, false));
        s.push_back(polygon({{0.38f, 0.5f}, {0.36f, 0.88f}, {0.64f, 0.88f}, {0.62f, 0.5f}}, false));
        dot(0.35f, 0.32f);
        dot(0.6f, 0.25f);
    } else if (kind == "composition") {
        // Three to six random shapes anywhere in the box: the doodles nobody has a name for.
        const int parts = 3 + pick(rng, 4);
        for (int part = 0; part < parts; ++part) {
            const float cx = uniform(rng, 0.2f, 0.8f), cy = uniform(rng, 0.2f, 0.8f),
                        r = uniform(rng, 0.08f, 0.3f);
            switch (pick(rng, 6)) {
                case 0: {
                    const float from = uniform(rng, 0, 2 * kPi);
                    s.push_back(arc(cx, cy, r, r * uniform(rng, 0.5f, 1.5f), from,
                                    from + uniform(rng, 1.0f, 2 * kPi)));
                    break;
                }
                case 1: {
                    std::vector<Point> c;
                    const int n = 3 + pick(rng, 4);
                    for (int i = 0; i < n; ++i) {
                        const float a = 2 * kPi * float(i) / float(n) + uniform(rng, -0.3f, 0.3f);
                        c.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
                    }
                    s.push_back(polygon(c, pick(rng, 2) == 0));
                    break;
                }
                case 2: {
                    std::vector<Point> c;
                    const int n = 3 + pick(rng, 5);
                    for (int i = 0; i < n; ++i)
                        c.push_back({cx - r + 2 * r * float(i) / float(n - 1), cy + (i % 2 ? r : -r) * 0.5f});
                    s.push_back(polygon(c, false));
                    break;
                }
                case 3: {
                    Path p;
                    for (int i = 0; i <= 60; ++i) {
                        const float t = float(i) / 60.0f, a = t * 4 * kPi;
                        p.push_back({cx + r * t * std::cos(a), cy + r * t * std::sin(a)});
                    }
                    s.push_back(p);
                    break;
                }
                case 4: {
                    const float a = uniform(rng, 0, kPi);
                    s.push_back(polygon({{cx - r * std::cos(a), cy - r * std::sin(a)},
                                         {cx + r * std::cos(a), cy + r * std::sin(a)}},
                                        false));
                    break;
                }
                default:
                    dot(cx, cy);
                    break;
            }
        }
    } else if (kind == "blob") {
        // A closed shape with bays and points: lobes of a radial curve, deep enough that it is never an oval.
        Path p;
        const int lobes = 3 + pick(rng, 4);
        const float depth = uniform(rng, 0.25f, 0.5f), phase = uniform(rng, 0, 2 * kPi),
                    sharp = uniform(rng, 0.5f, 2.0f);
        for (int i = 0; i <= 160; ++i) {
            const float a = 2 * kPi * float(i) / 160.0f;
            const float wave = std::pow(std::fabs(std::sin(float(lobes) * a / 2 + phase)), sharp);
            const float r = 0.42f * (1 - depth + depth * wave);
            p.push_back({0.5f + r * std::cos(a), 0.5f + r * std::sin(a)});
        }
        s.push_back(p);
    } else if (kind == "heart") {
        Path p;
        for (int i = 0; i <= 120; ++i) {
            const float t = 2 * kPi * float(i) / 120.0f, st = std::sin(t);
            const float x = 16 * st * st * st,
                        y = 13 * std::cos(t) - 5 * std::cos(2 * t) - 2 * std::cos(3 * t) - std::cos(4 * t);
            p.push_back({0.5f + x / 40.0f, 0.45f - y / 40.0f});
        }
        s.push_back(p);
    } else if (kind == "house") {
        s.push_back(polygon({{0.2f, 0.45f}, {0.2f, 0.9f}, {0.8f, 0.9f}, {0.8f, 0.45f}}, true));
        s.push_back(polygon({{0.12f, 0.5f}, {0.5f, 0.1f}, {0.88f, 0.5f}}, false));
        s.push_back(polygon({{0.42f, 0.9f}, {0.42f, 0.65f}, {0.58f, 0.65f}, {0.58f, 0.9f}}, false));
    } else if (kind == "sun") {
        s.push_back(arc(0.5f, 0.5f, 0.2f, 0.2f, 0, 2 * kPi));
        const int rays = 7 + pick(rng, 4);
        for (int i = 0; i < rays; ++i) {
            const float a = 2 * kPi * float(i) / float(rays);
            s.push_back(polygon({{0.5f + 0.28f * std::cos(a), 0.5f + 0.28f * std::sin(a)},
                                 {0.5f + 0.44f * std::cos(a), 0.5f + 0.44f * std::sin(a)}},
                                false));
        }
    } else if (kind == "flower") {
        const int petals = 5 + pick(rng, 3);
        for (int i = 0; i < petals; ++i) {
            const float a = 2 * kPi * float(i) / float(petals);
            s.push_back(
                arc(0.5f + 0.16f * std::cos(a), 0.38f + 0.16f * std::sin(a), 0.1f, 0.1f, 0, 2 * kPi, 24));
        }
        s.push_back(polygon({{0.5f, 0.55f}, {0.52f, 0.95f}}, false));
        s.push_back(arc(0.62f, 0.78f, 0.1f, 0.05f, 0, 2 * kPi, 20));
    } else if (kind == "fish") {
        s.push_back(arc(0.45f, 0.5f, 0.3f, 0.18f, 0, 2 * kPi));
        s.push_back(polygon({{0.74f, 0.5f}, {0.92f, 0.32f}, {0.92f, 0.68f}}, true));
        dot(0.28f, 0.45f);
    } else {
        throw std::invalid_argument("unknown doodle kind '" + kind + "'");
    }
    return s;
}

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

bool file_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

// True when the ink of a 28x28 is at least 0.8 times as wide as high (both digits of a pair are in it).
bool wide_ink(const Image28& input) {
    int x0 = kImageSide, x1 = -1, y0 = kImageSide, y1 = -1;
    for (int y = 0; y < kImageSide; ++y)
        for (int x = 0; x < kImageSide; ++x)
            if (input[std::size_t(y * kImageSide + x)] > 0.2f)
                x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    return x1 >= x0 && (x1 - x0 + 1) >= 0.8 * (y1 - y0 + 1);
}

}  // namespace

const char* family_name(NegativeFamily family) {
    switch (family) {
        case NegativeFamily::letters:
            return "letters";
        case NegativeFamily::doodles:
            return "doodles";
        case NegativeFamily::noise:
            return "noise";
        case NegativeFamily::pairs:
            return "pairs";
        case NegativeFamily::clothing:
            return "clothing";
    }
    return "?";
}

const std::u32string& letter_glyphs() {
    static const std::u32string glyphs = U"ACEFHKLMNPRUVWXacefhkmnpuwx#@&%+=*";
    return glyphs;
}

std::vector<std::string> handwriting_fonts(NegativeSplit split) {
    static const std::vector<std::string> training = {
        "/usr/share/fonts/truetype/breip/Breip.ttf",
        "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf",
        "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",
        "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Bold.otf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
        "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf",
        "/usr/share/fonts/truetype/leckerli-one/LeckerliOne-Regular.ttf",
        "/usr/share/fonts/truetype/ecolier-court/Ecolier-court.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    };
    static const std::vector<std::string> held_out = {
        "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
        "/usr/share/fonts/truetype/sjfonts/Delphine.ttf",
        "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
        "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf",
        "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf",
    };
    std::vector<std::string> found;
    for (const auto& f : split == NegativeSplit::training ? training : held_out)
        if (file_exists(f)) found.push_back(f);
    return found;
}

const std::vector<std::string>& doodle_kinds(NegativeSplit split) {
    static const std::vector<std::string> training = {
        "smiley", "star",  "spiral", "zigzag", "scribble",  "triangle", "envelope", "hash", "wave",
        "cloud",  "arrow", "cat",    "car",    "glasses",   "crown",    "boat",     "cup",  "kite",
        "eye",    "leaf",  "shield", "ghost",  "butterfly", "tree",     "mushroom"};
    static const std::vector<std::string> held_out = {"heart", "house", "sun", "flower", "fish"};
    return split == NegativeSplit::training ? training : held_out;
}

Coverage draw_doodle(const std::string& kind, int side, std::mt19937& rng) {
    const float margin = 0.18f * float(side);
    const int full = side + 2 * int(margin);
    Coverage c(full, full);
    const float angle = uniform(rng, -0.45f, 0.45f), sx = uniform(rng, 0.8f, 1.15f),
                sy = uniform(rng, 0.8f, 1.15f);
    const float radius = float(side) * uniform(rng, 0.015f, 0.055f) + 0.7f;
    // A hand's wobble: a slow random displacement along each stroke.
    const float wobble = uniform(rng, 0.0f, 0.025f), freq = uniform(rng, 1.0f, 3.0f),
                phase = uniform(rng, 0, 6.3f);
    for (Path p : doodle_strokes(kind, rng)) {
        for (size_t i = 0; i < p.size(); ++i) {
            const float t = float(i) / float(std::max<size_t>(1, p.size() - 1));
            float x = (p[i].x - 0.5f) * sx, y = (p[i].y - 0.5f) * sy;
            x += wobble * std::sin(2 * kPi * freq * t + phase);
            y += wobble * std::cos(2 * kPi * freq * t * 1.3f + phase);
            const float rx = x * std::cos(angle) - y * std::sin(angle),
                        ry = x * std::sin(angle) + y * std::cos(angle);
            p[i] = {float(full) / 2 + rx * float(side), float(full) / 2 + ry * float(side)};
        }
        stroke(c, p, radius);
    }
    return c;
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

std::vector<std::uint8_t> read_font(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open the font");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Coverage render_glyph(const std::vector<std::uint8_t>& font_file, char32_t glyph, float pixel_height) {
    stbtt_fontinfo font;
    const int offset = stbtt_GetFontOffsetForIndex(font_file.data(), 0);
    if (offset < 0 || !stbtt_InitFont(&font, font_file.data(), offset)) return {};
    if (stbtt_FindGlyphIndex(&font, int(glyph)) == 0) return {};
    const float scale = stbtt_ScaleForPixelHeight(&font, pixel_height);
    int w = 0, h = 0, xoff = 0, yoff = 0;
    unsigned char* bitmap = stbtt_GetCodepointBitmap(&font, 0, scale, int(glyph), &w, &h, &xoff, &yoff);
    if (!bitmap || w <= 0 || h <= 0) {
        if (bitmap) stbtt_FreeBitmap(bitmap, nullptr);
        return {};
    }
    const int pad = int(pixel_height * 0.3f) + 2;
    Coverage c(w + 2 * pad, h + 2 * pad);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) c(x + pad, y + pad) = bitmap[y * w + x] / 255.0f;
    stbtt_FreeBitmap(bitmap, nullptr);
    return c;
}

namespace {

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
            for (int y = 0; y < g.height; ++y)
                for (int x = 0; x < g.width; ++x)
                    page(ox + x, oy + y) = std::min(page(ox + x, oy + y), g(x, y));
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

DecodedImage decoded_as_upload(const GreyImage& grey) {
    DecodedImage decoded;
    // As decoding does: whole-pixel area reduction to the working side.
    const int longest = std::max(grey.width, grey.height), side = DecodeOptions{}.working_side;
    decoded.factor = (longest + side - 1) / side;
    decoded.grey = decoded.factor > 1 ? resize_area(grey, (grey.width + decoded.factor - 1) / decoded.factor,
                                                    (grey.height + decoded.factor - 1) / decoded.factor)
                                      : grey;
    decoded.source_width = grey.width;
    decoded.source_height = grey.height;
    return decoded;
}

std::optional<Image28> model_input(const GreyImage& grey) {
    try {
        return prepare_digit(decoded_as_upload(grey)).image;
    } catch (const ImageError&) {
        return std::nullopt;
    }
}

namespace {

// Digits of `digits` in a row, each scaled and shifted up or down a little, each one's ink starting a gap
// (a fraction of the height in [gap_lo, gap_hi]; below 0 they overlap) after the previous one's ends.
// `extents` receives each digit's ink columns [x0, x1).
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

NegativeSet make_negatives(NegativeSplit split, const std::vector<NegativeFamily>& families, int count,
                           const std::string& fashion_dir, std::uint32_t seed, const LabelledImages* digits,
                           float restroked) {
    // Each family on its own thread, with its own seeded random source: the same set whatever the timing.
    auto make_family = [&](NegativeFamily family, std::uint32_t family_seed) {
        NegativeSet set;
        std::mt19937 rng(family_seed);
        auto surface = [&] { return uniform(rng, 0, 1) < 0.5f ? Surface::canvas : Surface::paper; };
        std::vector<std::vector<std::uint8_t>> fonts;
        std::vector<std::string> font_names;
        LabelledImages fashion;
        if (family == NegativeFamily::letters) {
            for (const auto& path : handwriting_fonts(split)) {
                fonts.push_back(read_font(path));
                font_names.push_back(path.substr(path.find_last_of('/') + 1));
            }
            if (fonts.empty())
                throw std::runtime_error("no handwriting fonts installed (fonts-breip, fonts-bwht, ...)");
        }
        if (family == NegativeFamily::clothing) {
            const std::string prefix = fashion_dir + (split == NegativeSplit::training ? "/train" : "/t10k");
            fashion =
                load_labelled_images(prefix + "-images-idx3-ubyte.gz", prefix + "-labels-idx1-ubyte.gz");
        }
        if (family == NegativeFamily::pairs && (!digits || digits->count < 2))
            throw std::runtime_error("pairs of digits as negatives need the digits to pair");
        int made = 0, attempts = 0;
        while (made < count && attempts < count * 20) {
            ++attempts;
            GreyImage grey;
            std::string kind;
            switch (family) {
                case NegativeFamily::letters: {
                    const int f = pick(rng, int(fonts.size()));
                    const char32_t glyph = letter_glyphs()[size_t(pick(rng, int(letter_glyphs().size())))];
                    const float height = uniform(rng, 40.0f, 160.0f);
                    Coverage c = render_glyph(fonts[size_t(f)], glyph, height);
                    if (c.empty()) continue;
                    grey =
                        put_on_surface(maybe_restroke(std::move(c), height, restroked, rng), surface(), rng);
                    kind = font_names[size_t(f)];
                    break;
                }
                case NegativeFamily::doodles: {
                    const auto& kinds = doodle_kinds(split);
                    // For training, a third are random compositions of shapes, a third closed blobs with bays
                    // and points, a third the named kinds.
                    kind = kinds[size_t(made) % kinds.size()];
                    if (split == NegativeSplit::training && made % 3 == 1) kind = "composition";
                    if (split == NegativeSplit::training && made % 3 == 2) kind = "blob";
                    grey = put_on_surface(draw_doodle(kind, 60 + pick(rng, 180), rng), surface(), rng);
                    break;
                }
                case NegativeFamily::noise: {
                    const auto& kinds = noise_kinds(split);
                    kind = kinds[size_t(made) % kinds.size()];
                    grey = draw_noise(kind, 60 + pick(rng, 200), 60 + pick(rng, 200), rng);
                    break;
                }
                case NegativeFamily::clothing: {
                    const size_t i = size_t(pick(rng, int(fashion.count)));
                    Coverage c =
                        enlarge(fashion.image(i), fashion.rows, fashion.cols, 56 + pick(rng, 170), 0.15f);
                    grey = put_on_surface(c, surface(), rng);
                    kind = "fashion-mnist class " + std::to_string(fashion.labels[i]);
                    break;
                }
                case NegativeFamily::pairs: {
                    const size_t a = size_t(pick(rng, int(digits->count))),
                                 b = size_t(pick(rng, int(digits->count)));
                    const int height = 40 + pick(rng, 140);
                    grey = put_on_surface(maybe_restroke(compose_pair(*digits, a, b, height, rng),
                                                         float(height), restroked, rng),
                                          surface(), rng);
                    kind =
                        std::string("pair ") + char('0' + digits->labels[a]) + char('0' + digits->labels[b]);
                    break;
                }
            }
            std::optional<Image28> input = model_input(grey);
            if (!input) continue;
            // The recognizer may take one digit of a pair that stands a little apart for the digit and leave
            // the other out: that is a digit, not a negative.
            if (family == NegativeFamily::pairs && !wide_ink(*input)) continue;
            set.images.push_back(*input);
            set.family.push_back(family);
            set.kind.push_back(kind);
            ++made;
        }
        return set;
    };
    std::vector<std::future<NegativeSet>> parts;
    for (size_t f = 0; f < families.size(); ++f)
        parts.push_back(
            std::async(std::launch::async, make_family, families[f], seed + 7919u * std::uint32_t(f)));
    NegativeSet set;
    for (auto& part : parts) {
        NegativeSet p = part.get();
        set.images.insert(set.images.end(), p.images.begin(), p.images.end());
        set.family.insert(set.family.end(), p.family.begin(), p.family.end());
        set.kind.insert(set.kind.end(), p.kind.begin(), p.kind.end());
    }
    return set;
}

LabelledImages digits_as_uploads(const LabelledImages& digits, std::uint32_t seed, float in_context,
                                 float restroked) {
    std::mt19937 rng(seed);
    LabelledImages out;
    out.rows = out.cols = kImageSide;
    out.images_path = digits.images_path + " (drawn as uploads)";
    for (size_t i = 0; i < digits.count; ++i) {
        const int side = 56 + pick(rng, 170);
        Coverage c = in_context > 0.0f && uniform(rng, 0, 1) < in_context
                         ? digit_in_context(digits, i, side, rng)
                         : enlarge(digits.image(i), digits.rows, digits.cols, side, 0.15f);
        c = maybe_restroke(std::move(c), float(side), restroked, rng);
        GreyImage grey = put_on_surface(c, uniform(rng, 0, 1) < 0.5f ? Surface::canvas : Surface::paper, rng);
        std::optional<Image28> input = model_input(grey);
        if (!input) continue;
        out.pixels.insert(out.pixels.end(), input->begin(), input->end());
        out.labels.push_back(digits.labels[i]);
        ++out.count;
    }
    out.num_classes = digits.num_classes;
    return out;
}

LabelledImages as_labelled(const std::vector<Image28>& images, int label) {
    LabelledImages out;
    out.rows = out.cols = kImageSide;
    out.count = images.size();
    out.num_classes = label + 1;
    for (const Image28& image : images) out.pixels.insert(out.pixels.end(), image.begin(), image.end());
    out.labels.assign(images.size(), std::uint8_t(label));
    return out;
}

}  // namespace digit
