// Calibration and the "not a digit" decision of a trained model: a temperature fitted on validation digits,
// a confidence threshold that accepts nearly every real digit, both written into the model's metadata; and
// the figures that judge them (expected calibration error, refusals of negatives never trained on, AUROC).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "classifier.hpp"
#include "negatives.hpp"

namespace digit {

// Expected calibration error over `bins` equal-width confidence bins: the sum over bins of the bin's share
// of answers times |accuracy - mean confidence| in it.
double expected_calibration_error(const std::vector<float>& confidence, const std::vector<bool>& correct,
                                  int bins = 15);

// Area under the ROC curve of telling `positives` from `negatives` by score (higher = positive): the
// probability that a random positive scores above a random negative, ties counting half.
double auroc(std::vector<float> positives, std::vector<float> negatives);

// The temperature (0.05 to 20) that minimises the negative log-likelihood of `labels` under
// softmax(logits / T); `outputs` logits per image.
float fit_temperature(const std::vector<float>& logits, const std::vector<std::uint8_t>& labels, int outputs);

struct CalibrateOptions {
    std::string model;
    std::string data_dir = "data/mnist";
    std::string out;  // empty: overwrite `model`
    std::string fashion_dir = kFashionMnistDir;
    std::uint64_t seed = 1;  // the training run's seed: the same validation split
    std::size_t validation = 5000;
    double accept = 0.995;               // share of validation digits (each set) the digit threshold accepts
    double low_accept = 0.998;           // share of those the low-confidence threshold accepts
    int held_out = 300;                  // held-out negatives per family for the report (0: none)
    std::size_t density_digits = 20000;  // training digits the feature density is fitted on (0: no density)
    double density_pooled = 0.3;  // the pooled covariance's share in each digit's (fit_feature_density)
    int threads = 0;
};

// The feature density's shrinkage of the covariance towards its mean variance, and the digit score's weights
// in the typicality that calibrate() tries.
constexpr double kDensityShrinkage = 0.01;
constexpr std::array<float, 6> kDensityDigitWeights = {0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};

// A Gaussian per class over `features` (one vector per label, labels below `classes`), see FeatureDensity:
// each class's covariance is its own mixed with the covariance pooled over all classes, a share `pooled` of
// the latter (1: one shared covariance), and shrunk by kDensityShrinkage towards the mean variance.
FeatureDensity fit_feature_density(const std::vector<float>& features,
                                   const std::vector<std::uint8_t>& labels, int classes, double pooled);

// Fits, chooses, reports on stdout and writes the model (atomically).
void calibrate(const CalibrateOptions& options);

}  // namespace digit
