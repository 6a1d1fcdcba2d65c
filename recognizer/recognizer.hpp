// The whole way from an uploaded file to the network's input, for the server and the command line alike:
//   bytes --decode--> grey --find_ink--> ink map --group_digits--> digit groups --normalise--> 28x28
// Each step lives in its own header with its own tests; this file strings them together and keeps what
// each produced, so that a wrong answer can be traced to the step that went wrong (write_debug_images).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "decode.hpp"
#include "digits.hpp"
#include "error.hpp"
#include "image.hpp"
#include "ink.hpp"
#include "normalise.hpp"

namespace digit {

// What every step produced for one image.
struct Trace {
    DecodedImage decoded;
    InkMap ink;
    Components components;
    std::vector<DigitGroup> groups;  // every digit-like group, left to right
    DigitGroup chosen;               // what the single-digit answer reads
};

struct SingleDigitInput {
    Image28 image{};
    Box box;              // the digit's box in the uploaded image's pixels, upright
    int digit_count = 0;  // how many digit-like groups the image holds
    // The wide fields (normalise_wide) of the groups counted as two touching digits, for the pair reader to
    // settle (settle_digit_count): a wide single digit is one.
    std::vector<ImageWide> counted_as_two;
};

// The steps every reading shares, into `trace`: the ink map, its components with the clutter marked, and the
// digit groups. Throws ImageError(empty_image) when no ink is found.
void find_digit_groups(DecodedImage decoded, Trace& trace);

// The steps after decoding. Throws ImageError(empty_image) when no ink is found.
SingleDigitInput prepare_digit(DecodedImage decoded, Trace* trace = nullptr);
// Decodes too. Throws ImageError for bad files (unsupported_media_type, image_too_large) and no ink.
SingleDigitInput prepare_digit(const void* data, std::size_t size, const DecodeOptions& options = {},
                               Trace* trace = nullptr);
// Just the 28x28 input of the single-digit answer.
Image28 preprocess_image(const void* data, std::size_t size, const DecodeOptions& options = {});

// A box of the working image in the uploaded image's pixels.
Box to_source_pixels(const DecodedImage& decoded, const Box& box);

// An RGB image (3 bytes a pixel, rows top down) as a PNG file; false when it cannot be written.
bool write_png_rgb(const std::string& path, int width, int height, const std::vector<unsigned char>& rgb);
// PNGs of each stage into `directory`: <stem>.1-grey.png (the upright grey image), <stem>.2-ink.png (ink
// strength), <stem>.3-kept.png (the mask: the chosen group white, other groups blue, clutter red, boxes
// green) and <stem>.4-input.png (the 28x28, enlarged). Returns the paths written; throws std::runtime_error
// when a file cannot be written.
std::vector<std::string> write_debug_images(const Trace& trace, const Image28* input,
                                            const std::string& directory, const std::string& stem);

}  // namespace digit
