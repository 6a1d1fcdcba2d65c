// digit-trainer train-lines: the line reader (models.hpp, make_linenet) trained with a CTC loss on lines
// made up from MNIST's training digits, digits in the styles people write and stroke-drawn marks
// (synth/lines.hpp), read to their strips by the recognizer's own steps. Lines are batched with lines of
// about their width (padded to the widest of the batch; the padding's columns get no gradient). Validation
// lines are drawn from the digits training keeps back for validation; test digits are never used. After
// training, the confidence is fitted on the validation lines (Platt scaling of log p(text)) and saved with
// the model (calibration.platt_a, calibration.platt_b).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <cnn/cnn.hpp>

#include "synth/number_lines.hpp"

namespace digit {

struct LineTrainOptions {
    std::string data_dir = "data/mnist";
    std::string out = "models/linenet.cnn";
    std::string init;  // start from this line reader's weights
    int epochs = 8;
    int batch_size = 32;
    double lr = 1e-3;
    std::size_t lines = 60000;  // made-up training lines (a fresh set each epoch from the same digits)
    std::size_t validation_lines = 2000;  // from the validation digits
    std::size_t limit = 0;                // digits of the training set used (0: all)
    bool context = false;                 // the wider network (make_linenet's context)
    double upside_down = 0.1;  // the share of training lines turned half round, read as what they look like
    std::uint64_t seed = 1;
    int threads = 0;
    std::string metrics;
    bool quiet = false;
    bool calibrate_only = false;  // no training: --init's model calibrated on the validation lines
};

struct LineEpoch {
    int epoch = 0;
    double loss = 0, val_exact = 0, val_char_error = 0, seconds = 0, lines_per_s = 0;
};

struct LineTrainResult {
    std::vector<LineEpoch> epochs;
};

LineTrainResult train_lines(const LineTrainOptions& options);

// What a line reader reads of made-up lines: exact matches, the character error rate (edit distance over
// the truth's length), the texts and their confidences.
struct LineEvaluation {
    double exact = 0, char_error = 0;
    std::vector<std::string> read;
    std::vector<double> log_likelihood;  // at temperature 1
};
LineEvaluation evaluate_lines(cnn::Sequential& net, const std::vector<TrainingLine>& lines);

// The edit distance between two strings.
int edit_distance(const std::string& a, const std::string& b);

}  // namespace digit

namespace digit {

// digit-trainer train-orientation: the orientation model (models.hpp, make_orientnet) trained on the glyphs
// of made-up lines (the line reader's, some skewed up to 25 degrees), each turned a random quarter turn and
// labelled with the turn that brings it upright. Validation lines are drawn from the digits training keeps
// back; each is turned as a whole and judged by its glyphs together, as /read judges an upload. The
// temperature is fitted on the validation glyphs.
struct OrientationTrainOptions {
    std::string data_dir = "data/mnist";
    std::string out = "models/orientnet.cnn";
    int epochs = 4;
    int batch_size = 128;
    double lr = 2e-3;
    std::size_t lines = 40000;            // made-up lines whose glyphs are the training set
    std::size_t validation_lines = 2000;  // from the validation digits
    std::uint64_t seed = 1;
    int threads = 0;
    bool quiet = false;
};

struct OrientationTrainResult {
    double glyph_accuracy = 0, line_accuracy = 0;
    std::size_t glyphs = 0;
};
OrientationTrainResult train_orientation(const OrientationTrainOptions& options);

}  // namespace digit

namespace digit {

// digit-trainer train-prior: the text prior of the line reader (line_reader.hpp, TextPrior), a character
// n-gram model fitted on made-up texts of the kinds train-lines draws (random_number_text: plain strings,
// prices, negative numbers, dates, times, fractions, and strings of anything), never on a test set. Its
// weight and bonus in the beam search are chosen as the pair that reads most validation lines (drawn from
// the validation digits) exactly, then the confidence is fitted on those lines with the prior (Platt
// scaling of log p and of the reading's share of the beam). Written into the line reader's file.
struct PriorTrainOptions {
    std::string data_dir = "data/mnist";
    std::string model = "models/linenet.cnn";  // the line reader, read and written
    std::string out;                           // default: model
    std::size_t texts = 400000;
    int order = 4;
    double discount = 0.75;
    std::size_t validation_lines = 6000;
    std::uint64_t seed = 1;  // the line reader's training seed (its validation digits)
    int threads = 0;
    double plain_share = 0.3;        // a share of the texts replaced by plain digit strings of 1-10 digits
    double weight = -1, bonus = -1;  // both >= 0: these, no search
    double floor = 0.01;             // the least chance at a column a character is read with
};

struct PriorChoice {
    double weight = 0, bonus = 0, exact = 0;
};
struct PriorTrainResult {
    double exact_without = 0;  // the validation lines read exactly by the best path, no prior
    PriorChoice chosen;
    std::vector<PriorChoice> grid;
};
PriorTrainResult train_prior(const PriorTrainOptions& options);

}  // namespace digit
