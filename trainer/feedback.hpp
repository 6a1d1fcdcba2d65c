// Learning from users' corrections: `digit-trainer feedback export` takes what the server kept (POST
// /feedback) out of its database as an IDX set, and `digit-trainer finetune` teaches it to a model without
// letting it forget MNIST, keeping the new model only when it is better where it was corrected and as good
// as the shipped one on the MNIST test set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dataset.hpp"

namespace digit {

// DIR/feedback-images-idx3-ubyte and DIR/feedback-labels-idx1-ubyte: the 28x28 inputs the model saw, with
// the digit the user said; DIR/feedback.csv: one line per image (image, id, kind, label, digit, predicted,
// model_version, created_at). A number's correction gives one image per digit when its text has as many
// digits as the server read pieces; otherwise it is listed in the CSV with no image (image -1).
constexpr const char* kFeedbackImages = "feedback-images-idx3-ubyte";
constexpr const char* kFeedbackLabels = "feedback-labels-idx1-ubyte";
constexpr const char* kFeedbackCsv = "feedback.csv";

struct ExportSummary {
    std::size_t corrections = 0;  // rows read from the database
    std::size_t images = 0;       // images written
    std::size_t skipped = 0;      // numbers whose text and pieces did not match
};
// Reads every correction from the database `url` (sqlite:PATH or postgresql://...) and writes the three
// files into `out_dir` (created if missing), each atomically. Throws std::runtime_error naming the problem.
ExportSummary export_feedback(const std::string& url, const std::string& out_dir);

// The corrections of an export, split by id: a fifth of the corrections (all the images of each) held back
// to judge the fine-tuned model, the rest to teach it. Throws std::runtime_error naming a bad file.
struct FeedbackSets {
    LabelledImages teach, held_back;
    std::size_t teach_corrections = 0, held_back_corrections = 0;
};
FeedbackSets load_feedback(const std::string& dir);

struct FinetuneOptions {
    std::string model;
    std::string feedback_dir;
    std::string data_dir = "data/mnist";
    std::string out;
    int epochs = 2;
    double lr = 0.0002;
    std::size_t replay = 0;  // MNIST training digits replayed per epoch (0: all of them)
    int negatives = 2000;    // not-a-digit negatives per family replayed (a model with that output)
    int uploads = 20000;  // training digits drawn as uploads replayed (30% cut out of a number), as shipped
    int corrections_per_batch = 16;  // beside each batch of 128 digits
    int styles = -1;  // digits in the styles people write replayed; -1: as many as the model was taught
    int threads = 0;
    std::uint64_t seed = 1;
    std::size_t density_digits = 20000;  // the calibration's feature density, as the shipped recipe
    double min_mnist_accuracy = 0.996;
    bool quiet = false;
};
struct FinetuneResult {
    bool written = false;
    std::string reason;  // why not, when not
    double mnist_before = 0, mnist_after = 0, held_back_before = 0, held_back_after = 0;
    std::size_t held_back_images = 0;
};
// Fine-tunes, calibrates and judges; writes `out` (atomically) only when the new model keeps
// min_mnist_accuracy on the MNIST test set and reads the held-back corrections better than the old one.
// Prints the table of both on stdout.
FinetuneResult finetune(const FinetuneOptions& options);

}  // namespace digit
