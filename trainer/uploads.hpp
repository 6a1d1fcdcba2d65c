// Images made up as people upload them, taken the way the recognizer takes an upload: decoded to its
// working size and read to the 28x28 the network sees. Digits drawn this way (digits_as_uploads) are the
// validation digits for calibrating; negatives (negatives.hpp) and pair samples (pairs.hpp) go the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

#include "dataset.hpp"
#include "decode.hpp"
#include "image.hpp"

namespace digit {

// A grey image as decoding would give it: reduced by whole pixels to the working side.
DecodedImage decoded_as_upload(const GreyImage& grey);
// A grey image as the recognizer reads it, to the 28x28 the network would see; nullopt when the recognizer
// finds no ink in it (an upload it would refuse as blank).
std::optional<Image28> model_input(const GreyImage& grey);

// Digits drawn as uploads (enlarged, on canvas or paper, through the recognizer): validation digits that
// look like what people send, for calibrating and choosing the decision threshold. Digits the recognizer
// finds no ink in are left out. A share `in_context` of them are cut from a number (digit_in_context), a
// share `restroked` redrawn with a pen of one width (restroke).
LabelledImages digits_as_uploads(const LabelledImages& digits, std::uint32_t seed, float in_context = 0.0f,
                                 float restroked = 0.0f);

// One digit of style `style` (synth/styles.hpp) drawn as an upload (canvas or paper, a tenth with a stroke
// broken) and read by the recognizer to 28x28; nullopt when it finds no ink.
std::optional<Image28> styled_digit_as_upload(std::size_t style, std::mt19937& rng);

// `count` digits in the styles of synth/styles.hpp (each style in turn), drawn as uploads (canvas or paper,
// a tenth with a stroke broken) and read by the recognizer to 28x28. Those it finds no ink in are left out.
LabelledImages styled_digits_as_uploads(std::size_t count, std::uint32_t seed);

}  // namespace digit
