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
};

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

struct EvalResult {
    double accuracy = 0;
    std::vector<std::vector<int>> confusion;  // [true][predicted]
};
// Accuracy of a model on a labelled set; inputs normalised with the model's input_mean / input_std.
EvalResult evaluate(cnn::Sequential& net, const LabelledImages& set, int threads);

}  // namespace digit
