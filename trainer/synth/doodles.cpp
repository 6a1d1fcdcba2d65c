#include "synth/doodles.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace digit {

// The doodles' points come from arc and polygon in strokes.cpp: called, not inlined, so that no compiler
// folds the sines of an arc with constant arguments at compile time (exactly, where the library's are within
// an ulp) and moves the points of every doodle.

namespace {

// A doodle's strokes, in unit coordinates (y down).
using Strokes = std::vector<Path>;

Path dot(float x, float y) {
    return arc(x, y, 0.02f, 0.02f, 0, 2 * kPi, 8);
}

// One kind of doodle: its name, the split whose doodle_kinds lists it (none: drawn only by name), and what
// adds its strokes. Each kind's draws from `rng` are its own; the hand's turn, stretch and wobble are drawn
// before them (draw_doodle).
struct Doodle {
    const char* kind;
    std::optional<NegativeSplit> listed;
    void (*draw)(Strokes& s, std::mt19937& rng);
};

constexpr std::optional<NegativeSplit> kTraining = NegativeSplit::training,
                                       kHeldOut = NegativeSplit::held_out, kByName = std::nullopt;

const Doodle kDoodles[] = {
    {"smiley", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.5f, 0.5f, 0.38f, 0.38f, 0, 2 * kPi));
         s.push_back(dot(0.37f, 0.4f));
         s.push_back(dot(0.63f, 0.4f));
         s.push_back(arc(0.5f, 0.52f, 0.2f, 0.16f, 0.15f * kPi, 0.85f * kPi, 20));
     }},
    {"star", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         std::vector<Point> c;
         const int points = 5 + pick(rng, 2);
         for (int i = 0; i < 2 * points; ++i) {
             const float a = -kPi / 2 + kPi * float(i) / float(points), r = i % 2 ? 0.17f : 0.42f;
             // Fused by hand, as the compiler once fused them: the corners must not depend on how a compiler
             // packs the two into vector registers (the doodles are the training recipe's, bit for bit).
             c.push_back({std::fma(r, std::cos(a), 0.5f), std::fma(r, std::sin(a), 0.52f)});
         }
         s.push_back(polygon(c, true));
     }},
    {"spiral", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         Path p;
         const float turns = uniform(rng, 2.2f, 3.5f);
         for (int i = 0; i <= 160; ++i) {
             const float t = float(i) / 160.0f, a = t * turns * 2 * kPi;
             p.push_back({0.5f + 0.4f * t * std::cos(a), 0.5f + 0.4f * t * std::sin(a)});
         }
         s.push_back(p);
     }},
    {"zigzag", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         std::vector<Point> c;
         const int n = 5 + pick(rng, 5);
         for (int i = 0; i < n; ++i)
             c.push_back({0.1f + 0.8f * float(i) / float(n - 1),
                          (i % 2 ? 0.3f : 0.7f) + uniform(rng, -0.05f, 0.05f)});
         s.push_back(polygon(c, false));
     }},
    {"scribble", kTraining,
     [](Strokes& s, std::mt19937& rng) {
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
     }},
    {"triangle", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.5f, 0.12f}, {0.88f, 0.82f}, {0.12f, 0.82f}}, true));
     }},
    {"envelope", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.1f, 0.25f}, {0.9f, 0.25f}, {0.9f, 0.75f}, {0.1f, 0.75f}}, true));
         s.push_back(polygon({{0.1f, 0.25f}, {0.5f, 0.55f}, {0.9f, 0.25f}}, false));
     }},
    {"hash", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.2f, 0.35f}, {0.85f, 0.33f}}, false));
         s.push_back(polygon({{0.15f, 0.65f}, {0.8f, 0.63f}}, false));
         s.push_back(polygon({{0.4f, 0.12f}, {0.35f, 0.88f}}, false));
         s.push_back(polygon({{0.68f, 0.12f}, {0.63f, 0.88f}}, false));
     }},
    {"wave", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         Path p;
         const float periods = uniform(rng, 1.5f, 3.0f);
         for (int i = 0; i <= 80; ++i) {
             const float t = float(i) / 80.0f;
             p.push_back({0.05f + 0.9f * t, 0.5f + 0.18f * std::sin(t * periods * 2 * kPi)});
         }
         s.push_back(p);
     }},
    {"cloud", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         Path p;
         const int bumps = 5 + pick(rng, 4);
         for (int i = 0; i <= 200; ++i) {
             const float a = 2 * kPi * float(i) / 200.0f;
             const float r = 0.28f + 0.1f * std::fabs(std::sin(a * float(bumps) / 2));
             p.push_back({0.5f + 1.3f * r * std::cos(a), 0.5f + 0.9f * r * std::sin(a)});
         }
         s.push_back(p);
     }},
    {"arrow", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.1f, 0.5f}, {0.88f, 0.5f}}, false));
         s.push_back(polygon({{0.65f, 0.3f}, {0.88f, 0.5f}, {0.65f, 0.7f}}, false));
     }},
    {"cat", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.5f, 0.56f, 0.33f, 0.3f, 0, 2 * kPi));
         s.push_back(polygon({{0.22f, 0.42f}, {0.25f, 0.1f}, {0.42f, 0.28f}}, false));
         s.push_back(polygon({{0.58f, 0.28f}, {0.75f, 0.1f}, {0.78f, 0.42f}}, false));
         s.push_back(dot(0.4f, 0.5f));
         s.push_back(dot(0.6f, 0.5f));
         s.push_back(polygon({{0.05f, 0.6f}, {0.35f, 0.64f}}, false));
         s.push_back(polygon({{0.65f, 0.64f}, {0.95f, 0.6f}}, false));
     }},
    {"car", kTraining,
     [](Strokes& s, std::mt19937&) {
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
     }},
    {"glasses", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.28f, 0.5f, 0.17f, 0.14f, 0, 2 * kPi));
         s.push_back(arc(0.72f, 0.5f, 0.17f, 0.14f, 0, 2 * kPi));
         s.push_back(arc(0.5f, 0.5f, 0.06f, 0.05f, 1.1f * kPi, 1.9f * kPi, 10));
         s.push_back(polygon({{0.11f, 0.48f}, {0.02f, 0.38f}}, false));
         s.push_back(polygon({{0.89f, 0.48f}, {0.98f, 0.38f}}, false));
     }},
    {"crown", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.12f, 0.75f},
                              {0.12f, 0.3f},
                              {0.3f, 0.55f},
                              {0.5f, 0.22f},
                              {0.7f, 0.55f},
                              {0.88f, 0.3f},
                              {0.88f, 0.75f}},
                             true));
     }},
    {"boat", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.08f, 0.62f}, {0.92f, 0.62f}, {0.75f, 0.82f}, {0.25f, 0.82f}}, true));
         s.push_back(polygon({{0.5f, 0.62f}, {0.5f, 0.1f}, {0.82f, 0.55f}, {0.5f, 0.55f}}, false));
     }},
    {"cup", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.2f, 0.25f}, {0.26f, 0.8f}, {0.64f, 0.8f}, {0.7f, 0.25f}}, true));
         s.push_back(arc(0.74f, 0.48f, 0.12f, 0.13f, -0.5f * kPi, 0.5f * kPi, 20));
     }},
    {"kite", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.5f, 0.08f}, {0.75f, 0.35f}, {0.5f, 0.7f}, {0.25f, 0.35f}}, true));
         s.push_back(polygon({{0.25f, 0.35f}, {0.75f, 0.35f}}, false));
         Path tail;
         for (int i = 0; i <= 30; ++i) {
             const float t = float(i) / 30.0f;
             tail.push_back({0.5f + 0.08f * std::sin(t * 4 * kPi), 0.7f + 0.25f * t});
         }
         s.push_back(tail);
     }},
    {"eye", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.5f, 0.78f, 0.42f, 0.45f, 1.18f * kPi, 1.82f * kPi, 30));
         s.push_back(arc(0.5f, 0.22f, 0.42f, 0.45f, 0.18f * kPi, 0.82f * kPi, 30));
         s.push_back(arc(0.5f, 0.5f, 0.1f, 0.1f, 0, 2 * kPi, 20));
         s.push_back(dot(0.5f, 0.5f));
     }},
    {"leaf", kTraining,
     [](Strokes& s, std::mt19937&) {
         // A pointed oval with its midrib and veins.
         s.push_back(arc(0.5f, 0.95f, 0.55f, 0.75f, 1.25f * kPi, 1.75f * kPi, 30));
         s.push_back(arc(0.5f, 0.05f, 0.55f, 0.75f, 0.25f * kPi, 0.75f * kPi, 30));
         s.push_back(polygon({{0.08f, 0.5f}, {0.97f, 0.5f}}, false));
         for (float x : {0.35f, 0.55f, 0.75f}) {
             s.push_back(polygon({{x - 0.12f, 0.32f}, {x, 0.5f}}, false));
             s.push_back(polygon({{x - 0.12f, 0.68f}, {x, 0.5f}}, false));
         }
     }},
    {"shield", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.15f, 0.12f}, {0.85f, 0.12f}, {0.85f, 0.45f}}, false));
         s.push_back(arc(0.15f, 0.45f, 0.7f, 0.47f, 0.0f, 0.5f * kPi, 20));
         s.push_back(arc(0.85f, 0.45f, 0.7f, 0.47f, 0.5f * kPi, kPi, 20));
         s.push_back(polygon({{0.15f, 0.45f}, {0.15f, 0.12f}}, false));
         s.push_back(polygon({{0.5f, 0.12f}, {0.5f, 0.9f}}, false));
     }},
    {"ghost", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.5f, 0.4f, 0.3f, 0.3f, kPi, 2 * kPi, 30));
         Path hem;
         for (int i = 0; i <= 60; ++i) {
             const float t = float(i) / 60.0f;
             hem.push_back({0.8f - 0.6f * t, 0.85f + 0.05f * std::sin(t * 6 * kPi)});
         }
         s.push_back(polygon({{0.2f, 0.4f}, {0.2f, 0.85f}}, false));
         s.push_back(polygon({{0.8f, 0.4f}, {0.8f, 0.85f}}, false));
         s.push_back(hem);
         s.push_back(dot(0.4f, 0.4f));
         s.push_back(dot(0.6f, 0.4f));
     }},
    {"butterfly", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.3f, 0.35f, 0.2f, 0.2f, 0, 2 * kPi, 30));
         s.push_back(arc(0.7f, 0.35f, 0.2f, 0.2f, 0, 2 * kPi, 30));
         s.push_back(arc(0.33f, 0.7f, 0.15f, 0.14f, 0, 2 * kPi, 30));
         s.push_back(arc(0.67f, 0.7f, 0.15f, 0.14f, 0, 2 * kPi, 30));
         s.push_back(polygon({{0.5f, 0.2f}, {0.5f, 0.85f}}, false));
     }},
    {"tree", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         Path crown;
         const int bumps = 5 + pick(rng, 3);
         for (int i = 0; i <= 160; ++i) {
             const float a = 2 * kPi * float(i) / 160.0f;
             const float r = 0.24f + 0.06f * std::fabs(std::sin(a * float(bumps) / 2));
             crown.push_back({0.5f + r * std::cos(a), 0.36f + 0.9f * r * std::sin(a)});
         }
         s.push_back(crown);
         s.push_back(polygon({{0.44f, 0.62f}, {0.44f, 0.92f}, {0.56f, 0.92f}, {0.56f, 0.62f}}, false));
     }},
    {"mushroom", kTraining,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.5f, 0.5f, 0.4f, 0.35f, kPi, 2 * kPi, 30));
         s.push_back(polygon({{0.1f, 0.5f}, {0.9f, 0.5f}}, false));
         s.push_back(polygon({{0.38f, 0.5f}, {0.36f, 0.88f}, {0.64f, 0.88f}, {0.62f, 0.5f}}, false));
         s.push_back(dot(0.35f, 0.32f));
         s.push_back(dot(0.6f, 0.25f));
     }},
    // Round shapes that are not digits: a ring alone reads as 0, so each has what no digit has (a tail
    // to the side, a ring inside, a stalk and a leaf, a crossing ring, a letter's bar or stem, a dot).
    {"comet", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         const float r = uniform(rng, 0.14f, 0.22f), cy = uniform(rng, 0.4f, 0.6f);
         s.push_back(arc(0.3f, cy, r, r, 0, 2 * kPi));
         Path tail;
         const float waves = uniform(rng, 0.5f, 2.0f), amp = uniform(rng, 0.0f, 0.08f);
         for (int i = 0; i <= 30; ++i) {
             const float t = float(i) / 30.0f;
             tail.push_back({0.3f + r + t * (0.62f - r), cy + amp * std::sin(t * waves * 2 * kPi)});
         }
         s.push_back(tail);
     }},
    {"donut", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         const float r = uniform(rng, 0.32f, 0.42f);
         s.push_back(arc(0.5f, 0.5f, r, r * uniform(rng, 0.85f, 1.0f), 0, 2 * kPi));
         s.push_back(arc(0.5f + uniform(rng, -0.04f, 0.04f), 0.5f, r * 0.35f, r * 0.35f, 0, 2 * kPi, 24));
     }},
    {"apple", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         Path p;
         for (int i = 0; i <= 120; ++i) {
             const float a = 2 * kPi * float(i) / 120.0f;
             const float dent = 0.1f * std::pow(std::max(0.0f, -std::sin(a)), 6.0f);  // the top's dip
             p.push_back({0.5f + 0.36f * std::cos(a), 0.56f + (0.32f - dent) * std::sin(a)});
         }
         s.push_back(p);
         s.push_back(polygon({{0.5f, 0.3f}, {0.54f, uniform(rng, 0.06f, 0.14f)}}, false));
         s.push_back(arc(0.64f, 0.14f, 0.1f, 0.05f, 0, 2 * kPi, 16));
     }},
    {"planet", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         s.push_back(arc(0.5f, 0.5f, 0.26f, 0.26f, 0, 2 * kPi));
         const float tilt = uniform(rng, -0.35f, 0.35f);
         Path ring = arc(0, 0, 0.46f, 0.12f, 0.05f * kPi, 0.95f * kPi, 24);  // the front half, below the ball
         for (Point& q : ring)
             q = {0.5f + q.x * std::cos(tilt) - q.y * std::sin(tilt),
                  0.5f + q.x * std::sin(tilt) + q.y * std::cos(tilt)};
         s.push_back(ring);
     }},
    {"letter-a", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         const float r = uniform(rng, 0.2f, 0.3f);
         s.push_back(arc(0.45f, 0.62f, r, r, 0.1f * kPi, 2.05f * kPi));
         s.push_back(polygon(
             {{0.45f + r, 0.62f - r}, {0.45f + r + uniform(rng, -0.02f, 0.06f), 0.62f + r + 0.02f}}, false));
     }},
    {"letter-e", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         const float r = uniform(rng, 0.25f, 0.34f);
         Path p = polygon({{0.5f - r, 0.55f}, {0.5f + r, 0.55f}}, false);
         const Path bowl = arc(0.5f, 0.55f, r, r, 0, -uniform(rng, 1.65f, 1.85f) * kPi, 36);
         p.insert(p.end(), bowl.begin(), bowl.end());
         s.push_back(p);
     }},
    {"at-sign", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         s.push_back(arc(0.5f, 0.5f, 0.13f, 0.15f, 0, 2 * kPi, 24));
         Path p = polygon({{0.63f, 0.35f}, {0.64f, 0.62f}}, false);
         const Path outer = arc(0.5f, 0.5f, 0.4f, 0.4f, 0.15f * kPi, -uniform(rng, 1.55f, 1.8f) * kPi, 48);
         p.insert(p.end(), outer.begin(), outer.end());
         s.push_back(p);
     }},
    {"question-mark", kTraining,
     [](Strokes& s, std::mt19937& rng) {
         Path p = arc(0.5f, 0.3f, 0.22f, 0.2f, 1.05f * kPi, 2.4f * kPi, 24);
         p.push_back({0.5f, uniform(rng, 0.6f, 0.68f)});
         s.push_back(p);
         s.push_back(arc(0.5f, 0.86f, 0.035f, 0.035f, 0, 2 * kPi, 8));
     }},
    {"composition", kByName,
     [](Strokes& s, std::mt19937& rng) {
         // Three to six random shapes anywhere in the box: the doodles nobody has a name for.
         const int parts = 3 + pick(rng, 4);
         for (int part = 0; part < parts; ++part) {
             const float cx = uniform(rng, 0.2f, 0.8f), cy = uniform(rng, 0.2f, 0.8f),
                         r = uniform(rng, 0.08f, 0.3f);
             switch (pick(rng, 6)) {
                 case 0: {
                     // The sweep drawn before the height, as GCC drew them when they were a call's arguments.
                     const float from = uniform(rng, 0, 2 * kPi);
                     const float sweep = uniform(rng, 1.0f, 2 * kPi), ry = r * uniform(rng, 0.5f, 1.5f);
                     s.push_back(arc(cx, cy, r, ry, from, from + sweep));
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
                         c.push_back(
                             {cx - r + 2 * r * float(i) / float(n - 1), cy + (i % 2 ? r : -r) * 0.5f});
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
                     s.push_back(dot(cx, cy));
                     break;
             }
         }
     }},
    {"blob", kByName,
     [](Strokes& s, std::mt19937& rng) {
         // A closed shape with bays and points: lobes of a radial curve, deep enough never to be an oval.
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
     }},
    {"heart", kHeldOut,
     [](Strokes& s, std::mt19937&) {
         Path p;
         for (int i = 0; i <= 120; ++i) {
             const float t = 2 * kPi * float(i) / 120.0f, st = std::sin(t);
             const float x = 16 * st * st * st,
                         y = 13 * std::cos(t) - 5 * std::cos(2 * t) - 2 * std::cos(3 * t) - std::cos(4 * t);
             p.push_back({0.5f + x / 40.0f, 0.45f - y / 40.0f});
         }
         s.push_back(p);
     }},
    {"house", kHeldOut,
     [](Strokes& s, std::mt19937&) {
         s.push_back(polygon({{0.2f, 0.45f}, {0.2f, 0.9f}, {0.8f, 0.9f}, {0.8f, 0.45f}}, true));
         s.push_back(polygon({{0.12f, 0.5f}, {0.5f, 0.1f}, {0.88f, 0.5f}}, false));
         s.push_back(polygon({{0.42f, 0.9f}, {0.42f, 0.65f}, {0.58f, 0.65f}, {0.58f, 0.9f}}, false));
     }},
    {"sun", kHeldOut,
     [](Strokes& s, std::mt19937& rng) {
         s.push_back(arc(0.5f, 0.5f, 0.2f, 0.2f, 0, 2 * kPi));
         const int rays = 7 + pick(rng, 4);
         for (int i = 0; i < rays; ++i) {
             const float a = 2 * kPi * float(i) / float(rays);
             s.push_back(polygon({{0.5f + 0.28f * std::cos(a), 0.5f + 0.28f * std::sin(a)},
                                  {0.5f + 0.44f * std::cos(a), 0.5f + 0.44f * std::sin(a)}},
                                 false));
         }
     }},
    {"flower", kHeldOut,
     [](Strokes& s, std::mt19937& rng) {
         const int petals = 5 + pick(rng, 3);
         for (int i = 0; i < petals; ++i) {
             const float a = 2 * kPi * float(i) / float(petals);
             s.push_back(
                 arc(0.5f + 0.16f * std::cos(a), 0.38f + 0.16f * std::sin(a), 0.1f, 0.1f, 0, 2 * kPi, 24));
         }
         s.push_back(polygon({{0.5f, 0.55f}, {0.52f, 0.95f}}, false));
         s.push_back(arc(0.62f, 0.78f, 0.1f, 0.05f, 0, 2 * kPi, 20));
     }},
    {"fish", kHeldOut,
     [](Strokes& s, std::mt19937&) {
         s.push_back(arc(0.45f, 0.5f, 0.3f, 0.18f, 0, 2 * kPi));
         s.push_back(polygon({{0.74f, 0.5f}, {0.92f, 0.32f}, {0.92f, 0.68f}}, true));
         s.push_back(dot(0.28f, 0.45f));
     }},
};

const Doodle& doodle(const std::string& kind) {
    for (const Doodle& d : kDoodles)
        if (kind == d.kind) return d;
    throw std::invalid_argument("unknown doodle kind '" + kind + "'");
}

}  // namespace

const std::vector<std::string>& doodle_kinds(NegativeSplit split) {
    auto listed = [](NegativeSplit split) {
        std::vector<std::string> kinds;
        for (const Doodle& d : kDoodles)
            if (d.listed == split) kinds.push_back(d.kind);
        return kinds;
    };
    static const std::vector<std::string> training = listed(NegativeSplit::training),
                                          held_out = listed(NegativeSplit::held_out);
    return split == NegativeSplit::training ? training : held_out;
}

Coverage draw_doodle(const std::string& kind, int side, std::mt19937& rng) {
    const Doodle& d = doodle(kind);
    const float margin = 0.18f * float(side);
    const int full = side + 2 * int(margin);
    Coverage c(full, full);
    const float angle = uniform(rng, -0.45f, 0.45f), sx = uniform(rng, 0.8f, 1.15f),
                sy = uniform(rng, 0.8f, 1.15f);
    const float radius = float(side) * uniform(rng, 0.015f, 0.055f) + 0.7f;
    // A hand's wobble: a slow random displacement along each stroke.
    const float wobble = uniform(rng, 0.0f, 0.025f), freq = uniform(rng, 1.0f, 3.0f),
                phase = uniform(rng, 0, 6.3f);
    Strokes strokes;
    d.draw(strokes, rng);
    for (Path p : strokes) {
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

}  // namespace digit
