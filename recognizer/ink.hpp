// Step 2: grey image -> ink map. Which way the ink goes (dark on light or light on dark), the background
// (paper tint, shading, uneven light) estimated on a strongly reduced copy and taken out, then a hysteresis
// threshold: strong ink seeds, and faint ink connected to it stays attached. Nothing here depends on how
// wide the strokes are, so a 20 px brush and a pencil line come out alike.
#pragma once

#include "image.hpp"

namespace digit {

struct InkMap {
    Plane strength;  // how far each pixel stands out from its background as ink, in grey units (>= 0)
    Mask mask;       // the ink: strength above `low`, connected to strength above `high`
    bool dark_ink = true;
    float noise = 0.0f;  // standard deviation of the background's noise, grey units
    float low = 0.0f, high = 0.0f;
};

// The whole step. Throws ImageError(empty_image) when nothing stands out from the background.
InkMap find_ink(const GreyImage& grey);

// The steps, each usable and testable on its own:
// True when the ink is darker than its background (the border's level where most of the border agrees,
// else the most common grey).
bool ink_is_darker_than_background(const Plane& grey);
// The background of `signal` (ink high, background low): a robust plane fitted to a low
// percentile of each cell of a coarse grid, with the cells that ink covers left out, plus the smooth
// residual of the cells that are paper.
Plane estimate_background(const Plane& signal);
// Noise of the background, from the median absolute difference of neighbouring pixels (edges are few).
float estimate_noise(const Plane& signal);
// Pixels above `low` that are connected (8-neighbours) to a pixel above `high`.
Mask hysteresis(const Plane& strength, float low, float high);
// Takes out ruled lines: horizontal runs across most of the width, except where a stroke crosses them, and,
// given the ink's `strength`, where ink on a line is much darker than the line (a stroke drawn along it).
void remove_ruled_lines(Mask& mask, const Plane* strength = nullptr);

}  // namespace digit
