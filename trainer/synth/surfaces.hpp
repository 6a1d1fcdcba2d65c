// Whole grey images and the ink laid on them: a web canvas or a phone photo of paper (put_on_surface),
// noise textures, small images (MNIST, Fashion-MNIST) enlarged as ink, and digits composed into numbers:
// in a row, in pairs written close, one cut from between its neighbours.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "image.hpp"
#include "synth/strokes.hpp"

namespace digit {

// Ink as it would be uploaded: a web canvas (plain, either polarity) or a phone photo of paper (uneven
// light, grain, grey ink, soft edges). Returns the grey image.
enum class Surface { canvas, paper };
GreyImage put_on_surface(const Coverage& ink, Surface surface, std::mt19937& rng);
// Canvas or paper, half each: one draw.
Surface random_surface(std::mt19937& rng);

// The noise textures of a split ("grain", "blobs", ... for training; "clouds", ... held out).
const std::vector<std::string>& noise_kinds(NegativeSplit split);
// Noise textures are whole grey images (0 = black, 1 = white), not ink.
GreyImage draw_noise(const std::string& kind, int width, int height, std::mt19937& rng);

// A small image (a 28x28 of MNIST or Fashion-MNIST, 0 = background) enlarged bilinearly to `side` px inside
// a margin of `margin` x side on every edge, as ink coverage.
Coverage enlarge(const float* pixels, int rows, int cols, int side, float margin);

// Digits of `digits` (28x28, 0 = background) in a row, each scaled and shifted up or down a little, each
// one's ink starting a gap (a fraction of the height in [gap_lo, gap_hi]; below 0 they overlap) after the
// previous one's ends; as ink coverage, the digits `height` px tall.
Coverage compose_digits(const LabelledImages& digits, const std::vector<std::size_t>& indices, int height,
                        float gap_lo, float gap_hi, std::mt19937& rng);
// Two digits of `digits` side by side, the second overlapping the first by up to a fifth of their height or
// a little apart (compose_digits).
Coverage compose_pair(const LabelledImages& digits, std::size_t first, std::size_t second, int height,
                      std::mt19937& rng);

// A digit of `digits` as a cut through a written number leaves it: written between neighbours that touch
// or overlap it, cut out at its own ink's columns give or take a little, so that bits of the neighbours'
// strokes come along. Ink coverage, the line `height` px tall.
Coverage digit_in_context(const LabelledImages& digits, std::size_t index, int height, std::mt19937& rng);

}  // namespace digit
