// Uploads the way people really make them, built from MNIST test digits so that every label is known: canvas
// drawings with a thick round brush (opaque or transparent), tiny thumbnails scaled up, bold marker digits in
// small images, faint pencil with broken strokes, photos of notebook paper, a small digit in a large photo,
// and the rarer file formats. The stroke shapes come from the MNIST bitmap itself (its skeleton, redrawn with
// a round brush), so an image shows the digit its label names.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "classifier.hpp"
#include "test_images.hpp"

namespace stress {

// Ink coverage in [0,1], row-major.
struct InkMap {
    int width = 0, height = 0;
    std::vector<float> v;
    InkMap() = default;
    InkMap(int w, int h) : width(w), height(h), v(std::size_t(w) * std::size_t(h), 0.0f) {}
    float& at(int x, int y) { return v[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
    float at(int x, int y) const { return v[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
};

struct Sample {
    std::string file;  // the encoded upload
    int label = 0;
    int mnist_index = 0;
    // The digit's ink as drawn, upright, before background, lighting, clutter and encoding: what a perfect
    // pipeline would find. A digit that a perfect crop of this ink does not read as its label is ambiguous
    // as drawn, and the suite draws another.
    InkMap ink;
};

// `number` is the sample's place in its kind (formats cycle with it); everything else random comes from
// `seed`.
using Generator = Sample (*)(const testimg::Mnist& mnist, int mnist_index, int number, std::uint32_t seed);

struct Kind {
    const char* name;
    Generator make;
};

// The rectangle [x0, x0 + w) x [y0, y0 + h) of `in` (outside counts as 0) resized to out_w x out_h by area
// averaging: each output pixel is the mean of the input area it covers, fractional edges weighted.
InkMap area_resize(const InkMap& in, float x0, float y0, float w, float h, int out_w, int out_h);

// Every kind, in the order the suite reports them.
const std::vector<Kind>& kinds();

// The MNIST test image for the `number`th sample of a kind: the classes in turn, and within a class indices
// spread over the whole test set, different for each kind and each attempt.
int mnist_index_for(const testimg::Mnist& mnist, int kind_number, int number, int attempt);

// ---- Whole numbers -------------------------------------------------------------------------------------

enum class NumberStyle { paper, canvas };

struct NumberSample {
    std::string file;       // the encoded upload
    std::string text;       // the digits' labels, left to right
    bool touching = false;  // a pair of neighbours touches or overlaps
};

// A line of MNIST test digits (`indices`, left to right) redrawn with one brush: per-digit scale and
// baseline jitter, gaps from narrow to wide, or with `touching` one pair of neighbours whose boxes overlap.
// `paper`: a phone photo of a notebook page (grain, ruled lines, specks, uneven light, JPEG); `canvas`: a
// wide web canvas, dark on light or light on dark (PNG).
NumberSample number_image(const testimg::Mnist& mnist, const std::vector<int>& indices, NumberStyle style,
                          bool touching, std::uint32_t seed);

// ---- Formatted numbers ---------------------------------------------------------------------------------

struct TextOptions {
    NumberStyle style = NumberStyle::paper;
    bool stroke_digits = false;  // digits from test_images' stroke models instead of MNIST test digits
    bool touching = false;       // one pair of neighbouring digits overlaps
    float skew_degrees = 0.0f;   // the whole text rotated, anticlockwise as seen
    int quarter_turns = 0;       // then turned clockwise by this many quarter turns, as a sideways scan
};

struct TextSample {
    std::string file;  // the encoded upload
    std::string text;  // the lines, top to bottom, joined with "\n"
};

// Lines of digits and the marks . , - / : as pens draw them (a dot is a dab, a comma a hooked tail below the
// baseline, a minus a short bar at mid-height, a slash a leaning stroke, a colon two dots), one brush for the
// whole text, per-character size and baseline jitter; the digits are the MNIST test digits
// `pick_digit(label)` returns, or stroke-drawn. Uploaded as number_image's paper or canvas.
TextSample text_image(const testimg::Mnist& mnist, const std::vector<std::string>& lines,
                      const TextOptions& options, const std::function<int(int)>& pick_digit,
                      std::uint32_t seed);

// The MNIST digit as number_image draws it, alone: its ink, `height` px tall, brush a fraction of it.
InkMap drawn_digit(const testimg::Mnist& mnist, int index, float height, float brush_fraction);

// The text /read's reader finds in an upload ("" when it finds none), with the classifier's pair reader or
// by the cuts alone.
std::string read_number_text(const digit::Classifier& classifier, const std::string& file, bool pairs);

// The stress suite's reference pipeline (stress_suite.cpp): the plain steps of a short PIL/NumPy script,
// file bytes in, the model's 28x28 out (empty when the file does not decode).
digit::Image28 reference_input(const std::string& file);
// A 28x28 input enlarged eight times as a PNG, to look at.
std::string enlarged_input_png(const digit::Image28& image);

}  // namespace stress
