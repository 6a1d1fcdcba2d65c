// Ink drawn by hand, as the trainer makes it up: a round brush along paths (arcs, polygons), pens of one
// width redrawing strokes (restroke), strokes broken where a pen lifted. Beside them what every maker in
// synth/ shares: ink coverage, the training/held-out split of kinds, and the random draws, one function
// each, so that the order of draws can be read off the code.
//
// Every image made in synth/ is a function of its std::mt19937's draws: the same seed gives the same image,
// and the training recipe depends on it. A change to the number or the order of draws changes every image.
#pragma once

#include <random>
#include <vector>

#include "image.hpp"

namespace digit {

// A brush drawing or a rendered glyph: ink coverage in [0,1], 0 = no ink.
using Coverage = Plane;

// Every family of made-up images is split into kinds used for training and kinds kept out of it (other
// fonts, other doodles, other textures), so that what was never seen can be measured.
enum class NegativeSplit { training, held_out };

// One draw each: a float uniform in [lo, hi), an int uniform in [0, n).
inline float uniform(std::mt19937& rng, float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(rng);
}
inline int pick(std::mt19937& rng, int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
}

constexpr float kPi = 3.14159265358979f;

// A point in pixels, or in a doodle's unit square (y down).
struct Point {
    float x, y;
};
using Path = std::vector<Point>;

// A round brush of `radius` px along a path in pixels, anti-aliased, ink combined by maximum.
void stroke(Coverage& c, const Path& path, float radius);
// The ellipse about (cx, cy) with radii rx, ry from the angle `from` to `to` (radians), in n segments.
Path arc(float cx, float cy, float rx, float ry, float from, float to, int n = 40);
// The sides between `corners`, 12 points each, and back to the first when `closed`.
Path polygon(const std::vector<Point>& corners, bool closed);

// The same strokes drawn with a round pen of `radius` px: the ink's centre lines (the coverage at least a
// half, thinned to one pixel) with a disc stamped along them. Pens, markers and canvas brushes draw strokes
// of one width; MNIST's thin out and swell.
Coverage restroke(const Coverage& c, float radius);
// With the chance `restroked`, `c` redrawn with a pen 3-10% of `height` wide (restroke); else `c` as it is.
// Draws one number from `rng` when `restroked` is positive, two when it redraws.
Coverage maybe_restroke(Coverage c, float height, float restroked, std::mt19937& rng);
// With the chance `broken`, `c` with a stroke broken where the pen lifted or the ink ran faint: the ink
// within 5-10% of `height` of one point of the strokes wiped out, a gap where that spans the stroke (an 8 in
// two strokes, a 4 whose corner did not meet), a dent where it does not; else `c` as it is. Draws one number
// from `rng` when `broken` is positive, three when it breaks.
Coverage maybe_break_stroke(Coverage c, float height, float broken, std::mt19937& rng);

}  // namespace digit
