// The digit classifier the server and `digit-trainer predict` share: a trained libcnn network plus the input
// normalisation it was trained with. Loaded once, then used read-only from any number of threads; each thread
// gets its own workspace.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace digit {

constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;
using Image28 = std::array<float, kImagePixels>;  // row-major, 0 = background, 1 = ink (MNIST's polarity)

struct Prediction {
    int digit = 0;
    float confidence = 0.0f;
    std::array<float, 10> probabilities{};
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

    // Architecture, parameter count, input normalisation and the training metadata stored in the model file.
    nlohmann::json info() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace digit
