// The pair reader's training: groups of ink that hold one digit or two written close (touching, overlapping,
// barely apart), composed from MNIST training digits, drawn on canvas or paper as uploads are, and taken
// through the recognizer to the wide field the reader sees (normalise_wide). 110 classes: the digits 0-9,
// then the pair "ab" at 10 + 10a + b.
#pragma once

#include <cstdint>
#include <string>

#include "dataset.hpp"

namespace digit {

struct PairTrainOptions {
    std::string data_dir = "data/mnist";
    std::string out = "models/pairnet.cnn";
    int epochs = 6;
    int batch_size = 128;
    double lr = 2e-3;
    std::size_t samples = 240000;    // made once from the training digits
    std::size_t validation = 10000;  // made from the validation digits (kept out of the samples' digits)
    std::size_t held_out_digits = 5000;
    std::uint64_t seed = 1;
    int threads = 0;
    bool quiet = false;
    std::string sheet;       // when set: a PNG of the first 64 training samples, their labels printed
    float restroked = 0.0f;  // the share of training groups redrawn with a pen of one width (restroke)
    float broken = 0.0f;     // the share of training groups with a stroke broken (maybe_break_stroke)
    std::string init;        // when set: training starts from this pair reader's weights
};

// `count` wide fields with their labels, made from `digits` (two threads, each with its own seeded
// source). A share `two` of them hold two digits; a share `restroked` are redrawn with a pen of one width.
// A share `broken` have a stroke broken (maybe_break_stroke).
LabelledImages make_pair_samples(const LabelledImages& digits, std::size_t count, std::uint32_t seed,
                                 float two = 0.6f, float restroked = 0.0f, float broken = 0.0f);

// Trains, fits the temperature on the validation samples, reports accuracy (answer, count, pairs) and
// writes the model atomically.
void train_pairs(const PairTrainOptions& options);

}  // namespace digit
