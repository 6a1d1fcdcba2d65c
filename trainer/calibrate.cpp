#include "calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <Eigen/Cholesky>
#include <cnn/cnn.hpp>

#include "classifier.hpp"
#include "training.hpp"
#include "uploads.hpp"

namespace digit {

double expected_calibration_error(const std::vector<float>& confidence, const std::vector<bool>& correct,
                                  int bins) {
    std::vector<double> sum_conf(size_t(bins), 0.0), sum_right(size_t(bins), 0.0), count(size_t(bins), 0.0);
    for (size_t i = 0; i < confidence.size(); ++i) {
        const int b = std::clamp(int(confidence[i] * float(bins)), 0, bins - 1);
        sum_conf[size_t(b)] += confidence[i];
        sum_right[size_t(b)] += correct[i] ? 1.0 : 0.0;
        count[size_t(b)] += 1.0;
    }
    double ece = 0.0;
    for (int b = 0; b < bins; ++b)
        if (count[size_t(b)] > 0)
            ece += std::fabs(sum_right[size_t(b)] - sum_conf[size_t(b)]) / double(confidence.size());
    return ece;
}

double auroc(std::vector<float> positives, std::vector<float> negatives) {
    if (positives.empty() || negatives.empty()) return 0.0;
    std::sort(negatives.begin(), negatives.end());
    double wins = 0.0;
    for (float p : positives) {
        const auto lo = std::lower_bound(negatives.begin(), negatives.end(), p);
        const auto hi = std::upper_bound(lo, negatives.end(), p);
        wins += double(lo - negatives.begin()) + 0.5 * double(hi - lo);
    }
    return wins / (double(positives.size()) * double(negatives.size()));
}

namespace {

double negative_log_likelihood(const std::vector<float>& logits, const std::vector<std::uint8_t>& labels,
                               int outputs, float temperature) {
    double total = 0.0;
    for (size_t i = 0; i < labels.size(); ++i) {
        const float* z = logits.data() + i * size_t(outputs);
        const float zmax = *std::max_element(z, z + outputs);
        double sum = 0.0;
        for (int k = 0; k < outputs; ++k) sum += std::exp(double(z[k] - zmax) / temperature);
        total += std::log(sum) - double(z[labels[i]] - zmax) / temperature;
    }
    return total / double(std::max<size_t>(1, labels.size()));
}

// A set's network outputs, and with a feature density each image's log_density.
struct Outputs {
    std::vector<float> logits, density;
};

Outputs outputs_of(cnn::Sequential& net, const FeatureDensity& density, const LabelledImages& set,
                   int threads) {
    Outputs r{logits_of(net, set, threads), {}};
    if (!density.empty()) {
        const std::vector<float> features = logits_of(net, set, threads, net.size() - 1);
        r.density.resize(set.count);
        density.log_density_of_likeliest(features.data(), r.logits.data(), set.count,
                                         int(r.logits.size() / std::max<size_t>(1, set.count)),
                                         r.density.data());
    }
    return r;
}

struct Answers {
    std::vector<float> confidence, score;
    std::vector<float> decisive;  // what the not-a-digit decision compares: the typicality, else the score
    std::vector<bool> correct;
};

Answers answers_of(const Outputs& z, const std::vector<std::uint8_t>& labels, int outputs,
                   const Calibration& c) {
    Answers a;
    for (size_t i = 0; i < z.logits.size() / size_t(outputs); ++i) {
        const Prediction p = decide(z.logits.data() + i * size_t(outputs), outputs, c,
                                    z.density.empty() ? nullptr : &z.density[i]);
        a.confidence.push_back(p.confidence);
        a.score.push_back(p.digit_score);
        a.decisive.push_back(c.typical && !z.density.empty() ? p.typicality : p.digit_score);
        a.correct.push_back(i < labels.size() && p.digit == labels[i]);
    }
    return a;
}

// The confidence under which a share `1 - accept` of the answers lies.
float quantile(std::vector<float> v, double share) {
    if (v.empty()) return 0.0f;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(share * double(v.size())))];
}

double mean_of(const std::vector<float>& v) {
    double s = 0.0;
    for (float x : v) s += x;
    return v.empty() ? 0.0 : s / double(v.size());
}

double std_of(const std::vector<float>& v) {
    const double m = mean_of(v);
    double s = 0.0;
    for (float x : v) s += (x - m) * (x - m);
    return v.empty() ? 1.0 : std::sqrt(s / double(v.size()));
}

std::vector<float> joined(std::vector<float> a, const std::vector<float>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

FeatureDensity fit_feature_density(const std::vector<float>& features,
                                   const std::vector<std::uint8_t>& labels, int classes, double pooled) {
    const size_t n = labels.size();
    cnn::check(n > 0 && features.size() % n == 0, "fit_feature_density: features do not match the labels");
    const Eigen::Index d = Eigen::Index(features.size() / n);
    const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>> f(features.data(), d,
                                                                                   Eigen::Index(n));
    Eigen::MatrixXd means = Eigen::MatrixXd::Zero(d, classes);
    std::vector<double> count(size_t(classes), 0.0);
    for (size_t i = 0; i < n; ++i) {
        cnn::check(labels[i] < classes, "fit_feature_density: label out of range");
        means.col(labels[i]) += f.col(Eigen::Index(i)).cast<double>();
        count[labels[i]] += 1.0;
    }
    for (int k = 0; k < classes; ++k) {
        cnn::check(count[size_t(k)] > 1, "fit_feature_density: a class with fewer than two examples");
        means.col(k) /= count[size_t(k)];
    }
    std::vector<Eigen::MatrixXd> own(size_t(classes), Eigen::MatrixXd::Zero(d, d));
    for (int k = 0; k < classes; ++k) {
        Eigen::MatrixXd centred(d, Eigen::Index(count[size_t(k)]));
        Eigen::Index col = 0;
        for (size_t i = 0; i < n; ++i)
            if (labels[i] == k) centred.col(col++) = f.col(Eigen::Index(i)).cast<double>() - means.col(k);
        own[size_t(k)] = centred * centred.transpose() / count[size_t(k)];
    }
    Eigen::MatrixXd shared = Eigen::MatrixXd::Zero(d, d);
    for (int k = 0; k < classes; ++k) shared += own[size_t(k)] * (count[size_t(k)] / double(n));
    std::vector<double> m(static_cast<size_t>(classes * d)), w(static_cast<size_t>(classes * d * d)),
        log_det(static_cast<size_t>(classes));
    for (int k = 0; k < classes; ++k) {
        Eigen::MatrixXd covariance = (1.0 - pooled) * own[size_t(k)] + pooled * shared;
        // A little shrinkage towards the mean variance: dead ReLU features have none at all.
        covariance.diagonal().array() += kDensityShrinkage * shared.trace() / double(d);
        const Eigen::LLT<Eigen::MatrixXd> llt(covariance);
        cnn::check(llt.info() == Eigen::Success,
                   "fit_feature_density: a covariance is not positive definite");
        // covariance = C C', so P = C'^-1 C^-1 and the whitening L = C^-1.
        const Eigen::MatrixXd whitening = llt.matrixL().solve(Eigen::MatrixXd::Identity(d, d));
        log_det[size_t(k)] = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
        for (Eigen::Index j = 0; j < d; ++j) m[size_t(k * d + j)] = means(j, k);
        for (Eigen::Index r = 0; r < d; ++r)
            for (Eigen::Index j = 0; j < d; ++j) w[size_t((k * d + r) * d + j)] = whitening(r, j);
    }
    return FeatureDensity(int(d), classes, m, w, log_det);
}

float fit_temperature(const std::vector<float>& logits, const std::vector<std::uint8_t>& labels,
                      int outputs) {
    // Golden-section search on log T; the likelihood is smooth and has one minimum in T.
    double lo = std::log(0.05), hi = std::log(20.0);
    const double g = (std::sqrt(5.0) - 1) / 2;
    auto f = [&](double log_t) {
        return negative_log_likelihood(logits, labels, outputs, float(std::exp(log_t)));
    };
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo), fa = f(a), fb = f(b);
    for (int i = 0; i < 60; ++i) {
        if (fa < fb) {
            hi = b, b = a, fb = fa;
            a = hi - g * (hi - lo), fa = f(a);
        } else {
            lo = a, a = b, fa = fb;
            b = lo + g * (hi - lo), fb = f(b);
        }
    }
    return float(std::exp((lo + hi) / 2));
}

void calibrate(const CalibrateOptions& o) {
    cnn::Sequential net = cnn::load(o.model);
    Dataset data = load_dataset(o.data_dir);
    auto [train_idx, val_idx] = split_training_set(data.train.count, 0, o.validation, o.seed);
    const LabelledImages val = select_images(data.train, val_idx);
    const LabelledImages val_uploads = digits_as_uploads(val, std::uint32_t(o.seed) + 17);
    const LabelledImages test_uploads = digits_as_uploads(data.test, std::uint32_t(o.seed) + 29);
    const int outputs = int(net.output_shape().size());

    Calibration c = calibration_of(net.metadata);
    c.temperature = 1.0f;
    c.threshold = 0.0f;

    // The feature density, fitted on training digits (never the validation split), clean and as uploads.
    FeatureDensity density;
    const bool with_features = o.density_digits > 0 && c.reject_output && net.size() > 1 &&
                               dynamic_cast<cnn::Dense*>(&net.layer(net.size() - 1)) != nullptr;
    if (o.density_digits > 0 && !with_features)
        std::printf("no feature density: the model has no \"not a digit\" output or no last dense layer\n");
    if (with_features) {
        std::vector<size_t> fit_idx(
            train_idx.begin(),
            train_idx.begin() + std::ptrdiff_t(std::min(o.density_digits, train_idx.size())));
        const LabelledImages fit = select_images(data.train, fit_idx);
        const LabelledImages fit_uploads = digits_as_uploads(fit, std::uint32_t(o.seed) + 41, 0.3f);
        std::vector<std::uint8_t> labels = fit.labels;
        labels.insert(labels.end(), fit_uploads.labels.begin(), fit_uploads.labels.end());
        density = fit_feature_density(joined(logits_of(net, fit, o.threads, net.size() - 1),
                                             logits_of(net, fit_uploads, o.threads, net.size() - 1)),
                                      labels, outputs - 1, o.density_pooled);
        std::printf(
            "feature density: %d features, fitted on %zu training digits and %zu of them as uploads\n",
            density.features(), fit.count, fit_uploads.count);
    }
    const Outputs z_val = outputs_of(net, density, val, o.threads),
                  z_up = outputs_of(net, density, val_uploads, o.threads),
                  z_test = outputs_of(net, density, data.test, o.threads),
                  z_test_up = outputs_of(net, density, test_uploads, o.threads);

    // One temperature for both kinds of validation digits.
    const std::vector<float> z_fit = joined(z_val.logits, z_up.logits);
    std::vector<std::uint8_t> y_fit = val.labels;
    y_fit.insert(y_fit.end(), val_uploads.labels.begin(), val_uploads.labels.end());
    const float temperature = fit_temperature(z_fit, y_fit, outputs);

    std::printf("validation: %zu MNIST training digits kept out of training, %zu of them drawn as uploads\n",
                val.count, val_uploads.count);
    std::printf("temperature: %.4f (validation NLL %.4f at T=1, %.4f after)\n", temperature,
                negative_log_likelihood(z_fit, y_fit, outputs, 1.0f),
                negative_log_likelihood(z_fit, y_fit, outputs, temperature));
    std::printf("\n%-34s %10s %10s %9s\n", "expected calibration error (15 bins)", "before", "after",
                "accuracy");
    Calibration fitted = c;
    fitted.temperature = temperature;
    struct Row {
        const char* name;
        const Outputs* z;
        const LabelledImages* set;
    };
    for (const Row& r :
         {Row{"MNIST validation", &z_val, &val}, Row{"validation digits as uploads", &z_up, &val_uploads},
          Row{"MNIST test", &z_test, &data.test}, Row{"MNIST test as uploads", &z_test_up, &test_uploads}}) {
        const Answers before = answers_of(*r.z, r.set->labels, outputs, c),
                      after = answers_of(*r.z, r.set->labels, outputs, fitted);
        const double accuracy = double(std::count(after.correct.begin(), after.correct.end(), true)) /
                                double(std::max<size_t>(1, after.correct.size()));
        std::printf("%-34s %10.4f %10.4f %9.4f\n", r.name,
                    expected_calibration_error(before.confidence, before.correct),
                    expected_calibration_error(after.confidence, after.correct), accuracy);
    }

    // The threshold on what decides: the lower of its (1 - accept) quantiles on the two validation sets.
    auto threshold_for = [&](const Calibration& k) {
        return std::min(quantile(answers_of(z_val, val.labels, outputs, k).decisive, 1.0 - o.accept),
                        quantile(answers_of(z_up, val_uploads.labels, outputs, k).decisive, 1.0 - o.accept));
    };
    auto refused = [](const Answers& a, float threshold) {
        size_t n = 0;
        for (float x : a.decisive) n += x < threshold;
        return a.decisive.empty() ? 0.0 : double(n) / double(a.decisive.size());
    };
    fitted.threshold = threshold_for(fitted);

    // Negatives for the report: kinds never trained on, and fresh samples of the kinds trained on (those
    // choose the density's share of the decision; the held-out kinds choose nothing).
    const std::vector<NegativeFamily> families = {NegativeFamily::letters, NegativeFamily::doodles,
                                                  NegativeFamily::noise, NegativeFamily::clothing};
    std::vector<Outputs> held_out, trained_kinds;
    for (int split = 0; split < 2; ++split) {
        const int count = split == 0 ? o.held_out : (density.empty() ? 0 : std::max(o.held_out, 300));
        for (NegativeFamily family : families) {
            if (count <= 0) break;
            const NegativeSet neg =
                make_negatives(split == 0 ? NegativeSplit::held_out : NegativeSplit::training, {family},
                               count, o.fashion_dir, std::uint32_t(o.seed) + (split == 0 ? 101 : 5101));
            (split == 0 ? held_out : trained_kinds)
                .push_back(outputs_of(net, density, as_labelled(neg.images, 0), o.threads));
        }
    }

    if (!density.empty()) {
        const Answers a_val = answers_of(z_val, val.labels, outputs, fitted),
                      a_up = answers_of(z_up, val_uploads.labels, outputs, fitted);
        std::vector<float> logit_score;
        for (float s : joined(a_val.score, a_up.score)) {
            const double p = std::clamp(double(s), 1e-7, 1.0 - 1e-7);
            logit_score.push_back(float(std::log(p / (1.0 - p))));
        }
        const std::vector<float> log_density = joined(z_val.density, z_up.density);
        fitted.typical = true;
        fitted.score_mean = float(mean_of(logit_score));
        fitted.score_std = float(std::max(1e-6, std_of(logit_score)));
        fitted.density_mean = float(mean_of(log_density));
        fitted.density_std = float(std::max(1e-6, std_of(log_density)));
        std::printf("\n%-13s %9s   refused at that threshold: %s\n", "digit weight", "threshold",
                    "kinds trained on (fresh samples) | kinds never trained on");
        double best_mean = -1.0;
        Calibration best = fitted;
        for (float w : kDensityDigitWeights) {
            Calibration k = fitted;
            k.digit_weight = w;
            k.typical_threshold = threshold_for(k);
            double mean = 0.0;
            std::printf("%-13.2f %9.4f  ", w, k.typical_threshold);
            for (const Outputs& z : trained_kinds) {
                const double r = refused(answers_of(z, {}, outputs, k), k.typical_threshold);
                mean += r / double(trained_kinds.size());
                std::printf(" %5.1f%%", 100 * r);
            }
            std::printf("  |");
            for (const Outputs& z : held_out)
                std::printf(" %5.1f%%", 100 * refused(answers_of(z, {}, outputs, k), k.typical_threshold));
            std::printf("\n");
            if (mean > best_mean) best_mean = mean, best = k;
        }
        fitted = best;
        std::printf("digit weight %.2f: the most refused of the kinds trained on (fresh samples)\n",
                    fitted.digit_weight);
    }

    const Answers val_answers = answers_of(z_val, val.labels, outputs, fitted),
                  up_answers = answers_of(z_up, val_uploads.labels, outputs, fitted);
    const float decisive_threshold = fitted.typical ? fitted.typical_threshold : fitted.threshold;
    // Among the digits taken for digits, the least confident few (a share of 1 - low_accept) are answered
    // low_confidence: torn between two digits.
    auto confident = [&](const Answers& a) {
        std::vector<float> kept;
        for (size_t i = 0; i < a.decisive.size(); ++i)
            if (a.decisive[i] >= decisive_threshold) kept.push_back(a.confidence[i]);
        return kept;
    };
    const float low = std::min(0.5f, std::min(quantile(confident(val_answers), 1.0 - o.low_accept),
                                              quantile(confident(up_answers), 1.0 - o.low_accept)));
    fitted.low_confidence = low;
    auto accepted = [&](const Answers& a) {
        size_t n = 0;
        for (size_t i = 0; i < a.decisive.size(); ++i)
            n += a.decisive[i] >= decisive_threshold && a.confidence[i] >= low;
        return a.decisive.empty() ? 0.0 : double(n) / double(a.decisive.size());
    };
    std::printf(
        "\n%s threshold: %.4f, low-confidence threshold %.4f: accepts %.2f%% of MNIST validation, "
        "%.2f%% of validation digits as uploads\n",
        fitted.typical ? "typicality" : "digit", decisive_threshold, low, 100 * accepted(val_answers),
        100 * accepted(up_answers));
    const Answers test_answers = answers_of(z_test, data.test.labels, outputs, fitted),
                  test_up_answers = answers_of(z_test_up, test_uploads.labels, outputs, fitted);
    std::printf("accepted: MNIST test %.2f%%, MNIST test as uploads %.2f%%\n", 100 * accepted(test_answers),
                100 * accepted(test_up_answers));

    if (!held_out.empty()) {
        Calibration plain = fitted;
        plain.typical = false;
        const Answers plain_test_up = answers_of(z_test_up, {}, outputs, plain);
        std::printf(
            "\n%-10s %6s %9s %8s %16s %8s   (kinds never trained on; AUROC against MNIST test as "
            "uploads)\n",
            "family", "images", "refused", "AUROC", "by digit score", "AUROC");
        for (size_t f = 0; f < held_out.size(); ++f) {
            const Answers a = answers_of(held_out[f], {}, outputs, fitted),
                          p = answers_of(held_out[f], {}, outputs, plain);
            std::printf("%-10s %6zu %8.1f%% %8.4f %15.1f%% %8.4f\n", family_name(families[f]),
                        a.decisive.size(), 100 * (1 - accepted(a)),
                        auroc(test_up_answers.decisive, a.decisive), 100 * refused(p, fitted.threshold),
                        auroc(plain_test_up.decisive, p.decisive));
        }
    }

    auto put = [&](const char* key, double value) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6f", value);
        net.metadata[key] = buf;
    };
    put("temperature", temperature);
    put("digit_threshold", fitted.threshold);
    put("low_confidence_threshold", low);
    std::ostringstream rule;
    // "the 1% quantiles": no ordinal suffix to get wrong for 1, 0.5 or 0.2.
    rule << (fitted.typical ? "typicality" : "digit") << " threshold: the lower of the "
         << 100 * (1 - o.accept) << "% quantiles of the " << (fitted.typical ? "typicality" : "digit score")
         << " on " << val.count << " MNIST validation digits (kept out of training) and on "
         << val_uploads.count << " of them drawn as uploads; low-confidence threshold: the lower of the "
         << 100 * (1 - o.low_accept)
         << "% quantiles of the confidence of those digits (at most 0.5); temperature fitted on the same "
            "digits";
    if (fitted.typical)
        rule << "; the typicality mixes the digit score and the feature density (a Gaussian per digit, "
             << 100 * o.density_pooled << "% of each covariance pooled over all digits, fitted on "
             << o.density_digits
             << " training digits and the same drawn as uploads), both standardised on those validation "
                "digits, with the digit score's weight among "
             << kDensityDigitWeights.front() << "-" << kDensityDigitWeights.back()
             << " that refuses most fresh negatives of the kinds trained on";
    net.metadata["threshold_rule"] = rule.str();
    cnn::NamedTensors extra;
    for (const std::string key : {"density_digit_weight", "density_score_mean", "density_score_std",
                                  "density_mean", "density_std", "typical_threshold"})
        net.metadata.erase(key);
    if (fitted.typical) {
        put("density_digit_weight", fitted.digit_weight);
        put("density_score_mean", fitted.score_mean);
        put("density_score_std", fitted.score_std);
        put("density_mean", fitted.density_mean);
        put("density_std", fitted.density_std);
        put("typical_threshold", fitted.typical_threshold);
        for (const auto& [name, values] : density.tensors()) {
            cnn::Tensor t(1, int(values.size()), 1, 1);
            std::copy(values.begin(), values.end(), t.data());
            extra.emplace_back(name, std::move(t));
        }
    }
    const std::string out = o.out.empty() ? o.model : o.out;
    cnn::save(net, out, extra);
    std::printf("\nmodel written to %s\n", out.c_str());
}

}  // namespace digit
