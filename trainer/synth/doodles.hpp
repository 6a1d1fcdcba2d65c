// Doodles drawn with a round brush: a table of named kinds, each a function that adds its strokes in a unit
// square, which draw_doodle turns, stretches and wobbles as a hand would. The table says which split lists
// each kind: the training kinds teach "not a digit", the held-out kinds measure it.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "synth/strokes.hpp"

namespace digit {

// The doodle kinds of a split ("smiley", "star", ... for training; "heart", "house", ... held out), in the
// table's order. "composition" (random shapes) and "blob" (a closed shape with bays and points) are in
// neither list: make_negatives asks for them by name, for a third of the training doodles each.
const std::vector<std::string>& doodle_kinds(NegativeSplit split);
// A doodle of `kind`, `side` px and a margin, drawn with a round brush; throws std::invalid_argument for a
// kind not in the table.
Coverage draw_doodle(const std::string& kind, int side, std::mt19937& rng);

}  // namespace digit
