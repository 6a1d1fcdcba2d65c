// Digits the ways people write them that MNIST's writers (US census staff and students) seldom did: a 1
// with a flag or a foot serif, a 7 with a bar across or a curved stem, a 4 with an open top, a 9 with a
// straight or a curled stem, a 2 with a loop at its foot, a 3 with a flat top, an 8 of two stacked loops, a 0
// or a 6 left open; beside them the plain 1 and 7 drawn the same way, so that what tells a flagged 1 from a
// 7 is the flag's fall and the stem, not the drawing. The truly ambiguous middle (a flag as long and as flat
// as a 7's bar) is never drawn: the label is what a person reads.
//
// Stroke models of the trainer's own, in a glyph box (x right, y down, the height 1); the style suite's
// (tests/support/draw_styles.py) are written apart, so that it measures the styles and not this drawing.
#pragma once

#include <random>
#include <vector>

#include "synth/strokes.hpp"

namespace digit {

struct DigitStyle {
    const char* name;
    int digit;
};

// Every style the trainer draws, in a fixed order.
const std::vector<DigitStyle>& digit_styles();

// A digit of digit_styles()[style], `height` px tall inside a margin, as ink coverage: slanted, stretched,
// wobbled, drawn with a round pen of one width or with one that swells and thins along the stroke.
Coverage draw_styled_digit(std::size_t style, int height, std::mt19937& rng);

}  // namespace digit
