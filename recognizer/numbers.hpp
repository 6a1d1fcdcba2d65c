// A whole number written in one line: the digit groups -> the digits left to right, each with its 28x28,
// its box and the classifier's answer. Pieces of one digit (the bar of a 5, a 4 in two strokes, a stroke
// broken by faint ink) stand one above the other and are merged; neighbours are never merged. A group too
// wide for one digit (neighbours touching or overlapping, "00", "11") is cut at valleys of its column ink
// profile -- along the path of least ink from there, which bends round a stroke that leans over its
// neighbour -- and of the ways to cut it the one whose pieces the classifier reads most confidently wins
// (a small dynamic programme over the candidate cuts). Marks far smaller than the digits (dashes, dots) are
// left out.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "classifier.hpp"
#include "recognizer.hpp"

namespace digit {

struct ReadDigit {
    Box box;         // in the working image's pixels
    Box source_box;  // in the uploaded image's pixels, upright
    Image28 input{};
    Prediction prediction;
};

struct NumberReading {
    std::string text;  // the digits, left to right
    // The chance the text is right: the digits' confidences, times the chance that each mark left out is
    // no digit.
    float confidence = 0.0f;
    std::vector<ReadDigit> digits;
    // Marks that are not digits (a smiley beside the number, a scribble), left out of `text`.
    std::vector<ReadDigit> ignored;
};

// Reads a batch of 28x28 inputs (a Classifier's predict_batch, or a stand-in in tests). In a line of digits
// a mark is judged by the digit score alone (Decision::digit_score), not by how typical its features are:
// a piece cut out of a mark carries bits of its neighbours, and a digit among digits is more likely one
// than an image alone.
using ClassifyBatch = std::function<std::vector<Prediction>(const std::vector<Image28>&)>;

// Reads a batch of wide fields (a PairReader's read); may be empty: no pair reader.
using ReadPairs = std::function<std::vector<PairPrediction>(const std::vector<ImageWide>&)>;

// The number in an ink map whose clutter is marked (mark_clutter). Boxes are in the ink map's pixels. With
// `read_pairs`, a group of a digit's or two digits' proportions is also read whole by the pair reader,
// which settles whether it holds one digit or two, and which two.
NumberReading read_number(const InkMap& ink, const Components& components, const ClassifyBatch& classify,
                          const ReadPairs& read_pairs = {});
// Whether a mark stands in a line of digits read clearly (`clear`, at least two of them): no farther from the
// nearest than its height, of 0.6-1.5 times its height and level with it, and at most `max_aspect` times
// as wide as high. A mark there is a digit however poorly written, not a doodle.
bool in_line_of_digits(const Box& mark, const std::vector<Box>& clear, double max_aspect = 1.4);
// read_number with `classifier` reading the pieces and its pair reader (when it has one) the pairs.
NumberReading read_number(const InkMap& ink, const Components& components, const Classifier& classifier);
// The steps after decoding, then read_number; boxes in source pixels too. Throws ImageError(empty_image)
// when no ink is found. `trace` keeps what each step produced.
NumberReading read_number(DecodedImage decoded, const Classifier& classifier, Trace* trace = nullptr);
// The same from a trace find_digit_groups has filled (so that a blank image is known before a classifier is).
NumberReading read_found_number(Trace& trace, const Classifier& classifier);
// Decodes too. Throws ImageError for bad files (unsupported_media_type, image_too_large) and no ink.
NumberReading read_number(const void* data, std::size_t size, const Classifier& classifier,
                          const DecodeOptions& options = {}, Trace* trace = nullptr);

// A cut through a group of ink from its top row y0 down: in each row, the first column right of the cut.
struct Cut {
    int y0 = 0;
    std::vector<int> x;  // per row from y0
    double mean = 0.0;   // the mean of x
};

// The 28x28 of the ink of `members` between two cuts (right of `left`, left of `right`; rows outside the
// cuts belong to neither), a piece of a group; `box` receives the piece's box. Throws
// ImageError(empty_image) when the piece holds no ink.
Image28 normalise_piece(const InkMap& ink, const Components& components, const std::vector<int>& members,
                        const Cut& left, const Cut& right, Box* box = nullptr);

// How many digits an image holds, for the single-digit answer: its digit_count, with each group counted as
// two touching digits counted as one where the classifier's pair reader reads it as one digit (without a pair
// reader, digit_count as it is).
int settle_digit_count(const SingleDigitInput& input, const Classifier& classifier);

// PNGs of a reading into `directory`: <stem>.5-digits.png (the grey image with each digit's box) and
// <stem>.6-digit-N.png (each 28x28, enlarged), after write_debug_images' stages. Returns the paths written.
std::vector<std::string> write_number_debug_images(const Trace& trace, const NumberReading& reading,
                                                   const std::string& directory, const std::string& stem);

}  // namespace digit
