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
    double log_prior = 0.0;       // log P(text) under the text prior (0 without one)
    double log_share = 0.0;       // log of its share of the beam's readings (0 without a prior)
    std::vector<LineCharacter> characters;
};

// The strips as one batch (N, 1, kLineNetHeight, widest), normalised as the model's metadata says (MNIST's
// mean and std), the narrower ones padded with background; and each one's column count (width / 4).
void strips_to_batch(const std::vector<const Plane*>& strips, float mean, float std_dev, cnn::Tensor& batch,
                     std::vector<int>& columns);

// What numbers look like: a character n-gram model over the alphabet and the line's end, P(next character |
// the order - 1 before it), the line's start padding the context. Fitted by interpolated Kneser-Ney
// smoothing (absolute discounting, the lower orders on continuation counts, the lowest interpolated with
// the uniform) on made-up texts of what people write (digit-trainer train-prior), so every sequence keeps
// a chance and none is ruled out: a 1 between two dates' digits is likelier a slash, "-0" is followed by a
// point, a number seldom starts with a point or ends with a colon. Stored in the line reader's file as the
// table of log-probabilities (an extra tensor, "text_prior", and the metadata "prior.*").
class TextPrior {
  public:
    TextPrior() = default;
    // Throws std::invalid_argument for an order under 1 or over 6, or a text holding a character outside
    // the alphabet.
    static TextPrior fit(const std::vector<std::string>& texts, const std::string& alphabet, int order,
                         double discount = 0.75);
    // The table as stored; throws std::runtime_error when its shape does not fit the alphabet.
    static TextPrior from_table(const cnn::Tensor& table, const std::string& alphabet, int order);
    const cnn::Tensor& table() const { return table_; }

    bool empty() const { return order_ == 0; }
    int order() const { return order_; }
    // log P(label | prefix) and log P(end | sequence), labels as the line reader's classes (1 + the
    // character's place in the alphabet).
    double next(const std::vector<int>& prefix, int label) const;
    double end(const std::vector<int>& sequence) const;
    // log P(text), its end included; -infinity for a character outside the alphabet.
    double log_probability(const std::string& text) const;

  private:
    std::size_t context_of(const std::vector<int>& prefix) const;
    int order_ = 0, symbols_ = 0;  // symbols: the alphabet and the boundary (the start, the end)
    std::string alphabet_;
    cnn::Tensor table_;  // (1, 1, symbols^(order - 1), symbols) log-probabilities
};

// How the text prior is fused with the line reader's columns (prefix beam search): its weight, a bonus per
// character, the least chance a character must have at some column to be read there at all (the prior
// re-ranks what the columns hold, it does not write characters where they show none), and the beam.
struct PriorFusion {
    double weight = 0.0, bonus = 0.0;
    double floor = 1e-4;
    int beam = 8;
};

// One sample's columns of a network output (N, C, 1, T) decoded as the charset allows.
// The text's confidence is sigmoid(a * log p + c * log s + b) of its probability p summed over every
// alignment and, with a text prior, its share s of the beam's readings (each weighed by its probability
// and the prior); a, b and c fitted on validation lines (calibration.platt_a, _b; with the prior
// prior.platt_a, _b, _c; p itself when absent).
struct LineCalibration {
    float temperature = 1.0f;
    float a = 1.0f, b = 0.0f, c = 0.0f;
    bool platt = false;
    float confidence(double log_likelihood, double log_share = 0.0) const;
};
LineText decode_line(const cnn::Tensor& logits, int sample, int columns, const std::string& alphabet,
                     Charset charset, const LineCalibration& calibration = {},
                     const TextPrior* prior = nullptr, const PriorFusion& fusion = {});

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

    // The text prior decoded with (nullptr when the file holds none or it was set aside). Setting it aside
    // reads with the columns alone and the calibration fitted for them.
    const TextPrior* prior() const;
    void clear_prior();

    // The orientation model read with it: orientnet.cnn beside the file the reader was loaded from, when
    // there is one (nullptr otherwise), or the one set.
    const OrientationReader* orientation() const;
    void set_orientation(std::unique_ptr<OrientationReader> orientation);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace digit
