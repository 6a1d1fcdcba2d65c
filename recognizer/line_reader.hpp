// The line reader: a convolutional network over a line's strip (make_line_strip) that gives, for every
// 4 px column of it, the chances of blank and of each character of the alphabet (models.hpp, make_linenet),
// trained with a CTC loss on whole lines (digit-trainer train-lines). Reading a line is decoding its
// columns: the best path, or a prefix beam search when the charset is narrowed to the digits; the text's
// confidence is its probability summed over every alignment, with the model's temperature; each character
// gets the columns it spans (Viterbi) and the peak chance they give it.
//
// Loaded once, then used from any number of threads (each borrows a network of its own).
#pragma once

#include <array>
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

// Which way up the ink is, from the shapes of its characters: a small network over one glyph (a component
// of a character's size, normalised as the digit classifier sees a digit) that gives the chances of the
// four quarter turns (turn_ink's) that bring it upright (models.hpp, make_orientnet; digit-trainer
// train-orientation). A 0, an 8 or a minus tells little; a 2, a 7 or a 4 tells at once. The glyphs of an
// image are taken to share one turn, so their log-chances add up.
//
// Where it ships: orientnet.cnn beside the line reader.
std::string orientation_model_beside(const std::string& line_model_path);

// At most this many glyphs are judged per image (the largest).
constexpr std::size_t kOrientationGlyphs = 24;
// The components whose shape can tell the turn: not clutter, not `skipped`, their longer side at least 0.45
// of the tall ones' (a point or a speck tells nothing); each normalised as a digit. The same steps make the
// model's training glyphs.
std::vector<Image28> orientation_glyphs(const InkMap& ink, const Components& components,
                                        const std::vector<std::uint8_t>* skipped = nullptr);
// A glyph turned by `quarter` quarter turns the way turn_ink turns an image.
Image28 turn_glyph(const Image28& glyph, int quarter);

class OrientationReader {
  public:
    // Throws cnn::ModelFileError for a missing or bad file, std::runtime_error for a model that is not one.
    explicit OrientationReader(const std::string& path);
    explicit OrientationReader(cnn::Sequential net);
    ~OrientationReader();

    // Per glyph, log p(quarter) for the quarter turns 0-3 that bring it upright, with the model's
    // temperature.
    std::vector<std::array<double, 4>> read(const std::vector<Image28>& glyphs) const;
    // The chance of each turn for the glyphs together (their log-chances summed, with `log_prior`), which
    // sums to 1; the prior alone when there are no glyphs.
    std::array<double, 4> turn_chances(const std::vector<Image28>& glyphs,
                                       const std::array<double, 4>& log_prior) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

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

    // The orientation model read with it: orientnet.cnn beside the file the reader was loaded from, when
    // there is one (nullptr otherwise), or the one set.
    const OrientationReader* orientation() const;
    void set_orientation(std::unique_ptr<OrientationReader> orientation);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace digit
