// Step 5: the classifier. A trained libcnn network plus the input normalisation it was trained with, both
// read from the model file, as is the number of classes. Loaded once, then used read-only from any number of
// threads; each thread gets its own workspace.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image.hpp"

namespace digit {

// Why an answer is not a digit: the network sees no digit in it, or it is torn between two digits.
enum class Rejection { none, not_a_digit, low_confidence };
const char* rejection_name(Rejection reason);  // "not_a_digit", "low_confidence" ("" for none)

struct Prediction {
    int digit = 0;            // the most probable class (the best guess, even when not a digit)
    float confidence = 0.0f;  // calibrated: of answers given with confidence 0.9, about 90% are right
    std::vector<float> probabilities;  // one per class, summing to 1
    float digit_score = 1.0f;          // how much the network takes the image for a digit at all (see decide)
    float typicality = 0.0f;  // with a feature density: how typical its features are of digits (see decide)
    bool is_digit = true;
    Rejection reason = Rejection::none;
};

// What decides "not a digit" when the model has a feature density: the typicality (the default), or the
// digit score alone, as for a piece cut out of a line of digits, whose bits of its neighbours make any
// piece look unusual; the density's work is then skipped.
enum class Decision { typicality, digit_score };

// How a model's outputs become an answer, read from its metadata. `temperature` divides the outputs before
// the softmax (fitted on validation digits; 1 when absent). A model trained with rejection "class" has one
// more output than classes, "not a digit": its digit score is the probability of all digits together, and
// the confidence of the best digit includes the share "not a digit" took; for other models the digit score
// is the confidence. Under `digit_threshold` (metadata; 0 when absent) the answer is not_a_digit; a digit
// whose confidence is under `low_confidence_threshold` (0 when absent) is low_confidence.
struct Calibration {
    float temperature = 1.0f;
    float threshold = 0.0f;
    float low_confidence = 0.0f;
    bool reject_output = false;
    // With a feature density (FeatureDensity): the not-a-digit decision is taken on the typicality, a mix of
    // the digit score and the features' density, both standardised on validation digits (see decide).
    bool typical = false;
    float digit_weight = 1.0f;  // the digit score's share of the mix; the density has the rest
    float score_mean = 0.0f, score_std = 1.0f;      // of logit(digit score) on validation digits
    float density_mean = 0.0f, density_std = 1.0f;  // of the density's log-likelihood on them
    float typical_threshold = 0.0f;                 // under it: not_a_digit
};
Calibration calibration_of(const std::map<std::string, std::string>& metadata);
// `c` with the feature density's mix and threshold read from a model's metadata (density_digit_weight,
// density_score_mean, density_score_std, density_mean, density_std, typical_threshold). Throws when they
// make no sense.
Calibration with_density(Calibration c, const std::map<std::string, std::string>& metadata);
// The `per_image` classes with the largest logits of each of `count` images (`outputs` logits each, the
// first `classes` of them candidates), likeliest first: count x per_image.
std::vector<int> likeliest_classes(const float* logits, std::size_t count, int outputs, int classes,
                                   int per_image);
// The typicality of an answer with this digit score and log_density.
float typicality(float digit_score, float log_density, const Calibration& c);

// The answer from one image's `outputs` raw network outputs. `log_density`, when the model has a feature
// density, is its log-likelihood of the image's features (FeatureDensity::log_density); then the decision
// is taken on the typicality, w (logit(digit score) - score_mean) / score_std + (1 - w) (log_density -
// density_mean) / density_std with w = digit_weight: under typical_threshold the answer is not_a_digit.
Prediction decide(const float* logits, int outputs, const Calibration& calibration,
                  const float* log_density = nullptr);

// How typical features are of digits: a Gaussian per digit over the features the network's last layer
// reads (fitted on training digits, clean and drawn as uploads). An image's log_density under digit k is
// -((f - mu_k)' P_k (f - mu_k) + log det C_k): twice the log-likelihood, up to a constant; with P_k = L_k'
// L_k, -(|L_k f - L_k mu_k|^2 + log det C_k), one d x d product. The classifier takes the largest over the
// kDensityCandidates digits the network reads likeliest (the nearest digit is nearly always among them, at
// a third of the cost of all ten). Kept in the digit model's file as three extra tensors: "density.weight"
// (the ten L_k stacked, 10d x d), "density.bias" (the ten -L_k mu_k) and "density.offset" (the ten log det
// C_k); the mix and threshold decide() uses are in the file's metadata.
constexpr int kDensityCandidates = 3;
class FeatureDensity {
  public:
    FeatureDensity() = default;
    // From the means (classes x d), the inverse covariances' factors L_k (classes x d x d, each lower
    // triangular: the inverse of a Cholesky factor) and the log determinants of the covariances (classes),
    // all row-major.
    FeatureDensity(int features, int classes, const std::vector<double>& means,
                   const std::vector<double>& whitening, const std::vector<double>& log_determinants);
    // From the tensors of a model file; an empty density when they are absent. Throws on bad shapes.
    FeatureDensity(const std::vector<std::pair<std::string, std::vector<float>>>& tensors, int features);
    bool empty() const { return features_ == 0; }
    int features() const { return features_; }
    int classes() const { return classes_; }
    // The tensors to store: {"density.weight", ...}, {"density.bias", ...}, {"density.offset", ...}.
    std::vector<std::pair<std::string, std::vector<float>>> tensors() const;
    // `count` feature vectors of features() floats -> one log_density each: the largest under the Gaussians
    // of its `per_image` entries of `digits` (below classes(); count x per_image).
    void log_density(const float* features, std::size_t count, const int* digits, int per_image,
                     float* out) const;
    // The same over the kDensityCandidates classes with the largest of each image's `outputs` logits
    // (likeliest_classes), as the classifier and calibration take it.
    void log_density_of_likeliest(const float* features, const float* logits, std::size_t count, int outputs,
                                  float* out) const;

  private:
    int features_ = 0, classes_ = 0;
    std::vector<float> weight_, bias_, offset_;  // (classes d) x d row-major; classes d; classes
};

// What the pair reader makes of a group of ink: one digit, or two written close (touching, overlapping).
struct PairPrediction {
    float two = 0.0f;                // the chance that it holds two digits
    std::array<float, 10> single{};  // given one digit: each digit's chance
    std::array<float, 100> pair{};   // given two: the chance of "ab" at 10a + b
    int best_pair = 0;               // the most probable pair, 10a + b
};

// The pair reader: a network reading a group's wide field (normalise_wide) as one of 110 answers, the ten
// digits and the hundred pairs "00" to "99". Loaded once, used read-only from any number of threads.
class PairReader {
  public:
    // Throws std::runtime_error naming the file and the problem.
    explicit PairReader(const std::string& model_path);
    ~PairReader();
    PairReader(const PairReader&) = delete;
    PairReader& operator=(const PairReader&) = delete;
    std::vector<PairPrediction> read(const std::vector<ImageWide>& images) const;  // thread-safe
    const std::string& path() const;
    std::uint32_t checksum() const;  // CRC-32 of the file's bytes as loaded
    // Parameter count, temperature and the training metadata stored in the model file.
    nlohmann::json info() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The pair reader's file beside a digit model's: the same folder, named pairnet.cnn.
std::string pair_model_beside(const std::string& model_path);

// The number model's file beside a digit model's: the same folder, named readnet.cnn.
std::string number_model_beside(const std::string& model_path);

class Classifier {
  public:
    // Throws std::runtime_error naming the file and the problem (missing, truncated, corrupt, wrong version).
    // `warm_workspaces` inference workspaces are made and sized here (a server passes its thread count), so
    // that serving allocates nothing and resident memory stays flat from the first request on. With
    // `companions`, the pair reader and the number model lying beside the file are loaded too.
    explicit Classifier(const std::string& model_path, int warm_workspaces = 0, bool companions = true);
    ~Classifier();
    Classifier(const Classifier&) = delete;
    Classifier& operator=(const Classifier&) = delete;

    Prediction predict(const Image28& image) const;  // thread-safe
    std::vector<Prediction> predict_batch(const std::vector<Image28>& images,
                                          Decision decision = Decision::typicality) const;  // thread-safe
    // The same on inputs already normalised as the model expects ((x - mean) / std, see info()): `count`
    // images of 1x28x28 floats, one after another. For callers that normalise themselves, such as the Open
    // Inference Protocol's tensors. Thread-safe.
    std::vector<Prediction> predict_normalised(const float* inputs, std::size_t count,
                                               Decision decision = Decision::typicality) const;

    // The pair reader, when a pair model lies beside the model file (pair_model_beside); else null.
    const PairReader* pairs() const;
    // The digit model a number's pieces are read with: the number model, when one lies beside the model file
    // (number_model_beside); else this one.
    const Classifier& numbers() const;
    // Pieces of a number (read_number's batches), judged by the digit score (Decision::digit_score): read by
    // the number model, and not_a_digit when either model takes a piece for no digit. Thread-safe.
    std::vector<Prediction> read_pieces(const std::vector<Image28>& images) const;

    int classes() const;  // answer classes (without a "not a digit" output)
    const Calibration& calibration() const;

    // Architecture, parameter count, input normalisation and the training metadata stored in the model file.
    nlohmann::json info() const;
    // The model file's name and a checksum of the files loaded ("digitnet.cnn@1f2e3d4c"): what answers
    // carry as model_version, so that a correction says which model it corrects.
    const std::string& version() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace digit
