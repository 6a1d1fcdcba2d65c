// Letters and symbols in handwriting fonts: which glyphs, which fonts (Debian's font packages; the test and
// training set-up installs them), and a glyph rendered as ink coverage with stb_truetype.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "synth/strokes.hpp"

namespace digit {

// Glyphs of handwriting fonts that nobody would read as a digit: none of O o D Q I l i j J | Z z S s B G b g
// q (0, 1, 2, 5, 6, 8, 9), T Y y r v ^ < > ? ~ (1, 4, 7, 2), no strokes or rings alone, never the fonts'
// digits.
const std::u32string& letter_glyphs();

// Handwriting fonts installed from Debian's font packages (the test and training set-up installs them),
// those of `split`; only files that exist are returned.
std::vector<std::string> handwriting_fonts(NegativeSplit split);

// A font file's bytes, for render_glyph; throws std::runtime_error naming the file when it cannot be read.
std::vector<std::uint8_t> read_font(const std::string& path);

// A glyph of a font file, `pixel_height` tall, padded by a margin; empty when the font lacks it.
Coverage render_glyph(const std::vector<std::uint8_t>& font_file, char32_t glyph, float pixel_height);

}  // namespace digit
