// The line reader: a convolutional network over a line's strip (make_line_strip) that gives, for every
// 4 px column of it, the chances of blank and of each character of the alphabet (models.hpp, make_linenet),
// trained with a CTC loss on whole lines (digit-trainer train-lines). Reading a line is decoding its
// columns: the best path, or a prefix beam search when the charset is narrowed to the digits; the text's
// confidence is its probability summed over every alignment, with the model's temperature; each character
// gets the columns it spans (Viterbi) and the peak chance they give it.
//
// Loaded once, then used from any number of threads (each borrows a network of its own).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <cnn/cnn.hpp>

#include "lines.hpp"

namespace digit {

// What a line may be read as: the whole alphabet ("numeric", the default) or the digits 0-9 only.
enum class Charset { numeric, digits };
// "numeric" or "digits" -> the charset; false for anything else.
bool parse_charset(const std::string& name, Charset& charset);

struct LineCharacter {
    char ch = 0;
    float confidence = 0.0f;
    int first_column = 0, last_column = 0;  // the network's columns it spans
    float x0 = 0.0f, x1 = 0.0f;             // the strip's x range those columns cover, between its neighbours
};

struct LineText {
    std::string text;
    float confidence = 0.0f;      // calibrated (LineCalibration)
    double log_likelihood = 0.0;  // log p(text | strip), every alignment summed, with the temperature
    std::vector<LineCharacter> characters;
};

// The strips as one batch (N, 1, kLineNetHeight, widest), normalised as the model's metadata says (MNIST's
// mean and std), the narrower ones padded with background; and each one's column count (width / 4).
void strips_to_batch(const std::vector<const Plane*>& strips, float mean, float std_dev, cnn::Tensor& batch,
                     std::vector<int>& columns);

// One sample's columns of a network output (N, C, 1, T) decoded as the charset allows.
// The text's confidence is sigmoid(a * log p + b) of its probability p summed over every alignment, a and b
// fitted on validation lines (calibration.platt_a, calibration.platt_b; p itself when absent).
struct LineCalibration {
    float temperature = 1.0f;
    float a = 1.0f, b = 0.0f;
    bool platt = false;
    float confidence(double log_likelihood) const;
};
LineText decode_line(const cnn::Tensor& logits, int sample, int columns, const std::string& alphabet,
                     Charset charset, const LineCalibration& calibration = {});

// Where the line reader ships: linenet.cnn in the digit model's folder.
std::string line_model_beside(const std::string& digit_model_path);

class LineReader;

// The line reader a program reads with, by one rule for the server and the trainer: `path` "none" is none;
// an empty `path` is the one beside the digit model when it is there (none when it is not); any other path
// must be a line reader. Throws std::runtime_error naming the file for a missing or bad one.
std::unique_ptr<LineReader> load_line_reader(const std::string& digit_model_path, const std::string& path);

class LineReader {
  public:
    // Throws cnn::ModelFileError for a missing or bad file, std::runtime_error for a model that is not a
    // line reader.
    explicit LineReader(const std::string& path);
    explicit LineReader(cnn::Sequential net);
    ~LineReader();
    LineReader(LineReader&&) noexcept;
    LineReader& operator=(LineReader&&) noexcept;

    std::vector<LineText> read(const std::vector<const Plane*>& strips,
                               Charset charset = Charset::numeric) const;
    LineText read(const Plane& strip, Charset charset = Charset::numeric) const;

    const std::string& alphabet() const;
    float temperature() const;
    const LineCalibration& calibration() const;
    const std::map<std::string, std::string>& metadata() const;
    std::size_t parameter_count() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace digit
