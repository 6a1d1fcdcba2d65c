#include "calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "classifier.hpp"
#include "training.hpp"

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

struct Answers {
    std::vector<float> confidence, score;
    std::vector<bool> correct;
};

Answers answers_of(const std::vector<float>& logits, const std::vector<std::uint8_t>& labels, int outputs,
                   const Calibration& c) {
    Answers a;
    for (size_t i = 0; i < logits.size() / size_t(outputs); ++i) {
        const Prediction p = decide(logits.data() + i * size_t(outputs), outputs, c);
        a.confidence.push_back(p.confidence);
        a.score.push_back(p.digit_score);
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

}  // namespace

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
    const std::vector<float> z_val = logits_of(net, val, o.threads),
                             z_up = logits_of(net, val_uploads, o.threads),
                             z_test = logits_of(net, data.test, o.threads),
                             z_test_up = logits_of(net, test_uploads, o.threads);

    // One temperature for both kinds of validation digits.
    std::vector<float> z_fit = z_val;
    z_fit.insert(z_fit.end(), z_up.begin(), z_up.end());
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
        const std::vector<float>* z;
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

    const Answers val_answers = answers_of(z_val, val.labels, outputs, fitted),
                  up_answers = answers_of(z_up, val_uploads.labels, outputs, fitted);
    const float threshold =
        std::min(quantile(val_answers.score, 1.0 - o.accept), quantile(up_answers.score, 1.0 - o.accept));
    fitted.threshold = threshold;
    // Among the digits taken for digits, the least confident few (a share of 1 - low_accept) are answered
    // low_confidence: torn between two digits.
    auto confident = [&](const Answers& a) {
        std::vector<float> kept;
        for (size_t i = 0; i < a.score.size(); ++i)
            if (a.score[i] >= threshold) kept.push_back(a.confidence[i]);
        return kept;
    };
    const float low = std::min(0.5f, std::min(quantile(confident(val_answers), 1.0 - o.low_accept),
                                              quantile(confident(up_answers), 1.0 - o.low_accept)));
    fitted.low_confidence = low;
    auto accepted = [&](const Answers& a) {
        size_t n = 0;
        for (size_t i = 0; i < a.score.size(); ++i) n += a.score[i] >= threshold && a.confidence[i] >= low;
        return a.score.empty() ? 0.0 : double(n) / double(a.score.size());
    };
    std::printf(
        "\ndigit threshold: %.4f, low-confidence threshold %.4f: accepts %.2f%% of MNIST validation, "
        "%.2f%% of validation digits as uploads\n",
        threshold, low, 100 * accepted(val_answers), 100 * accepted(up_answers));
    const Answers test_answers = answers_of(z_test, data.test.labels, outputs, fitted),
                  test_up_answers = answers_of(z_test_up, test_uploads.labels, outputs, fitted);
    std::printf("accepted: MNIST test %.2f%%, MNIST test as uploads %.2f%%\n", 100 * accepted(test_answers),
                100 * accepted(test_up_answers));

    if (o.held_out > 0) {
        std::printf(
            "\n%-10s %6s %9s %8s   (held-out kinds, never trained on; AUROC against MNIST test as uploads)\n",
            "family", "images", "refused", "AUROC");
        for (NegativeFamily family : {NegativeFamily::letters, NegativeFamily::doodles, NegativeFamily::noise,
                                      NegativeFamily::clothing}) {
            NegativeSet neg = make_negatives(NegativeSplit::held_out, {family}, o.held_out, o.fashion_dir,
                                             std::uint32_t(o.seed) + 101);
            const LabelledImages set = as_labelled(neg.images, 0);
            const Answers a = answers_of(logits_of(net, set, o.threads), {}, outputs, fitted);
            std::printf("%-10s %6zu %8.1f%% %8.4f\n", family_name(family), a.confidence.size(),
                        100 * (1 - accepted(a)), auroc(test_up_answers.score, a.score));
        }
    }

    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", temperature);
    net.metadata["temperature"] = buf;
    std::snprintf(buf, sizeof buf, "%.6f", threshold);
    net.metadata["digit_threshold"] = buf;
    std::snprintf(buf, sizeof buf, "%.6f", low);
    net.metadata["low_confidence_threshold"] = buf;
    std::ostringstream rule;
    // "the 1% quantiles": no ordinal suffix to get wrong for 1, 0.5 or 0.2.
    rule << "digit threshold: the lower of the " << 100 * (1 - o.accept)
         << "% quantiles of the digit score on " << val.count
         << " MNIST validation digits (kept out of training) and on " << val_uploads.count
         << " of them drawn as uploads; low-confidence threshold: the lower of the "
         << 100 * (1 - o.low_accept)
         << "% quantiles of the confidence of those digits (at most 0.5); temperature fitted on the same "
            "digits";
    net.metadata["threshold_rule"] = rule.str();
    const std::string out = o.out.empty() ? o.model : o.out;
    cnn::save(net, out);
    std::printf("\nmodel written to %s\n", out.c_str());
}

}  // namespace digit
