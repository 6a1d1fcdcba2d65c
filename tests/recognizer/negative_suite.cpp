// "Not a digit" and calibration, measured on what training never saw: letters and symbols in held-out
// handwriting fonts photographed on paper, held-out doodle kinds drawn on a canvas, Fashion-MNIST's test
// split, held-out noise textures, each uploaded as a file and read by the shipped model through the whole
// pipeline. A blank answer (empty_image) counts as refused. Beside them, the real digits: the stress suite's
// kinds (drawn from MNIST test digits) and the MNIST test set, which must nearly all be accepted. Prints per
// family the refusals and the AUROC against the stress suite's digits, the digits' acceptance, and the
// expected calibration error before and after the model's temperature. Each negative is also read as a number
// (/read's reader, with the pair reader and by the cuts alone): the share of them that yield no text.
//
// NEGATIVE_DUMP_DIR=dir writes every negative taken for a digit: the upload and the 28x28 the model saw (x8),
// as family_index_guess.{png,jpg} and ..._input.png.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "calibrate.hpp"
#include "classifier.hpp"
#include "models.hpp"
#include "negatives.hpp"
#include "numbers.hpp"
#include "recognizer.hpp"
#include "stress_images.hpp"
#include "test_images.hpp"

namespace {

constexpr int kPerFamily = 120;
constexpr int kStressPerKind = 60;

std::string encode(const digit::GreyImage& grey, bool jpeg) {
    testimg::Rgba image(grey.width, grey.height);
    for (int y = 0; y < grey.height; ++y)
        for (int x = 0; x < grey.width; ++x) {
            const auto v = std::uint8_t(std::lround(std::clamp(grey(x, y), 0.0f, 1.0f) * 255.0f));
            std::uint8_t* p = image.at(x, y);
            p[0] = p[1] = p[2] = v;
            p[3] = 255;
        }
    return jpeg ? testimg::encode_jpeg(image, 85) : testimg::encode_png_rgba(image);
}

struct Answer {
    digit::Image28 input{};
    bool refused = false;
    float score = -1e30f;  // what the decision compares (see read_upload); the lowest for a blank image
    digit::Prediction prediction;
    bool blank = false;
};

Answer read_upload(const digit::Classifier& classifier, const std::string& file) {
    Answer a;
    try {
        a.input = digit::prepare_digit(file.data(), file.size()).image;
        a.prediction = classifier.predict(a.input);
        // What the decision compares: the typicality when the model has a feature density.
        a.score = classifier.calibration().typical ? a.prediction.typicality : a.prediction.digit_score;
        a.refused = !a.prediction.is_digit;
    } catch (const digit::ImageError&) {
        a.refused = a.blank = true;
    }
    return a;
}

void write_dump(const std::string& stem, const std::string& file, bool jpeg, const digit::Image28& input) {
    std::ofstream(stem + (jpeg ? ".jpg" : ".png"), std::ios::binary) << file;
    testimg::Rgba big(28 * 8, 28 * 8);
    for (int y = 0; y < 28 * 8; ++y)
        for (int x = 0; x < 28 * 8; ++x) {
            const auto v = std::uint8_t(std::lround(255.0f * input[std::size_t((y / 8) * 28 + x / 8)]));
            std::uint8_t* p = big.at(x, y);
            p[0] = p[1] = p[2] = v;
        }
    std::ofstream(stem + "_input.png", std::ios::binary) << testimg::encode_png_rgba(big);
}

}  // namespace

TEST_CASE("not a digit: held-out letters, doodles, clothing and noise are refused, real digits are not",
          "[negatives]") {
    const std::string source = DIGIT_SOURCE_DIR;
    const digit::Classifier classifier(source + "/models/digitnet.cnn");
    const float temperature = classifier.calibration().temperature;
    // The same model without its temperature, for the calibration error before it.
    cnn::Sequential plain_net = cnn::load(source + "/models/digitnet.cnn");
    plain_net.metadata["temperature"] = "1";
    const std::string plain_path = std::string(DIGIT_BUILD_DIR) + "/uncalibrated.cnn";
    cnn::save(plain_net, plain_path);
    const digit::Classifier uncalibrated(plain_path);
    REQUIRE(classifier.calibration().threshold > 0.0f);
    testimg::Mnist mnist;
    if (!testimg::load_mnist_test(source + "/data/mnist", mnist))
        FAIL("MNIST test set missing in " << source << "/data/mnist (data/fetch-mnist.sh fetches it)");

    // The digits: the stress suite's kinds, and MNIST test as it is.
    std::vector<float> digit_scores;
    std::vector<float> stress_confidence, stress_before;
    std::vector<bool> stress_correct;
    int stress_accepted = 0, stress_count = 0;
    const auto& kinds = stress::kinds();
    for (std::size_t k = 0; k < kinds.size(); ++k)
        for (int number = 0; number < kStressPerKind; ++number) {
            const int index = stress::mnist_index_for(mnist, int(k), number, 0);
            const stress::Sample sample = kinds[k].make(
                mnist, index, number, 0x51ED270Bu * std::uint32_t(k + 1) + 7919u * std::uint32_t(number));
            const Answer a = read_upload(classifier, sample.file);
            ++stress_count;
            stress_accepted += !a.refused;
            digit_scores.push_back(a.score);
            if (!a.blank) {
                stress_confidence.push_back(a.prediction.confidence);
                stress_before.push_back(
                    uncalibrated.predict(digit::prepare_digit(sample.file.data(), sample.file.size()).image)
                        .confidence);
                stress_correct.push_back(a.prediction.digit == sample.label);
            }
        }
    std::vector<digit::Image28> test_images(std::size_t(mnist.count));
    for (int i = 0; i < mnist.count; ++i)
        for (int p = 0; p < digit::kImagePixels; ++p)
            test_images[std::size_t(i)][std::size_t(p)] =
                mnist.images[std::size_t(i) * 784 + std::size_t(p)] / 255.0f;
    const std::vector<digit::Prediction> test_answers = classifier.predict_batch(test_images),
                                         test_plain = uncalibrated.predict_batch(test_images);
    std::vector<float> test_confidence, test_before;
    std::vector<bool> test_correct;
    int test_accepted = 0;
    for (int i = 0; i < mnist.count; ++i) {
        const digit::Prediction& p = test_answers[std::size_t(i)];
        test_accepted += p.is_digit;
        test_confidence.push_back(p.confidence);
        test_before.push_back(test_plain[std::size_t(i)].confidence);
        test_correct.push_back(p.digit == mnist.labels[std::size_t(i)]);
    }

    // The negatives, from kinds kept out of training.
    struct Family {
        const char* name = "";
        int refused = 0, blank = 0, count = 0;
        // Read as a number by /read's reader: with the pair reader, and by the cuts alone.
        int number_text = 0, cuts_text = 0;
        std::vector<float> scores;
    };
    std::vector<Family> families(4);
    families[0].name = "letters (held-out fonts, paper photo)";
    families[1].name = "doodles (held-out kinds, canvas)";
    families[2].name = "clothing (Fashion-MNIST test)";
    families[3].name = "noise (held-out textures)";
    std::mt19937 rng(20261129);
    const auto fonts = digit::handwriting_fonts(digit::NegativeSplit::held_out);
    REQUIRE(fonts.size() >= 3);
    std::vector<std::vector<std::uint8_t>> font_files;
    for (const auto& f : fonts) font_files.push_back(digit::read_font(f));
    const digit::LabelledImages fashion =
        digit::load_labelled_images(std::string(digit::kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz",
                                    std::string(digit::kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz");
    const auto& doodles = digit::doodle_kinds(digit::NegativeSplit::held_out);
    const auto& noises = digit::noise_kinds(digit::NegativeSplit::held_out);
    const std::u32string& glyphs = digit::letter_glyphs();
    const char* dump_env = std::getenv("NEGATIVE_DUMP_DIR");
    const std::string dump_dir = dump_env != nullptr ? dump_env : "";
    if (!dump_dir.empty()) std::filesystem::create_directories(dump_dir);
    for (std::size_t f = 0; f < families.size(); ++f) {
        Family& family = families[f];
        for (int i = 0; i < kPerFamily; ++i) {
            std::string file;
            if (f == 0) {
                const auto& font = font_files[std::size_t(i) % font_files.size()];
                const char32_t glyph = glyphs[std::size_t(i * 7) % glyphs.size()];
                const digit::Coverage c =
                    digit::render_glyph(font, glyph, std::uniform_real_distribution<float>(50, 150)(rng));
                if (c.empty()) continue;
                file = encode(digit::put_on_surface(c, digit::Surface::paper, rng), true);
            } else if (f == 1) {
                const int side = std::uniform_int_distribution<int>(80, 260)(rng);
                file = encode(digit::put_on_surface(
                                  digit::draw_doodle(doodles[std::size_t(i) % doodles.size()], side, rng),
                                  digit::Surface::canvas, rng),
                              false);
            } else if (f == 2) {
                const std::size_t item = std::size_t(i) * 83 % fashion.count;
                const int side = std::uniform_int_distribution<int>(60, 220)(rng);
                const auto surface = i % 2 ? digit::Surface::paper : digit::Surface::canvas;
                file = encode(digit::put_on_surface(digit::enlarge(fashion.image(item), 28, 28, side, 0.15f),
                                                    surface, rng),
                              i % 2 == 1);
            } else {
                const int w = std::uniform_int_distribution<int>(60, 300)(rng);
                const int h = std::uniform_int_distribution<int>(60, 300)(rng);
                file =
                    encode(digit::draw_noise(noises[std::size_t(i) % noises.size()], w, h, rng), i % 3 == 0);
            }
            const Answer a = read_upload(classifier, file);
            if (!dump_dir.empty() && !a.refused)
                write_dump(dump_dir + "/" + std::to_string(f) + "_" + std::to_string(i) + "_" +
                               std::to_string(a.prediction.digit),
                           file, file.size() > 2 && std::uint8_t(file[0]) == 0xFF, a.input);
            ++family.count;
            family.number_text += !stress::read_number_text(classifier, file, true).empty();
            family.cuts_text += !stress::read_number_text(classifier, file, false).empty();
            family.refused += a.refused;
            family.blank += a.blank;
            family.scores.push_back(a.score);
        }
    }

    const double stress_acceptance = double(stress_accepted) / stress_count;
    const double test_acceptance = double(test_accepted) / mnist.count;
    const digit::Calibration& decision = classifier.calibration();
    if (decision.typical)
        std::printf(
            "\nnot a digit: typicality threshold %.4f (digit weight %.2f), temperature %.4f (from the model "
            "file)\n",
            decision.typical_threshold, decision.digit_weight, temperature);
    else
        std::printf("\nnot a digit: digit-score threshold %.4f, temperature %.4f (from the model file)\n",
                    decision.threshold, temperature);
    std::printf("%-40s %6s %8s %6s %7s %12s %10s\n", "held-out family", "images", "refused", "blank", "AUROC",
                "/read: none", "cuts only");
    for (const Family& f : families)
        std::printf("%-40s %6d %7.1f%% %6d %7.4f %11.1f%% %9.1f%%\n", f.name, f.count,
                    100.0 * f.refused / std::max(1, f.count), f.blank, digit::auroc(digit_scores, f.scores),
                    100.0 * (f.count - f.number_text) / std::max(1, f.count),
                    100.0 * (f.count - f.cuts_text) / std::max(1, f.count));
    std::printf("%-40s %6d %7.2f%% accepted\n", "digits: stress suite kinds", stress_count,
                100 * stress_acceptance);
    std::printf("%-40s %6d %7.2f%% accepted\n", "digits: MNIST test", mnist.count, 100 * test_acceptance);
    std::printf("expected calibration error (15 bins)     before    after\n");
    std::printf("%-40s %8.4f %8.4f\n", "MNIST test",
                digit::expected_calibration_error(test_before, test_correct),
                digit::expected_calibration_error(test_confidence, test_correct));
    std::printf("%-40s %8.4f %8.4f\n", "stress suite kinds",
                digit::expected_calibration_error(stress_before, stress_correct),
                digit::expected_calibration_error(stress_confidence, stress_correct));
    std::printf(
        "AUROC: the chance that a stress-suite digit scores higher than the negative on what decides (the "
        "typicality, or the digit score of a model without a feature density; a blank answer lowest).\n");
    std::fflush(stdout);

    CHECK(stress_acceptance >= 0.99);
    CHECK(test_acceptance >= 0.99);
    // Letters and doodles: 85%; clothing and noise: 95%.
    const double floors[] = {0.85, 0.85, 0.95, 0.95};
    for (std::size_t f = 0; f < families.size(); ++f) {
        INFO(families[f].name << ": refused " << families[f].refused << "/" << families[f].count);
        CHECK(families[f].count >= 100);
        CHECK(families[f].refused >= floors[f] * families[f].count);
        // The pair reader, which has only ever seen digits, may turn few marks that are none into digits.
        CHECK(families[f].number_text <= families[f].cuts_text + 0.03 * families[f].count);
    }
}

TEST_CASE("the temperature and the threshold are read from the model file and change the answer",
          "[negatives]") {
    cnn::Sequential net = digit::make_network("digitnet", 3);
    const std::string path = std::string(DIGIT_BUILD_DIR) + "/calibration-test.cnn";
    digit::Image28 image{};
    for (int y = 6; y < 22; ++y) image[std::size_t(y * 28 + 14)] = 1.0f;  // a stroke: some digit

    cnn::save(net, path);
    const digit::Prediction plain = digit::Classifier(path).predict(image);
    CHECK(plain.is_digit);  // no threshold: everything is a digit
    CHECK(digit::Classifier(path).calibration().temperature == 1.0f);

    net.metadata["temperature"] = "4";
    net.metadata["digit_threshold"] = "0.999";
    cnn::save(net, path);
    const digit::Classifier calibrated(path);
    CHECK(calibrated.calibration().temperature == 4.0f);
    CHECK(calibrated.calibration().threshold == Approx(0.999f));
    const digit::Prediction p = calibrated.predict(image);
    CHECK(p.digit == plain.digit);           // the temperature keeps the order of the classes
    CHECK(p.confidence < plain.confidence);  // and spreads the probabilities
    CHECK_FALSE(p.is_digit);
    CHECK(p.reason != digit::Rejection::none);

    // decide() on chosen outputs: a clear answer, two digits in a tie, nothing stands out.
    const digit::Calibration c{1.0f, 0.3f, 0.8f, false};
    const float clear[10] = {0, 0, 0, 9, 0, 0, 0, 0, 0, 0}, tie[10] = {0, 0, 0, 6, 0, 0, 0, 0, 6, 0},
                flat[10] = {0.1f, 0, 0.2f, 0, 0.1f, 0, 0, 0.3f, 0, 0};
    CHECK(digit::decide(clear, 10, c).is_digit);
    CHECK(digit::decide(tie, 10, c).reason == digit::Rejection::low_confidence);
    CHECK(digit::decide(flat, 10, c).reason == digit::Rejection::not_a_digit);
    // A model with a "not a digit" output: its share lowers the confidence, the probabilities stay 10.
    const float with_reject[11] = {0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 5};
    const digit::Prediction r = digit::decide(with_reject, 11, {1.0f, 0.5f, 0.0f, true});
    CHECK(r.probabilities.size() == 10);
    CHECK(r.digit == 3);
    CHECK_FALSE(r.is_digit);
    CHECK(r.reason == digit::Rejection::not_a_digit);
}

TEST_CASE("a feature density in the model file decides what is a digit, and leaves the answer alone",
          "[negatives]") {
    cnn::Sequential net = digit::make_network("digitnet", 3);
    const std::string path = std::string(DIGIT_BUILD_DIR) + "/density-test.cnn";
    const int d = dynamic_cast<cnn::Dense&>(net.layer(net.size() - 1)).in_features();
    std::mt19937 rng(9);
    std::uniform_real_distribution<double> u(0.0, 2.0);
    // Each digit its own diagonal whitening and log-determinant.
    std::vector<double> means(std::size_t(10 * d)), whitening(std::size_t(10 * d * d), 0.0), log_det(10);
    for (double& m : means) m = u(rng);
    for (int k = 0; k < 10; ++k) {
        for (int i = 0; i < d; ++i) whitening[std::size_t((k * d + i) * d + i)] = 0.3 + 0.1 * u(rng);
        log_det[std::size_t(k)] = 10.0 * u(rng);
    }
    const digit::FeatureDensity density(d, 10, means, whitening, log_det);
    REQUIRE(density.classes() == 10);

    // log_density against the Mahalanobis distance computed directly: the largest among each image's
    // candidate digits.
    std::vector<float> features(std::size_t(3 * d));
    for (float& f : features) f = float(u(rng));
    const int digits[6] = {7, 2, 0, 0, 9, 4};
    float ld[3];
    density.log_density(features.data(), 3, digits, 2, ld);
    for (int i = 0; i < 3; ++i) {
        double best = -1e300;
        for (int c = 0; c < 2; ++c) {
            const int k = digits[2 * i + c];
            double dist = 0.0;
            for (int j = 0; j < d; ++j) {
                const double v = whitening[std::size_t((k * d + j) * d + j)] *
                                 (features[std::size_t(i * d + j)] - means[std::size_t(k * d + j)]);
                dist += v * v;
            }
            best = std::max(best, -(dist + log_det[std::size_t(k)]));
        }
        CHECK(ld[i] == Approx(best).epsilon(1e-4));
    }
    // The likeliest classes by logits, likeliest first.
    const float logits[2][4] = {{0.1f, 3.0f, -1.0f, 2.0f}, {5.0f, 1.0f, 4.0f, 0.0f}};
    CHECK(digit::likeliest_classes(&logits[0][0], 2, 4, 3, 2) == std::vector<int>{1, 0, 0, 2});

    digit::Image28 image{};
    for (int y = 6; y < 22; ++y) image[std::size_t(y * 28 + 14)] = 1.0f;
    cnn::save(net, path);
    const digit::Prediction plain = digit::Classifier(path).predict(image);
    CHECK_FALSE(digit::Classifier(path).calibration().typical);

    auto save_with = [&](const char* threshold,
                         std::vector<std::pair<std::string, std::vector<float>>> tensors) {
        net.metadata["typical_threshold"] = threshold;
        net.metadata["density_digit_weight"] = "0.5";
        cnn::NamedTensors extra;
        for (auto& [name, values] : tensors) {
            cnn::Tensor t(1, int(values.size()), 1, 1);
            std::copy(values.begin(), values.end(), t.data());
            extra.emplace_back(name, std::move(t));
        }
        cnn::save(net, path, extra);
    };
    save_with("1e9", density.tensors());
    const digit::Classifier strict(path);
    REQUIRE(strict.calibration().typical);
    CHECK(strict.calibration().digit_weight == 0.5f);
    const digit::Prediction refused = strict.predict(image);
    CHECK_FALSE(refused.is_digit);
    CHECK(refused.reason == digit::Rejection::not_a_digit);
    // The last layer run by hand beside the density gives the network's own answer.
    CHECK(refused.digit == plain.digit);
    for (int k = 0; k < 10; ++k)
        CHECK(refused.probabilities[std::size_t(k)] ==
              Approx(plain.probabilities[std::size_t(k)]).margin(1e-5));
    // The typicality mixes the digit score with the density of the features the last layer read.
    cnn::FrozenNet body(net, net.size() - 1);
    cnn::FrozenNet::Workspace ws;
    std::vector<float> x(digit::kImagePixels), f(static_cast<std::size_t>(d));
    for (int p = 0; p < digit::kImagePixels; ++p)
        x[std::size_t(p)] = (image[std::size_t(p)] - digit::kMnistMean) / digit::kMnistStd;
    body.run(x.data(), 1, f.data(), ws);
    float image_density = 0.0f;
    // The network's outputs, through the last layer by hand: its likeliest digits are the candidates.
    auto& last = dynamic_cast<cnn::Dense&>(net.layer(net.size() - 1));
    std::vector<float> z(10, 0.0f);
    for (int k = 0; k < 10; ++k) {
        z[std::size_t(k)] = last.bias().value[std::size_t(k)];
        for (int j = 0; j < d; ++j)
            z[std::size_t(k)] += last.weight().value[std::size_t(k * d + j)] * f[std::size_t(j)];
    }
    const std::vector<int> candidates =
        digit::likeliest_classes(z.data(), 1, 10, 10, digit::kDensityCandidates);
    density.log_density(f.data(), 1, candidates.data(), digit::kDensityCandidates, &image_density);
    CHECK(refused.typicality ==
          Approx(digit::typicality(refused.digit_score, image_density, strict.calibration())).epsilon(1e-3));
    // Judged by the digit score alone (a piece of a line of digits), the density decides nothing: the same
    // answer and decision as the model without it.
    const digit::Prediction by_score = strict.predict_batch({image}, digit::Decision::digit_score).front();
    CHECK(by_score.is_digit == plain.is_digit);
    CHECK(by_score.reason == plain.reason);
    CHECK(by_score.digit == plain.digit);
    CHECK(by_score.digit_score == Approx(plain.digit_score).margin(1e-5));

    save_with("-1e9", density.tensors());
    CHECK(digit::Classifier(path).predict(image).is_digit);

    // Tensors that do not fit the last layer are an error naming the file.
    auto bad = density.tensors();
    bad[0].second.pop_back();
    save_with("0", bad);
    CHECK_THROWS_WITH(digit::Classifier(path), Catch::Contains(path));
    // So is a density of other classes than the model's.
    const digit::FeatureDensity nine(d, 9, std::vector<double>(means.begin(), means.begin() + 9 * d),
                                     std::vector<double>(whitening.begin(), whitening.begin() + 9 * d * d),
                                     std::vector<double>(log_det.begin(), log_det.begin() + 9));
    save_with("0", nine.tensors());
    CHECK_THROWS_WITH(digit::Classifier(path), Catch::Contains("9 classes"));
}

TEST_CASE("fit_feature_density recovers each digit's Gaussian", "[negatives]") {
    // Two classes in three dimensions: unit variance about the origin, variance 4 about (5, 0, 0).
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> features;
    std::vector<std::uint8_t> labels;
    for (int i = 0; i < 20000; ++i) {
        const int k = i % 2;
        for (int j = 0; j < 3; ++j)
            features.push_back((k ? 2.0f : 1.0f) * g(rng) + (k && j == 0 ? 5.0f : 0.0f));
        labels.push_back(std::uint8_t(k));
    }
    const digit::FeatureDensity own = digit::fit_feature_density(features, labels, 2, 0.0),
                                pooled = digit::fit_feature_density(features, labels, 2, 1.0);
    const float at_origin[3] = {0, 0, 0}, aside[3] = {5, 0, 3};
    // The shrinkage adds 1% of the mean variance (2.5) to each variance.
    const double v0 = 1.0 + 0.025, v1 = 4.0 + 0.025, vp = 2.5 + 0.025;
    float ld = 0.0f;
    const int zero = 0, one = 1;
    own.log_density(at_origin, 1, &zero, 1, &ld);
    CHECK(ld == Approx(-3.0 * std::log(v0)).margin(0.1));
    own.log_density(aside, 1, &one, 1, &ld);
    CHECK(ld == Approx(-(9.0 / v1 + 3.0 * std::log(v1))).margin(0.15));
    // One pooled covariance: the same variance for both.
    pooled.log_density(aside, 1, &one, 1, &ld);
    CHECK(ld == Approx(-(9.0 / vp + 3.0 * std::log(vp))).margin(0.15));
    CHECK_THROWS(digit::fit_feature_density(features, labels, 3, 0.3));  // a class with no examples
}

TEST_CASE(
    "a number model reads the pieces of numbers that the digit model takes for digits, of the same classes",
    "[negatives]") {
    const std::filesystem::path dir = std::filesystem::path(DIGIT_BUILD_DIR) / "number-model-test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string digits = (dir / "digitnet.cnn").string(), numbers = (dir / "readnet.cnn").string();
    auto save = [](cnn::Sequential net, const std::string& path) { cnn::save(net, path); };
    save(digit::make_network("digitnet", 3), digits);
    // A number: two bars, dark on light.
    testimg::Rgba image(160, 80);
    for (int y = 0; y < 80; ++y)
        for (int x = 0; x < 160; ++x) {
            const bool ink = y >= 15 && y < 65 && ((x >= 40 && x < 46) || (x >= 100 && x < 106));
            std::uint8_t* p = image.at(x, y);
            p[0] = p[1] = p[2] = ink ? 20 : 240;
            p[3] = 255;
        }
    const std::string file = testimg::encode_png_rgba(image);
    auto read_all = [&](const digit::Classifier& c) {
        return digit::read_number(file.data(), file.size(), c).digits.size();
    };
    auto first_piece = [&](const digit::Classifier& c) {
        return digit::read_number(file.data(), file.size(), c).digits.at(0).prediction.probabilities;
    };

    // Alone, the digit model reads numbers too.
    {
        const digit::Classifier alone(digits);
        CHECK(&alone.numbers() == &alone);
        CHECK(alone.info()["number_model"].is_null());
    }
    // Beside it, the number model reads them: the pieces get its probabilities, not the digit model's.
    save(digit::make_network("digitnet", 5), numbers);
    const digit::Classifier with_numbers(digits), number_model(numbers, 0, false),
        digit_model(digits, 0, false);
    CHECK(&with_numbers.numbers() != &with_numbers);
    CHECK(with_numbers.info()["number_model"]["parameters"].get<std::size_t>() > 0);
    const std::vector<float> read = first_piece(with_numbers), expected = first_piece(number_model),
                             other = first_piece(digit_model);
    REQUIRE(read.size() == expected.size());
    for (std::size_t k = 0; k < read.size(); ++k) CHECK(read[k] == Approx(expected[k]).margin(1e-6));
    CHECK(read != other);
    // `/predict`'s answer stays the digit model's.
    digit::Image28 bar{};
    for (int y = 6; y < 22; ++y) bar[std::size_t(y * 28 + 14)] = 1.0f;
    CHECK(with_numbers.predict(bar).probabilities == digit_model.predict(bar).probabilities);

    // Whether a piece is a digit at all is the digit model's word too: a digit model that takes nothing for
    // a digit leaves every piece out, though the number model reads them.
    CHECK(read_all(with_numbers) == 2);
    {
        cnn::Sequential strict = digit::make_network("digitnet", 3);
        strict.metadata["digit_threshold"] = "1.5";
        save(std::move(strict), digits);
        const digit::Classifier judged(digits);
        const digit::NumberReading reading = digit::read_number(file.data(), file.size(), judged);
        CHECK(reading.digits.empty());
        CHECK(reading.ignored.size() == 2);
        save(digit::make_network("digitnet", 3), digits);
    }

    // A number model of other classes is an error that names its file.
    save(digit::make_network("digitnet-bn", 5, 12), numbers);
    CHECK_THROWS_WITH(digit::Classifier(digits), Catch::Contains("readnet.cnn"));
    std::filesystem::remove_all(dir);
}
