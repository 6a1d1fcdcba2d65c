// Reading the text of an image: the lines of a number as people write them (decimal points, signs, dates,
// times, several lines), any of the four orientations and skew undone, read by the line reader
// (line_reader.hpp). The steps, after find_digit_groups' ink map:
//   the turns worth reading chosen by the orientation model from the glyphs' shapes (without one: upright,
//   and the other turns only when the upright reading is unsure);
//   for each turn read: the ink turned (turn_ink), its doodles, marks and lines (lines.hpp), skew measured
//   and taken out (rotate_ink), each line's strip read; the likeliest kept;
//   the runs of digits the classifier does not read as the line reader did read again by the digit route;
//   each character's box from the ink in the columns it spans; each digit also judged by the digit
//   classifier, whose "not a digit" lowers the text's confidence.
#pragma once

#include <string>
#include <vector>

#include "classifier.hpp"
#include "line_reader.hpp"
#include "lines.hpp"
#include "numbers.hpp"
#include "recognizer.hpp"

namespace digit {

struct ReadCharacter {
    char ch = 0;
    float confidence = 0.0f;
    Box box;         // in the upright working map's pixels
    Box source_box;  // in the uploaded image's pixels, as a viewer shows it
};

struct ReadLine {
    std::string text;
    float confidence = 0.0f;
    Box box, source_box;
    std::vector<ReadCharacter> characters;
};

struct TextReading {
    std::string text;  // the lines, top to bottom, joined with "\n"
    // The chance the text is right: the lines' chances together, lowered where the digit classifier takes a
    // character read as a digit for no digit.
    float confidence = 0.0f;
    int orientation = 0;  // the turn undone, degrees clockwise (0, 90, 180, 270)
    double skew = 0.0;    // the rotation undone after it, degrees
    std::vector<ReadLine> lines;
    std::vector<ReadDigit>
        digits;  // the digit characters, line by line, left to right, with the classifier's answer
    std::vector<ReadDigit> ignored;  // marks that are no character of any line
    // What was read, in the upright working frame, for the debug pictures.
    InkMap ink;
    Components components;
    std::vector<TextLine> found;
    std::vector<LineStrip> strips;
    std::vector<LineText> read;
};

// Decodes an upload and finds its ink for read_text (find_digit_groups), at a finer working resolution when
// the characters are small in the usual one (a page of many lines photographed whole): the working image
// is made again, at most kFineWorkingSide a side, so that they stand about 24 px tall. Throws as
// decode_image and find_digit_groups do.
constexpr int kFineWorkingSide = 1600;
void find_text(const void* data, std::size_t size, const DecodeOptions& options, Trace& trace);

// The text of an image whose ink find_digit_groups found. Throws ImageError(empty_image) when no line is
// found.
TextReading read_text(const Trace& trace, const LineReader& reader, const Classifier& classifier,
                      Charset charset = Charset::numeric);

// The old route's reading (read_number: digit groups, cuts, the pair reader) in the same shape: one line,
// the digits only.
TextReading text_of_number(const NumberReading& reading);

// PNGs of a text reading into `directory`: <stem>.5-lines.png (the upright ink with each line's box and its
// characters' boxes), <stem>.6-strip-N.png (each line's strip, enlarged, with the columns each character
// spans marked). Returns the paths written.
std::vector<std::string> write_text_debug_images(const TextReading& reading, const std::string& directory,
                                                 const std::string& stem);

}  // namespace digit
