// digit-trainer: train, evaluate and use digit models from the command line (train, eval, predict, read), and
// learn from users' corrections (feedback export, finetune).
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "calibrate.hpp"
#include "classifier.hpp"
#include "dataset.hpp"
#include "feedback.hpp"
#include "line_training.hpp"
#include "lines.hpp"
#include "numbers.hpp"
#include "pairs.hpp"
#include "recognizer.hpp"
#include "synth/styles.hpp"
#include "text_reading.hpp"
#include "training.hpp"
#include "uploads.hpp"

namespace {

void request_stop(int) {
    digit::g_stop_requested = true;
}

int run_eval(const std::string& model_path, const std::string& data_dir, bool confusion, int threads) {
    cnn::Sequential net = cnn::load(model_path);
    digit::Dataset data = digit::load_dataset(data_dir);
    digit::EvalResult r = digit::evaluate(net, data.test, threads);
    if (confusion) {
        std::printf("confusion matrix (rows: true digit, columns: predicted)\n     ");
        for (size_t p = 0; p < r.confusion.size(); ++p) std::printf("%6zu", p);
        std::printf("\n");
        for (size_t t = 0; t < r.confusion.size(); ++t) {
            std::printf("%4zu ", t);
            for (int v : r.confusion[t]) std::printf("%6d", v);
            std::printf("\n");
        }
    }
    std::printf("test images: %zu\n", data.test.count);
    std::printf("accuracy: %.4f\n", r.accuracy);
    return 0;
}

// The file name without its folders and extension: the stem of its debug pictures.
std::string stem_of(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.find_last_of('.');
    if (dot != std::string::npos && dot > 0) name.resize(dot);
    return name.empty() ? "image" : name;
}

// The bytes of an image file; false (and a message on stderr) when it cannot be read.
bool read_image_file(const std::string& path, std::vector<char>& bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "%s: cannot open the image (missing or unreadable)\n", path.c_str());
        return false;
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

// Reads each image file and hands its bytes and a fresh Trace to `read_one`; a file that cannot be opened or
// read (ImageError) gets its one-line error, and with --debug-dir the pictures of the steps it reached.
// Exit status 1 when any image failed.
template <typename ReadOne>
int for_each_image(const std::vector<std::string>& images, const std::string& debug_dir, ReadOne read_one) {
    int failures = 0;
    for (const std::string& path : images) {
        std::vector<char> bytes;
        if (!read_image_file(path, bytes)) {
            ++failures;
            continue;
        }
        digit::Trace trace;
        try {
            read_one(path, bytes, trace);
        } catch (const digit::ImageError& e) {
            if (!debug_dir.empty()) digit::write_debug_images(trace, nullptr, debug_dir, stem_of(path));
            std::fprintf(stderr, "%s: %s\n", path.c_str(), e.what());
            ++failures;
        }
    }
    return failures ? 1 : 0;
}

int run_predict(const std::string& model_path, const std::vector<std::string>& images,
                const std::string& debug_dir) {
    const digit::Classifier classifier(model_path);
    return for_each_image(
        images, debug_dir, [&](const std::string& path, const std::vector<char>& bytes, digit::Trace& trace) {
            const digit::SingleDigitInput input =
                digit::prepare_digit(bytes.data(), bytes.size(), {}, &trace);
            if (!debug_dir.empty()) digit::write_debug_images(trace, &input.image, debug_dir, stem_of(path));
            const digit::Prediction p = classifier.predict(input.image);
            if (p.is_digit)
                std::printf("%s: %d (confidence %.3f)\n", path.c_str(), p.digit, p.confidence);
            else
                std::printf("%s: not a digit (%s; best guess %d, confidence %.3f)\n", path.c_str(),
                            digit::rejection_name(p.reason), p.digit, p.confidence);
        });
}

int run_read(const std::string& model_path, const std::vector<std::string>& images,
             const std::string& debug_dir, const std::string& line_model, const std::string& charset_name) {
    const digit::Classifier classifier(model_path);
    digit::Charset charset = digit::Charset::numeric;
    if (!digit::parse_charset(charset_name, charset))
        throw std::runtime_error("--charset " + charset_name + ": digits or numeric");
    const std::unique_ptr<digit::LineReader> reader = digit::load_line_reader(model_path, line_model);
    return for_each_image(
        images, debug_dir, [&](const std::string& path, const std::vector<char>& bytes, digit::Trace& trace) {
            if (!reader) {  // the old route: digit groups, cuts and the pair reader
                const digit::NumberReading reading =
                    digit::read_number(bytes.data(), bytes.size(), classifier, {}, &trace);
                if (!debug_dir.empty())
                    digit::write_number_debug_images(trace, reading, debug_dir, stem_of(path));
                std::printf("%s: %s (confidence %.2f)\n", path.c_str(), reading.text.c_str(),
                            reading.confidence);
                return;
            }
            digit::find_text(bytes.data(), bytes.size(), {}, trace);
            const digit::TextReading reading = digit::read_text(trace, *reader, classifier, charset);
            if (!debug_dir.empty()) {
                digit::write_debug_images(trace, nullptr, debug_dir, stem_of(path));
                digit::write_text_debug_images(reading, debug_dir, stem_of(path));
            }
            std::string turned;
            if (reading.orientation != 0)
                turned = ", turned " + std::to_string(reading.orientation) + " degrees";
            for (std::size_t l = 0; l < reading.lines.size(); ++l) {
                if (l == 0)
                    std::printf("%s: %s (confidence %.2f%s)\n", path.c_str(), reading.lines[0].text.c_str(),
                                reading.confidence, turned.c_str());
                else
                    std::printf("%*s%s (line %zu, confidence %.2f)\n", int(path.size()) + 2, "",
                                reading.lines[l].text.c_str(), l + 1, reading.lines[l].confidence);
            }
        });
}

// A PNG of what the network is taught of each style (synth/styles.hpp): a row per style, `per_style` of its
// digits drawn as uploads and read to 28x28, ink white on black; the rows' styles printed.
int run_styles_sheet(const std::string& path, int per_style, std::uint32_t seed) {
    const std::vector<digit::DigitStyle>& styles = digit::digit_styles();
    const int cell = digit::kImageSide + 2, w = per_style * cell, h = int(styles.size()) * cell;
    std::vector<unsigned char> px(std::size_t(w) * std::size_t(h) * 3, 90);
    for (std::size_t s = 0; s < styles.size(); ++s) {
        std::mt19937 rng(seed * 1000 + std::uint32_t(s));
        for (int k = 0; k < per_style; ++k) {
            const std::optional<digit::Image28> input = digit::styled_digit_as_upload(s, rng);
            for (int y = 0; y < digit::kImageSide; ++y)
                for (int x = 0; x < digit::kImageSide; ++x) {
                    const float v = input ? (*input)[std::size_t(y * digit::kImageSide + x)] : 0.0f;
                    const std::size_t at = (std::size_t(int(s) * cell + 1 + y) * std::size_t(w) +
                                            std::size_t(k * cell + 1 + x)) *
                                           3;
                    px[at] = px[at + 1] = px[at + 2] = (unsigned char)(std::lround(255 * v));
                }
        }
        std::printf("row %zu: %s (%d)\n", s + 1, styles[s].name, styles[s].digit);
    }
    if (!digit::write_png_rgb(path, w, h, px)) throw std::runtime_error(path + ": cannot write the sheet");
    return 0;
}

// A sheet of made-up training lines as the line reader sees them (their strips), one per row, the text of
// each printed.
int run_lines_sheet(const std::string& data_dir, const std::string& path, int count, std::uint32_t seed,
                    const std::string& images_dir) {
    const digit::Dataset data = digit::load_dataset(data_dir);
    std::vector<std::size_t> all(data.train.count);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const digit::DigitPool pool(data.train, all);
    std::vector<digit::GreyImage> drawn;
    const auto lines = digit::make_training_lines(pool, std::size_t(count), seed, 2, &drawn);
    for (std::size_t i = 0; i < drawn.size() && !images_dir.empty(); ++i) {
        std::vector<unsigned char> rgb;
        for (float v : drawn[i].v)
            rgb.insert(rgb.end(), 3, (unsigned char)std::lround(255 * std::clamp(v, 0.0f, 1.0f)));
        const std::string file = images_dir + "/line-" + std::to_string(i + 1) + ".png";
        if (!digit::write_png_rgb(file, drawn[i].width, drawn[i].height, rgb))
            throw std::runtime_error(file + ": cannot write");
    }
    int w = 1;
    for (const auto& l : lines) w = std::max(w, l.strip.width + 2);
    const int h = int(lines.size()) * (digit::kLineHeight + 2) + 1;
    std::vector<unsigned char> px(std::size_t(w) * std::size_t(h) * 3, 60);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        for (int y = 0; y < digit::kLineHeight; ++y)
            for (int x = 0; x < lines[i].strip.width; ++x) {
                const std::size_t at =
                    (std::size_t(int(i) * (digit::kLineHeight + 2) + 1 + y) * std::size_t(w) +
                     std::size_t(x + 1)) *
                    3;
                px[at] = px[at + 1] = px[at + 2] = (unsigned char)(std::lround(255 * lines[i].strip(x, y)));
            }
        std::printf("row %zu: %s\n", i + 1, lines[i].text.c_str());
    }
    std::printf("%zu of %d lines made\n", lines.size(), count);
    if (!digit::write_png_rgb(path, w, h, px)) throw std::runtime_error(path + ": cannot write the sheet");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"digit-trainer: train, evaluate and run handwritten-digit models"};
    app.require_subcommand(1);

    digit::TrainOptions t;
    auto* train = app.add_subcommand("train", "train a model on an IDX image set (MNIST by default)");
    train->add_option("--data", t.data_dir, "folder with the IDX files (raw or .gz)")->required();
    train->add_option("--out", t.out, "where to write the model")->required();
    train->add_option("--epochs", t.epochs, "passes over the training set")->capture_default_str();
    train->add_option("--batch-size", t.batch_size, "images per step")->capture_default_str();
    train->add_option("--lr", t.lr, "learning rate (default: adam 2e-3, sgd 0.05)");
    train->add_option("--optimizer", t.optimizer, "adam, adamw or sgd")->capture_default_str();
    train->add_option("--weight-decay", t.weight_decay, "L2 (adam, sgd) or decoupled (adamw) weight decay");
    train->add_option("--schedule", t.schedule, "cosine, onecycle, step or constant")->capture_default_str();
    train->add_option("--arch", t.arch, "digitnet, digitnet-bn or digitnet-plus")->capture_default_str();
    train->add_flag("!--no-augment", t.augment, "train on the images as they are");
    train->add_option("--rotation", t.rotation, "augmentation: max rotation, degrees")->capture_default_str();
    train->add_option("--zoom", t.zoom, "augmentation: max zoom, fraction")->capture_default_str();
    train->add_option("--shift", t.shift, "augmentation: max shift, pixels")->capture_default_str();
    train->add_option("--thickness", t.thickness, "augmentation: chance of a stroke-thickness change")
        ->capture_default_str();
    train->add_option("--elastic", t.elastic, "augmentation: elastic distortion alpha (0: off)")
        ->capture_default_str();
    train->add_option("--seed", t.seed, "seed of every random choice")->capture_default_str();
    train->add_option("--threads", t.threads, "threads (default: all cores)");
    train->add_option("--limit", t.limit, "train on the first N images only");
    train->add_option("--validation", t.validation, "images carved from the training set for validation")
        ->capture_default_str();
    train->add_option("--checkpoint", t.checkpoint, "checkpoint file (default: OUT.ckpt)");
    train->add_flag("--resume", t.resume, "continue from the checkpoint");
    train->add_option("--metrics", t.metrics, "write per-epoch figures as JSON here");
    train->add_flag("--quiet", t.quiet, "no progress bar");
    train->add_option("--init", t.init, "start from this model's weights (fine-tuning)");
    train
        ->add_option(
            "--negatives", t.negatives,
            "not-a-digit training: negatives per family (letters, doodles, noise, clothing); 0: none")
        ->capture_default_str();
    train
        ->add_option("--rejection", t.rejection,
                     "how negatives are taught: exposure (the uniform answer) or class (an 11th output)")
        ->capture_default_str();
    train->add_option("--outlier-weight", t.outlier_weight, "weight of the negatives' loss (exposure)")
        ->capture_default_str();
    train
        ->add_option("--uploads", t.uploads,
                     "also train on this many training digits drawn as uploads and read by the recognizer")
        ->capture_default_str();
    train
        ->add_option("--uploads-in-context", t.uploads_in_context,
                     "share of those uploads cut out of a written number, with bits of touching neighbours")
        ->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    train
        ->add_option(
            "--uploads-restroked", t.uploads_restroked,
            "share of those uploads, and of the letters and pairs among the negatives, redrawn with a "
            "pen of one width (a fine pen to a felt tip)")
        ->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    train->add_option("--fashion-dir", t.fashion_dir, "Fashion-MNIST IDX folder (clothing negatives)")
        ->capture_default_str();

    train
        ->add_option("--styles", t.styles,
                     "also train on this many digits drawn in the styles people write that MNIST seldom has "
                     "(flagged and footed 1s, 7s with a bar, open 4s, ...; see digit-trainer styles)")
        ->capture_default_str();

    std::string styles_sheet;
    int styles_per_row = 12;
    std::uint32_t styles_seed = 1;
    auto* styles = app.add_subcommand("styles", "a picture of the digit styles the trainer draws (--styles)");
    styles->add_option("--sheet", styles_sheet, "write a PNG here: a row per style, as the network sees them")
        ->required();
    styles->add_option("--per-style", styles_per_row, "digits per style")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    styles->add_option("--seed", styles_seed, "random seed")->capture_default_str();

    digit::PairTrainOptions pt;
    auto* train_pairs = app.add_subcommand(
        "train-pairs", "train the pair reader, which tells one digit from two written close and reads both");
    train_pairs->add_option("--data", pt.data_dir, "MNIST folder (training digits only)")->required();
    train_pairs->add_option("--out", pt.out, "where to write the model (beside the digit model: pairnet.cnn)")
        ->capture_default_str();
    train_pairs->add_option("--epochs", pt.epochs, "passes over the samples")->capture_default_str();
    train_pairs->add_option("--samples", pt.samples, "training samples made")->capture_default_str();
    train_pairs->add_option("--validation", pt.validation, "validation samples made")->capture_default_str();
    train_pairs->add_option("--lr", pt.lr, "learning rate (Adam, cosine schedule)")->capture_default_str();
    train_pairs->add_option("--batch-size", pt.batch_size, "samples per step")->capture_default_str();
    train_pairs->add_option("--seed", pt.seed, "seed of every random choice")->capture_default_str();
    train_pairs->add_option("--threads", pt.threads, "threads (default: all cores)");
    train_pairs->add_flag("--quiet", pt.quiet, "no progress bar");
    train_pairs->add_option("--sheet", pt.sheet, "write a PNG of the first 64 training samples here");
    train_pairs
        ->add_option("--restroked", pt.restroked,
                     "the share of training groups redrawn with a pen of one width, 3-10% of their height")
        ->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    train_pairs
        ->add_option(
            "--broken", pt.broken,
            "the share of training groups with a stroke broken, as where a pen lifted or ink ran faint")
        ->check(CLI::Range(0.0f, 1.0f))
        ->capture_default_str();
    train_pairs->add_option("--init", pt.init, "start from this pair reader's weights")
        ->check(CLI::ExistingFile);

    digit::LineTrainOptions lt;
    auto* train_lines = app.add_subcommand(
        "train-lines", "train the line reader of /read (CTC) on lines made up from MNIST training digits");
    train_lines->add_option("--data", lt.data_dir, "the MNIST folder")->required();
    train_lines->add_option("--out", lt.out, "where to write the line reader")->required();
    train_lines->add_option("--epochs", lt.epochs, "epochs")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    train_lines->add_option("--batch-size", lt.batch_size, "lines per step")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    train_lines->add_option("--lr", lt.lr, "Adam learning rate, cosine decay")->capture_default_str();
    train_lines->add_option("--lines", lt.lines, "made-up training lines per epoch (a fresh set each epoch)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(10000000)));
    train_lines
        ->add_option("--validation-lines", lt.validation_lines, "lines made from the validation digits")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(1000000)));
    train_lines->add_option("--limit", lt.limit, "training digits used (0: all)")->capture_default_str();
    train_lines->add_option("--init", lt.init, "start from this line reader's weights")
        ->check(CLI::ExistingFile);
    train_lines
        ->add_option("--upside-down", lt.upside_down,
                     "share of training lines turned half round (read as what they then look like, mostly "
                     "nothing)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.5));
    train_lines->add_flag(
        "--context", lt.context,
        "the wider network: two more convolutions along the columns, each answer seeing about "
        "three characters");
    train_lines->add_option("--seed", lt.seed, "random seed")->capture_default_str();
    train_lines->add_option("--threads", lt.threads, "threads (default: all cores)");
    train_lines->add_option("--metrics", lt.metrics, "write per-epoch figures as JSON here");
    train_lines->add_flag("--quiet", lt.quiet, "no progress bar");
    train_lines->add_flag(
        "--calibrate-only", lt.calibrate_only,
        "no training: fit the confidence of --init's model on the validation lines and write it");

    digit::PriorTrainOptions pr;
    auto* train_prior = app.add_subcommand(
        "train-prior",
        "fit the line reader's text prior (what numbers look like) and its weight, into its file");
    train_prior->add_option("--data", pr.data_dir, "the MNIST folder (validation lines from training digits)")
        ->required();
    train_prior->add_option("--model", pr.model, "the line reader (linenet.cnn)")
        ->required()
        ->check(CLI::ExistingFile);
    train_prior->add_option("--out", pr.out, "where to write it (default: --model)");
    train_prior->add_option("--texts", pr.texts, "made-up texts the n-gram model is counted on")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(100000000)));
    train_prior->add_option("--order", pr.order, "characters seen together (the n of the n-gram)")
        ->capture_default_str()
        ->check(CLI::Range(1, 5));
    train_prior->add_option("--discount", pr.discount, "Kneser-Ney's absolute discount")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 0.99));
    train_prior
        ->add_option("--validation-lines", pr.validation_lines,
                     "lines from the validation digits that choose the weight and fit the confidence")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(10), std::size_t(1000000)));
    train_prior->add_option("--seed", pr.seed, "the line reader's training seed (its validation digits)")
        ->capture_default_str();
    train_prior->add_option("--threads", pr.threads, "threads (default: all cores)");
    train_prior
        ->add_option("--plain-share", pr.plain_share,
                     "share of the texts replaced by plain strings of 1-10 random digits")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    train_prior
        ->add_option("--floor", pr.floor,
                     "the least chance a character must have at some column to be read (the prior "
                     "re-ranks, it writes no character where the columns show none)")
        ->capture_default_str()
        ->check(CLI::Range(1e-9, 0.5));
    train_prior->add_option("--weight", pr.weight, "the prior's weight (with --bonus: no search)")
        ->check(CLI::Range(0.0, 10.0));
    train_prior->add_option("--bonus", pr.bonus, "the bonus per character (with --weight: no search)")
        ->check(CLI::Range(0.0, 20.0));

    digit::OrientationTrainOptions ot;
    auto* train_orientation = app.add_subcommand("train-orientation",
                                                 "train the orientation model of /read, which tells from the "
                                                 "characters' shapes which way up they are");
    train_orientation->add_option("--data", ot.data_dir, "the MNIST folder (training digits only)")
        ->required();
    train_orientation
        ->add_option("--out", ot.out, "where to write the model (beside the line reader: orientnet.cnn)")
        ->capture_default_str();
    train_orientation->add_option("--epochs", ot.epochs, "passes over the glyphs")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    train_orientation->add_option("--lines", ot.lines, "made-up lines whose glyphs are the training set")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(10000000)));
    train_orientation
        ->add_option("--validation-lines", ot.validation_lines, "lines made from the validation digits")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(1000000)));
    train_orientation->add_option("--lr", ot.lr, "learning rate (Adam, cosine schedule)")
        ->capture_default_str();
    train_orientation->add_option("--batch-size", ot.batch_size, "glyphs per step")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    train_orientation->add_option("--seed", ot.seed, "random seed")->capture_default_str();
    train_orientation->add_option("--threads", ot.threads, "threads (default: all cores)");
    train_orientation->add_flag("--quiet", ot.quiet, "no progress bar");

    std::string lines_sheet, lines_data;
    int lines_count = 40;
    std::uint32_t lines_seed = 1;
    auto* lines_cmd = app.add_subcommand("lines", "show the made-up lines train-lines teaches, as strips");
    lines_cmd->add_option("--data", lines_data, "the MNIST folder")->required();
    lines_cmd->add_option("--sheet", lines_sheet, "PNG to write")->required();
    lines_cmd->add_option("--count", lines_count, "lines")->capture_default_str()->check(CLI::Range(1, 2000));
    lines_cmd->add_option("--seed", lines_seed, "random seed")->capture_default_str();
    std::string lines_images;
    lines_cmd->add_option("--images", lines_images, "also write each line as drawn (PNG) into this folder")
        ->check(CLI::ExistingDirectory);

    digit::CalibrateOptions c;
    auto* calibrate = app.add_subcommand(
        "calibrate",
        "fit the temperature and the not-a-digit threshold on validation digits, into the model");
    calibrate->add_option("--model", c.model, "model file")->required();
    calibrate->add_option("--data", c.data_dir, "the MNIST folder the model was trained on")->required();
    calibrate->add_option("--out", c.out, "where to write the calibrated model (default: --model)");
    calibrate->add_option("--seed", c.seed, "the training run's seed (its validation split)")
        ->capture_default_str();
    calibrate->add_option("--accept", c.accept, "share of validation digits the threshold accepts")
        ->capture_default_str();
    calibrate
        ->add_option("--low-accept", c.low_accept,
                     "share of the accepted validation digits the low-confidence threshold accepts")
        ->capture_default_str();
    calibrate->add_option("--held-out", c.held_out, "held-out negatives per family to report on")
        ->capture_default_str();
    calibrate
        ->add_option(
            "--density-digits", c.density_digits,
            "training digits the feature density is fitted on, each also drawn as an upload (0: none)")
        ->capture_default_str();
    calibrate
        ->add_option(
            "--density-pooled", c.density_pooled,
            "share of the covariance pooled over all digits in each digit's Gaussian (1: one shared)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    calibrate->add_option("--fashion-dir", c.fashion_dir, "Fashion-MNIST IDX folder")->capture_default_str();
    calibrate->add_option("--threads", c.threads, "threads (default: all cores)");

    std::string model, data_dir;
    bool confusion = false;
    int eval_threads = 0;
    auto* eval = app.add_subcommand("eval", "accuracy of a model on the test set of an IDX image set");
    eval->add_option("--model", model, "model file")->required();
    eval->add_option("--data", data_dir, "folder with the IDX files")->required();
    eval->add_flag("--confusion", confusion, "print the confusion matrix");
    eval->add_option("--threads", eval_threads, "threads (default: all cores)");

    std::vector<std::string> images;
    auto* predict = app.add_subcommand("predict", "classify image files (PNG, JPEG, BMP, GIF)");
    predict->add_option("--model", model, "model file")->required();
    predict->add_option("images", images, "image files")->required();
    std::string debug_dir;
    predict->add_option("--debug-dir", debug_dir,
                        "write PNGs of each stage per image (grey, ink, kept, 28x28) here");

    auto* read = app.add_subcommand("read", "read a whole number written in one line in image files");
    read->add_option("--model", model, "model file")->required();
    read->add_option("images", images, "image files")->required();
    read->add_option(
        "--debug-dir", debug_dir,
        "write PNGs per image (grey, ink, kept, the lines and characters, each line's strip) here");
    std::string line_model, charset_name = "numeric";
    read->add_option(
        "--line-model", line_model,
        "the line reader (default: linenet.cnn beside --model; none: the old route, digits only)");
    read->add_option("--charset", charset_name, "numeric (0-9 . , - / :) or digits (0-9 only)")
        ->capture_default_str();

    // Users' corrections: out of the server's database, and into a model.
    auto* feedback =
        app.add_subcommand("feedback", "users' corrections kept by digit-server (POST /feedback)");
    feedback->require_subcommand(1);
    std::string feedback_db, feedback_out;
    auto* feedback_export = feedback->add_subcommand(
        "export", "write the corrections as IDX images and labels, and a CSV of them");
    feedback_export
        ->add_option("--db", feedback_db, "the server's --feedback-db: sqlite:PATH or postgresql://...")
        ->required();
    feedback_export->add_option("--out", feedback_out, "folder to write into (created if missing)")
        ->required();

    digit::FinetuneOptions ft;
    auto* finetune = app.add_subcommand(
        "finetune",
        "fine-tune a model on exported corrections with MNIST replayed; write it only if it is better");
    finetune->add_option("--model", ft.model, "the model the corrections correct")->required();
    finetune->add_option("--feedback", ft.feedback_dir, "a folder written by feedback export")->required();
    finetune->add_option("--data", ft.data_dir, "the MNIST folder (replayed, and the test set judged on)")
        ->required();
    finetune->add_option("--out", ft.out, "the fine-tuned model, written only when it is better")->required();
    finetune->add_option("--epochs", ft.epochs, "epochs over the replayed MNIST digits")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    finetune->add_option("--lr", ft.lr, "Adam learning rate, cosine decay")->capture_default_str();
    finetune->add_option("--replay", ft.replay, "MNIST training digits per epoch (0: all)")
        ->capture_default_str();
    finetune->add_option("--negatives", ft.negatives, "not-a-digit negatives per family replayed")
        ->capture_default_str();
    finetune->add_option("--uploads", ft.uploads, "training digits drawn as uploads replayed")
        ->capture_default_str();
    finetune
        ->add_option("--corrections-per-batch", ft.corrections_per_batch,
                     "corrections beside each batch of 128 digits")
        ->capture_default_str()
        ->check(CLI::Range(1, 128));
    finetune
        ->add_option("--density-digits", ft.density_digits,
                     "training digits of the calibration's feature density")
        ->capture_default_str();
    finetune
        ->add_option("--min-mnist-accuracy", ft.min_mnist_accuracy,
                     "the MNIST test accuracy the new model must keep")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    finetune->add_option(
        "--styles", ft.styles,
        "digits in the styles people write replayed (default: as many as the model was taught)");
    finetune->add_option("--seed", ft.seed, "random seed")->capture_default_str();
    finetune->add_option("--threads", ft.threads, "threads (default: all cores)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "digit-trainer: %s (see digit-trainer --help)\n", e.what());
        return 1;
    }

    try {
        if (*train) {
            std::signal(SIGINT, request_stop);
            std::signal(SIGTERM, request_stop);
            digit::train(t);
            return 0;
        }
        if (*train_lines) {
            if (lt.calibrate_only && lt.init.empty())
                throw std::runtime_error("--calibrate-only needs --init");
            std::signal(SIGINT, request_stop);
            std::signal(SIGTERM, request_stop);
            digit::train_lines(lt);
            return 0;
        }
        if (*train_prior) {
            digit::train_prior(pr);
            return 0;
        }
        if (*train_orientation) {
            digit::train_orientation(ot);
            return 0;
        }
        if (*lines_cmd)
            return run_lines_sheet(lines_data, lines_sheet, lines_count, lines_seed, lines_images);
        if (*train_pairs) {
            digit::train_pairs(pt);
            return 0;
        }
        if (*eval) return run_eval(model, data_dir, confusion, eval_threads);
        if (*styles) return run_styles_sheet(styles_sheet, styles_per_row, styles_seed);
        if (*calibrate) {
            digit::calibrate(c);
            return 0;
        }
        if (*predict) return run_predict(model, images, debug_dir);
        if (*read) return run_read(model, images, debug_dir, line_model, charset_name);
        if (*feedback_export) {
            const digit::ExportSummary s = digit::export_feedback(feedback_db, feedback_out);
            std::printf(
                "%zu corrections, %zu images written to %s (%zu numbers left out: their text and pieces "
                "differ)\n",
                s.corrections, s.images, feedback_out.c_str(), s.skipped);
            return 0;
        }
        if (*finetune) {
            std::signal(SIGINT, request_stop);
            std::signal(SIGTERM, request_stop);
            const digit::FinetuneResult r = digit::finetune(ft);
            if (!r.written) {
                std::printf("%s not written: %s\n", ft.out.c_str(), r.reason.c_str());
                return 2;
            }
            std::printf("%s written\n", ft.out.c_str());
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "digit-trainer: %s\n", e.what());
        return 1;
    }
    return 0;
}
