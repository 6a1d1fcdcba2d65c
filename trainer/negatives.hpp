// Images that are not digits, made the way people upload them: letters and symbols in handwriting fonts,
// doodles drawn with a round brush, noise textures and clothing (Fashion-MNIST), on paper or a canvas. They
// teach the network to say "not a digit" and measure how well it does.
//
// Every family is split into kinds used for training and kinds kept out of it (other fonts, other doodles,
// other textures, Fashion-MNIST's test split), so that what was never seen can be measured.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "decode.hpp"
#include "image.hpp"

namespace digit {

// pairs: two digits touching or overlapping, as in a number written close. A group of ink that holds two
// digits is not one digit; knowing that lets a number be cut where its pieces read as digits.
enum class NegativeFamily { letters, doodles, noise, clothing, pairs };
enum class NegativeSplit { training, held_out };

const char* family_name(NegativeFamily family);

// Glyphs of handwriting fonts that nobody would read as a digit: none of O o D Q I l i j J | Z z S s B G b g
// q (0, 1, 2, 5, 6, 8, 9), T Y y r v ^ < > ? ~ (1, 4, 7, 2), no strokes or rings alone, never the fonts'
// digits.
const std::u32string& letter_glyphs();

// Handwriting fonts installed from Debian's font packages (the test and training set-up installs them),
// those of `split`; only files that exist are returned.
std::vector<std::string> handwriting_fonts(NegativeSplit split);

// A brush drawing or a rendered glyph: ink coverage in [0,1], 0 = no ink.
using Coverage = Plane;

// The doodle kinds of a split ("smiley", "star", ... for training; "heart", "house", ... held out).
const std::vector<std::string>& doodle_kinds(NegativeSplit split);
Coverage draw_doodle(const std::string& kind, int side, std::mt19937& rng);

const std::vector<std::string>& noise_kinds(NegativeSplit split);
// Noise textures are whole grey images (0 = black, 1 = white), not ink.
GreyImage draw_noise(const std::string& kind, int width, int height, std::mt19937& rng);

// A font file's bytes, for render_glyph; throws std::runtime_error naming the file when it cannot be read.
std::vector<std::uint8_t> read_font(const std::string& path);

// A glyph of a font file, `pixel_height` tall, padded by a margin; empty when the font lacks it.
Coverage render_glyph(const std::vector<std::uint8_t>& font_file, char32_t glyph, float pixel_height);

// A small image (a 28x28 of MNIST or Fashion-MNIST, 0 = background) enlarged bilinearly to `side` px inside
// a margin of `margin` x side on every edge, as ink coverage.
Coverage enlarge(const float* pixels, int rows, int cols, int side, float margin);

// Ink as it would be uploaded: a web canvas (plain, either polarity) or a phone photo of paper (uneven
// light, grain, grey ink, soft edges). Returns the grey image.
enum class Surface { canvas, paper };
GreyImage put_on_surface(const Coverage& ink, Surface surface, std::mt19937& rng);

// A grey image as the recognizer reads it, to the 28x28 the network would see; nullopt when the recognizer
// finds no ink in it (an upload it would refuse as blank).
std::optional<Image28> model_input(const GreyImage& grey);
// A grey image as decoding would give it: reduced by whole pixels to the working side.
DecodedImage decoded_as_upload(const GreyImage& grey);

// Two digits of `digits` (28x28, 0 = background) side by side, the second overlapping the first by up to a
// fifth of their height or a little apart, each scaled and shifted up or down a little; as ink coverage
// `height` px tall.
// Digits of `digits` in a row, each scaled and shifted up or down a little, each one's ink starting a gap
// (a fraction of the height in [gap_lo, gap_hi]; below 0 they overlap) after the previous one's ends.
Coverage compose_digits(const LabelledImages& digits, const std::vector<std::size_t>& indices, int height,
                        float gap_lo, float gap_hi, std::mt19937& rng);
Coverage compose_pair(const LabelledImages& digits, std::size_t first, std::size_t second, int height,
                      std::mt19937& rng);

// Generates negatives of one split: `count` 28x28 inputs per family in `families`, cycling through the
// split's kinds. Fashion-MNIST comes from `fashion_dir` (its train split for training, t10k for held out);
// pairs from `digits` (required for that family: pass digits of the same split as the run's). A share
// `restroked` of the letters and pairs are redrawn with a pen of one width (restroke), as digits drawn as
// uploads may be: a pen's strokes are no sign of a digit.
struct NegativeSet {
    std::vector<Image28> images;
    std::vector<NegativeFamily> family;
    std::vector<std::string> kind;
};
NegativeSet make_negatives(NegativeSplit split, const std::vector<NegativeFamily>& families, int count,
                           const std::string& fashion_dir, std::uint32_t seed,
                           const LabelledImages* digits = nullptr, float restroked = 0.0f);

// The folder Debian's dataset-fashion-mnist package installs.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

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

// A digit of `digits` as a cut through a written number leaves it: written between neighbours that touch
// or overlap it, cut out at its own ink's columns give or take a little, so that bits of the neighbours'
// strokes come along. Ink coverage, the line `height` px tall.
Coverage digit_in_context(const LabelledImages& digits, std::size_t index, int height, std::mt19937& rng);

// Digits drawn as uploads (enlarged, on canvas or paper, through the recognizer): validation digits that
// look like what people send, for calibrating and choosing the decision threshold. Digits the recognizer
// finds no ink in are left out. A share `in_context` of them are cut from a number (digit_in_context), a
// share `restroked` redrawn with a pen of one width (restroke).
LabelledImages digits_as_uploads(const LabelledImages& digits, std::uint32_t seed, float in_context = 0.0f,
                                 float restroked = 0.0f);

// A set of 28x28 inputs as LabelledImages, all with `label`.
LabelledImages as_labelled(const std::vector<Image28>& images, int label);

}  // namespace digit
