// From the ink map to the lines of text a number is written in, and each line's strip, the input of the
// line reader (line_reader.hpp):
//   ink map + components --line_marks--> the marks a line may hold (digits, and the dots, commas, minus
//   signs that mark_clutter calls specks or rules) --find_lines--> lines, top to bottom --make_line_strip-->
//   a strip kLineHeight px high, the line's characters kLineCharHeight px tall, its width following the line.
// Orientation: the same ink map turned by quarter turns (turn_ink) and straightened (rotate_ink), each with
// the map back to the pixels it came from (Frame).
#pragma once

#include <vector>

#include "digits.hpp"
#include "image.hpp"
#include "ink.hpp"

namespace digit {

// The strip's height, the height the tallest characters are scaled to inside it, and the blank margin left
// and right of the ink.
constexpr int kLineHeight = 32;
constexpr float kLineCharHeight = 22.0f;
constexpr int kLineMargin = 8;
// The widest strip made (longer lines are scaled down to it).
constexpr int kMaxLineWidth = 1600;
// The most lines read from one image.
constexpr int kMaxLines = 32;

struct TextLine {
    Box box;                   // the members' boxes together, in the ink map's pixels
    std::vector<int> members;  // component indices, left to right
    float char_height = 0.0f;  // the height of the line's tall characters, px
    float slope = 0.0f;        // dy/dx of the tall characters' centres
};

// The components a line may hold: those mark_clutter kept, and the small marks beside digits it takes for
// specks or rules (a minus sign is far longer than high; a decimal point is a dot) -- never ink touching the
// border, nor a rule across most of the image.
std::vector<int> line_marks(const InkMap& ink, const Components& components);

// The lines the marks make, top to bottom (at most kMaxLines; the ones with the most ink are kept). A line
// is seeded by tall marks (characters) followed left to right, each close in height to the one before, so
// a line may slant or wave; small marks (dots, commas, dashes, a 5's bar) join the line they stand in.
// Marks that fit no line are left out.
std::vector<TextLine> find_lines(const Components& components, const std::vector<int>& marks);

// A line's strip: kLineHeight rows, ink 1 and background 0 (MNIST's polarity), the line's characters
// kLineCharHeight px tall, centred on the line's ink, kLineMargin blank columns either side, the width a
// multiple of 4. Strip pixel (sx, sy) shows ink-map point (x0 + sx / scale, y0 + sy / scale) -- with a
// line's slope taken out: y0 grows by slope * (x - x0) along the line.
struct LineStrip {
    Plane pixels;
    float scale = 1.0f;
    float x0 = 0.0f, y0 = 0.0f;
    float slope = 0.0f;
    // The ink-map x of strip column sx.
    float ink_x(float sx) const { return x0 + sx / scale; }
};
LineStrip make_line_strip(const InkMap& ink, const Components& components, const TextLine& line);

// Where the working image's pixels went: a point (x, y) of the turned or rotated map came from
// (a*x + b*y + c, d*x + e*y + f) of the map before.
struct Frame {
    double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
    void apply(double x, double y, double& ox, double& oy) const {
        ox = a * x + b * y + c;
        oy = d * x + e * y + f;
    }
    // A point of this frame's map taken back through this frame and then through `earlier`.
    Frame then(const Frame& earlier) const;
    // A box of this frame's map in the map before (the box round its four corners), inside width x height.
    Box box_before(const Box& box, int width, int height) const;
};

// The ink map turned clockwise by `quarter_turns` x 90 degrees (exact), and the frame back.
InkMap turn_ink(const InkMap& ink, int quarter_turns, Frame* frame);
// The ink map rotated by `degrees` (counter-clockwise as shown, y down) on a canvas large enough to hold it
// all, the strength resampled bilinearly and the mask thresholded again as find_ink did; and the frame back.
InkMap rotate_ink(const InkMap& ink, double degrees, Frame* frame);
// The angle to rotate the lines by to make them level (degrees, within +-35): the slopes of the lines
// with three or more tall characters, weighted by their length; 0 when no line says.
double skew_degrees(const std::vector<TextLine>& lines);

}  // namespace digit
