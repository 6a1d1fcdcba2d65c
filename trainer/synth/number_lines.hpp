// Lines of text for the line reader, made up from MNIST training digits, digits in the styles people write
// (styles.hpp) and stroke-drawn marks -- decimal points and commas, minus signs, slashes, colons -- as pens
// and fingers draw them; set as numbers people write (prices, measurements, negative numbers, dates, times,
// plain digit strings, repeated digits), touching and apart, on canvas and photographed paper, and read by
// the recognizer's own steps (find_ink, line_marks, find_lines, make_line_strip) into the strip the line
// reader sees.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "image.hpp"

namespace digit {

// A random number as people write one, in the line reader's alphabet.
std::string random_number_text(std::mt19937& rng);

// The digits of a set, by label, for drawing a given digit.
struct DigitPool {
    const LabelledImages* digits = nullptr;
    std::vector<std::size_t> indices;  // which images of `digits` may be drawn
    std::vector<std::vector<std::size_t>> by_label;
    DigitPool(const LabelledImages& set, const std::vector<std::size_t>& allowed);
};

// `text` drawn as an upload (a grey image), the characters' height in px about `height`.
GreyImage draw_number(const std::string& text, const DigitPool& pool, int height, std::mt19937& rng);

struct TrainingLine {
    Plane strip;  // make_line_strip's strip
    std::string text;
};
// What a line of `text` turned upside down reads as: the characters that look like one of the alphabet
// turned (0 1 8 - / : themselves, 6 and 9 each other), in reverse order; "" when any does not (a 2, a 7, a
// point, which would stand at the top).
std::string upside_down_text(const std::string& text);

// A made-up line read to its strip; nullopt when the recognizer finds no single line in it. With chance
// `upside_down`, the strip is turned half round and its text is upside_down_text's: an upside-down line is
// no text to read upright, which is what lets the reader tell a photo taken the wrong way up. `drawn`, when
// given, receives the image drawn.
std::optional<TrainingLine> make_training_line(const DigitPool& pool, std::mt19937& rng,
                                               GreyImage* drawn = nullptr, float upside_down = 0.0f);
// `count` of them (a fixed function of `seed`, whatever `threads`); `drawn` receives every image drawn.
std::vector<TrainingLine> make_training_lines(const DigitPool& pool, std::size_t count, std::uint32_t seed,
                                              int threads, std::vector<GreyImage>* drawn = nullptr,
                                              float upside_down = 0.0f);

}  // namespace digit
