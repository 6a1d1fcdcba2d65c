// The digit networks, defined in one place: DigitNet (the reference network the benchmarks measure) and
// the wider variants the trainer can build (digitnet-plus is the shipped model); plus the one way to read
// a model's metadata.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <cnn/cnn.hpp>

namespace digit {

// MNIST's pixel statistics: inputs are normalised as (x - mean) / std.
constexpr float kMnistMean = 0.1307f;
constexpr float kMnistStd = 0.3081f;

// Names make_network knows.
inline const char* const kArchitectures[] = {"digitnet", "digitnet-bn", "digitnet-plus"};

// DigitNet: input 1x28x28; three blocks of conv 3x3 (pad 1) + BatchNorm + ReLU + max-pool 2 with 32, 64,
// 128 channels; flatten (1152); dense 128 + ReLU + dropout 0.5; dense 10. 241,994 trainable parameters.
cnn::Sequential make_digitnet(std::uint64_t seed = 1);

// "digitnet", "digitnet-bn" (DigitNet's trunk, a wider batch-normalised head) or "digitnet-plus" (two
// more 3x3 convolutions, at 14x14 and 7x7), with `classes` outputs (10 digits, or 11 with "not a digit" for
// the wider two). Throws std::invalid_argument for other names.
cnn::Sequential make_network(const std::string& arch, std::uint64_t seed = 1, int classes = 10);

// The line reader's network: input 1 x kLineNetHeight x any width (a line's strip, make_line_strip), six
// 3x3 convolutions with BatchNorm and ReLU (32, 32, 32, 64, 64, 96 channels; max-pool 2 after the first and
// the third), each column's features folded into channels (FoldHeight), dropout 0.2 and a 1x1 convolution to
// the classes: blank, then kLineAlphabet. Output (N, 16, 1, W/4): one column per 4 px of the strip, about
// five per character. Receptive field 38 px wide.
constexpr int kLineNetHeight = 32;
constexpr std::string_view kLineAlphabet = "0123456789.,-/:";
// With `context`, the columns' features are narrowed to 128 (1x1 convolution) and read by two more
// convolutions along the columns (BatchNorm, ReLU), each answer seeing about three characters.
cnn::Sequential make_linenet(std::uint64_t seed = 1, bool context = false);

// The orientation model's network: input 1x28x28 (a glyph, orientation_glyphs); three blocks of conv 3x3
// + BatchNorm + ReLU + max-pool 2 with 16, 32, 64 channels; flatten (576); dense 64 + ReLU; dense 4 (the
// quarter turns that bring the glyph upright).
cnn::Sequential make_orientnet(std::uint64_t seed = 1);

// A model file's metadata value as a float; `fallback` when absent or not a number.
float metadata_float(const std::map<std::string, std::string>& metadata, const std::string& key,
                     float fallback);

}  // namespace digit
