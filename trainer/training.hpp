// digit-trainer's work, separate from its command line so that tests can drive it in-process.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <cnn/cnn.hpp>

#include "dataset.hpp"
#include "models.hpp"

namespace digit {

struct TrainOptions {
    std::string data_dir = "data/mnist";
    std::string out = "models/digitnet.cnn";
    std::string arch =
        "digitnet-plus";  // digitnet (the benchmarks' reference), digitnet-bn or digitnet-plus (shipped)
    int epochs = 22;
    int batch_size = 128;
    double lr = 0.0;                 // 0: the optimizer's default (Adam 2e-3, SGD 0.05)
    std::string optimizer = "adam";  // adam | adamw | sgd
    double weight_decay = 0.0;
    std::string schedule = "cosine";  // cosine | onecycle | step | constant
    bool augment = true;
    float rotation = 12.0f, zoom = 0.12f, shift = 2.5f, thickness = 0.2f, elastic = 0.0f;
    uint64_t seed = 1;
    int threads = 0;           // 0: all cores
    size_t limit = 0;          // 0: the whole training set
    size_t validation = 5000;  // images carved from the training set to choose nothing but watch
    std::string checkpoint;    // empty: <out>.ckpt
    bool resume = false;
    std::string metrics;  // JSON per-epoch figures, written after each epoch
    bool quiet = false;   // no progress bar (tests)
    // Fine-tuning: start from this model's weights (a fresh network when empty).
    std::string init;
    // Not-a-digit training: this many negatives per family (letters, doodles, noise, clothing; the training
    // kinds of negatives.hpp), half a batch of them beside each batch of digits. 0: digits only.
    int negatives = 0;
    // "exposure": negatives are taught the uniform answer (Outlier Exposure, weighted by outlier_weight);
    // "class": an eleventh output, "not a digit".
    std::string rejection = "exposure";
    float outlier_weight = 0.5f;
    std::string fashion_dir = "/usr/share/datasets/fashion-mnist";
    // This many training digits also drawn as uploads (canvas or paper, bold, faint, thumbnails, a small
    // digit in a large photo) and read by the recognizer; a quarter batch of them beside each batch.
    int uploads = 0;
    // This share of them cut out of a written number, bits of touching neighbours included.
    float uploads_in_context = 0.0f;
    // This share of them, and of the letters and pairs among the negatives, redrawn with a pen of one
    // width, from a fine pen to a felt tip.
    float uploads_restroked = 0.0f;
    // This many digits in the styles people write that MNIST's writers seldom used (synth/styles.hpp),
    // drawn as uploads; an eighth of a batch of them beside each batch.
    int styles = 0;
    // More labelled images taught beside the digits, `extra_per_batch` of them in each batch (fine-tuning on
    // users' corrections, finetune in feedback.hpp); not owned.
    const LabelledImages* extra = nullptr;
    int extra_per_batch = 32;
};

// The fixed, seeded split of a training set of `count` images that training keeps for validation: the
// last `validation` (at most a tenth) of a seeded permutation. Returns {training indices, validation
// indices}; calibration uses the same split.
std::pair<std::vector<size_t>, std::vector<size_t>> split_training_set(size_t count, size_t limit,
                                                                       size_t validation, uint64_t seed);

struct EpochFigures {
    int epoch = 0;
    double train_loss = 0, train_accuracy = 0, val_accuracy = 0, test_accuracy = 0, lr = 0, seconds = 0,
           elapsed = 0;
};

struct TrainResult {
    std::vector<EpochFigures> epochs;
    bool interrupted = false;
};

// Set from a signal handler: training stops after the current batch, writes a checkpoint and returns.
extern std::atomic<bool> g_stop_requested;

TrainResult train(const TrainOptions& options);

class Augmenter;
// Copies images order[first .. first + count) of a set into a batch tensor normalised as (x - mean) / std,
// augmenting them first when `augmenter` is given; their labels into y.
void make_batch(const LabelledImages& set, const std::vector<size_t>& order, size_t first, int count,
                const Augmenter* augmenter, uint64_t seed, float mean, float std, cnn::Tensor& x,
                std::vector<int>& y);

struct EvalResult {
    double accuracy = 0;
    std::vector<std::vector<int>> confusion;  // [true][predicted]
};
// Accuracy of a model on a labelled set; inputs normalised with the model's input_mean / input_std. A model
// with a "not a digit" output is scored on its best digit.
EvalResult evaluate(cnn::Sequential& net, const LabelledImages& set, int threads);

// The network's raw outputs for every image of a set, `classes` per image; with `layers`, the outputs of
// its first `layers` layers instead (the features a last dense layer reads: net.size() - 1).
std::vector<float> logits_of(cnn::Sequential& net, const LabelledImages& set, int threads,
                             std::size_t layers = std::size_t(-1));

}  // namespace digit
