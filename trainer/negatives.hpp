// Images that are not digits, made the way people upload them: letters and symbols in handwriting fonts,
// doodles drawn with a round brush, noise textures and clothing (Fashion-MNIST), on paper or a canvas. They
// teach the network to say "not a digit" and measure how well it does. What draws them is in synth/.
//
// Every family is split into kinds used for training and kinds kept out of it (other fonts, other doodles,
// other textures, Fashion-MNIST's test split), so that what was never seen can be measured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "image.hpp"
// The families' makers, for those who draw one family themselves as make_negatives does (the suites).
#include "synth/doodles.hpp"
#include "synth/glyphs.hpp"
#include "synth/strokes.hpp"
#include "synth/surfaces.hpp"

namespace digit {

// pairs: two digits touching or overlapping, as in a number written close. A group of ink that holds two
// digits is not one digit; knowing that lets a number be cut where its pieces read as digits.
enum class NegativeFamily { letters, doodles, noise, clothing, pairs };

const char* family_name(NegativeFamily family);

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

// A set of 28x28 inputs as LabelledImages, all with `label`.
LabelledImages as_labelled(const std::vector<Image28>& images, int label);

}  // namespace digit
