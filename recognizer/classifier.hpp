// Step 5: the classifier. A trained libcnn network plus the input normalisation it was trained with, both
// read from the model file, as is the number of classes. Loaded once, then used read-only from any number of
// threads; each thread gets its own workspace.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image.hpp"

namespace digit {

struct Prediction {
    int digit = 0;  // the most probable class
    float confidence = 0.0f;
    std::vector<float> probabilities;  // one per class, summing to 1
};

class Classifier {
  public:
    // Throws std::runtime_error naming the file and the problem (missing, truncated, corrupt, wrong version).
    // `warm_workspaces` inference workspaces are made and sized here (a server passes its thread count), so
    // that serving allocates nothing and resident memory stays flat from the first request on.
    explicit Classifier(const std::string& model_path, int warm_workspaces = 0);
    ~Classifier();
    Classifier(const Classifier&) = delete;
    Classifier& operator=(const Classifier&) = delete;

    Prediction predict(const Image28& image) const;                                   // thread-safe
    std::vector<Prediction> predict_batch(const std::vector<Image28>& images) const;  // thread-safe
    // The same on inputs already normalised as the model expects ((x - mean) / std, see info()): `count`
    // images of 1x28x28 floats, one after another. For callers that normalise themselves, such as the Open
    // Inference Protocol's tensors. Thread-safe.
    std::vector<Prediction> predict_normalised(const float* inputs, std::size_t count) const;

    int classes() const;

    // Architecture, parameter count, input normalisation and the training metadata stored in the model file.
    nlohmann::json info() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace digit
