// The CTC loss and its decoders: against every alignment enumerated by brute force, against finite
// differences, and against what the decoders must find on columns built by hand. Agreement with PyTorch's
// ctc_loss is in test_torch.cpp.
#include <catch2/catch.hpp>

#include <cnn/cnn.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <random>

using namespace cnn;

namespace {

Tensor random_logits(int N, int C, int T, std::uint32_t seed, float scale = 2.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    Tensor z(N, C, 1, T);
    for (std::size_t i = 0; i < z.size(); ++i) z[i] = normal(rng);
    return z;
}

// What every path of T labels collapses to (repeats merged, blanks dropped), with its probability summed:
// the definition CTC's forward pass computes in O(T S).
std::map<std::vector<int>, double> all_paths(const std::vector<double>& lp, int T, int C) {
    std::map<std::vector<int>, double> by_sequence;
    std::vector<int> path(std::size_t(T), 0);
    std::function<void(int, double)> walk = [&](int t, double log_p) {
        if (t == T) {
            std::vector<int> seq;
            int previous = 0;
            for (int k : path) {
                if (k != 0 && k != previous) seq.push_back(k);
                previous = k;
            }
            by_sequence[seq] += std::exp(log_p);
            return;
        }
        for (int k = 0; k < C; ++k) {
            path[std::size_t(t)] = k;
            walk(t + 1, log_p + lp[std::size_t(t) * C + k]);
        }
    };
    walk(0, 0.0);
    return by_sequence;
}

// Logits whose softmax at each column is (nearly) the given distribution.
Tensor columns(const std::vector<std::vector<double>>& probs) {
    const int T = int(probs.size()), C = int(probs[0].size());
    Tensor z(1, C, 1, T);
    for (int t = 0; t < T; ++t)
        for (int k = 0; k < C; ++k)
            z.at(0, k, 0, t) = float(std::log(std::max(probs[std::size_t(t)][std::size_t(k)], 1e-12)));
    return z;
}

}  // namespace

TEST_CASE("CTC: the forward pass sums every alignment, repeats and short targets included", "[ctc]") {
    const int C = 3, T = 5;
    const Tensor z = random_logits(1, C, T, 7);
    const std::vector<double> lp = ctc_log_probabilities(z, 0, T);
    const auto paths = all_paths(lp, T, C);
    double total = 0.0;
    for (const auto& [seq, p] : paths) {
        total += p;
        INFO("sequence of " << seq.size());
        CHECK(std::exp(ctc_log_likelihood(lp, T, C, seq)) == Approx(p).epsilon(1e-9));
        const CtcResult r = ctc_loss(z, {T}, {seq}, nullptr, CtcReduction::sum);
        CHECK(r.losses[0] == Approx(-std::log(p)).epsilon(1e-6));
    }
    CHECK(total == Approx(1.0).epsilon(1e-9));
    // Sequences no path of 5 columns gives: "1 1 1" needs 5 (two blanks between), "1 1 1 1" needs 7.
    CHECK(paths.count({1, 1, 1}) == 1);
    CHECK(paths.count({1, 1, 1, 1}) == 0);
    CHECK(ctc_log_likelihood(lp, T, C, {1, 1, 1, 1}) == -std::numeric_limits<double>::infinity());
}

TEST_CASE("CTC: one column, and an empty target, by hand", "[ctc]") {
    Tensor z(1, 3, 1, 1);
    z[0] = 0.3f, z[1] = -1.2f, z[2] = 2.0f;
    const double log_total = std::log(std::exp(0.3) + std::exp(-1.2) + std::exp(2.0));
    CHECK(ctc_loss(z, {1}, {{2}}, nullptr).loss == Approx(log_total - 2.0).epsilon(1e-6));
    CHECK(ctc_loss(z, {1}, {{}}, nullptr).loss == Approx(log_total - 0.3).epsilon(1e-6));
    const Tensor w = random_logits(1, 4, 6, 3);
    const std::vector<double> lp = ctc_log_probabilities(w, 0, 6);
    double blanks = 0.0;
    for (int t = 0; t < 6; ++t) blanks += lp[std::size_t(t) * 4];
    CHECK(ctc_loss(w, {6}, {{}}, nullptr, CtcReduction::sum).loss == Approx(-blanks).epsilon(1e-6));
}

TEST_CASE("CTC: the gradient agrees with finite differences, and columns past a line's width get none",
          "[ctc]") {
    const int N = 3, C = 5, T = 9;
    Tensor z = random_logits(N, C, T, 11, 1.5f);
    const std::vector<int> lengths = {9, 6, 4};
    const std::vector<std::vector<int>> targets = {{1, 2, 2, 3}, {4, 4}, {}};
    for (CtcReduction reduction : {CtcReduction::mean, CtcReduction::sum}) {
        Tensor grad;
        ctc_loss(z, lengths, targets, &grad, reduction);
        const double h = 1e-2;
        for (std::size_t i = 0; i < z.size(); ++i) {
            const float keep = z[i];
            z[i] = keep + float(h);
            const double up = ctc_loss(z, lengths, targets, nullptr, reduction).loss;
            z[i] = keep - float(h);
            const double down = ctc_loss(z, lengths, targets, nullptr, reduction).loss;
            z[i] = keep;
            INFO("element " << i);
            CHECK(grad[i] == Approx((up - down) / (2 * h)).margin(2e-4));
        }
        for (int n = 0; n < N; ++n)
            for (int t = lengths[std::size_t(n)]; t < T; ++t)
                for (int k = 0; k < C; ++k) CHECK(grad.at(n, k, 0, t) == 0.0f);
    }
}

TEST_CASE("CTC: a target longer than its columns allow is infinite, or zero with zero_infinity", "[ctc]") {
    const Tensor z = random_logits(2, 3, 4, 5);
    // "1 1" needs 3 columns: fine in 4, impossible in 2.
    const std::vector<std::vector<int>> targets = {{1, 1}, {1, 1}};
    Tensor grad;
    const CtcResult inf = ctc_loss(z, {4, 2}, targets, &grad, CtcReduction::sum);
    CHECK(std::isinf(inf.loss));
    CHECK(std::isfinite(inf.losses[0]));
    CHECK(std::isinf(inf.losses[1]));
    const CtcResult zeroed = ctc_loss(z, {4, 2}, targets, &grad, CtcReduction::sum, true);
    CHECK(zeroed.loss == Approx(zeroed.losses[0]));
    for (int t = 0; t < 4; ++t)
        for (int k = 0; k < 3; ++k) CHECK(grad.at(1, k, 0, t) == 0.0f);
    CHECK_THROWS(ctc_loss(z, {5, 2}, targets, nullptr));        // longer than the logits
    CHECK_THROWS(ctc_loss(z, {4, 2}, {{1, 0}, {1}}, nullptr));  // the blank in a target
    CHECK_THROWS(ctc_loss(z, {4, 2}, {{1, 3}, {1}}, nullptr));  // a label out of range
    CHECK_THROWS(ctc_loss(z, {4}, targets, nullptr));           // one length short
}

TEST_CASE("CTC decoding: best path, prefix beam search, a charset, a length, the columns of each character",
          "[ctc]") {
    // Columns reading "1 1 2": 1, 1, blank, 1, 2, 2.
    const double hi = 0.9, lo = 0.1 / 3;
    auto col = [&](int k) {
        std::vector<double> p(4, lo);
        p[std::size_t(k)] = hi;
        return p;
    };
    const Tensor z = columns({col(1), col(1), col(0), col(1), col(2), col(2)});
    const std::vector<double> lp = ctc_log_probabilities(z, 0, 6);
    CHECK(ctc_best_path(lp, 6, 4) == std::vector<int>{1, 1, 2});
    const CtcBeamResult beam = ctc_prefix_beam_search(lp, 6, 4, 8);
    REQUIRE(beam.found);
    CHECK(beam.labels == std::vector<int>{1, 1, 2});
    // The beam sums the alignments it kept: a little under the exact sum, which a wide beam reaches.
    const double exact = ctc_log_likelihood(lp, 6, 4, {1, 1, 2});
    CHECK(beam.log_probability <= exact + 1e-12);
    CHECK(std::exp(beam.log_probability) == Approx(std::exp(exact)).epsilon(0.01));
    CHECK(ctc_prefix_beam_search(lp, 6, 4, 4096).log_probability == Approx(exact).epsilon(1e-9));
    const std::vector<CtcChar> chars = ctc_align(lp, 6, 4, beam.labels);
    REQUIRE(chars.size() == 3);
    CHECK((chars[0].first == 0 && chars[0].last == 1));
    CHECK((chars[1].first == 3 && chars[1].last == 3));
    CHECK((chars[2].first == 4 && chars[2].last == 5));
    for (const CtcChar& c : chars) CHECK(c.confidence == Approx(hi).epsilon(1e-5));
    // Only 1 allowed: the 2s' columns read as nothing.
    CtcConstraint no_twos;
    no_twos.allowed = {1};
    const CtcBeamResult constrained = ctc_prefix_beam_search(lp, 6, 4, 8, no_twos);
    REQUIRE(constrained.found);
    CHECK(constrained.labels == std::vector<int>{1, 1});
    CtcConstraint two_long;
    two_long.min_length = two_long.max_length = 2;
    const CtcBeamResult two = ctc_prefix_beam_search(lp, 6, 4, 8, two_long);
    REQUIRE(two.found);
    CHECK(two.labels.size() == 2);
    CtcConstraint too_long;
    too_long.min_length = 7;
    CHECK_FALSE(ctc_prefix_beam_search(lp, 6, 4, 8, too_long).found);
}

TEST_CASE("CTC decoding: the beam finds the likeliest sequence where the best path does not", "[ctc]") {
    // Two columns, each blank 0.4 and 1 0.35 and 2 0.25: the best path is blank blank (""), p = 0.16, but
    // "1" has 0.35 * 0.4 * 2 + 0.35 * 0.35 = 0.4025.
    const Tensor z = columns({{0.4, 0.35, 0.25}, {0.4, 0.35, 0.25}});
    const std::vector<double> lp = ctc_log_probabilities(z, 0, 2);
    CHECK(ctc_best_path(lp, 2, 3).empty());
    const CtcBeamResult beam = ctc_prefix_beam_search(lp, 2, 3, 4);
    REQUIRE(beam.found);
    CHECK(beam.labels == std::vector<int>{1});
    CHECK(std::exp(beam.log_probability) == Approx(0.4025).epsilon(1e-6));
    // On random columns, a wide beam finds the sequence brute force says is likeliest.
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        const Tensor r = random_logits(1, 3, 5, seed, 1.0f);
        const std::vector<double> rp = ctc_log_probabilities(r, 0, 5);
        const auto paths = all_paths(rp, 5, 3);
        auto best = paths.begin();
        for (auto it = paths.begin(); it != paths.end(); ++it)
            if (it->second > best->second) best = it;
        const CtcBeamResult b = ctc_prefix_beam_search(rp, 5, 3, 64);
        INFO("seed " << seed);
        CHECK(b.labels == best->first);
        CHECK(std::exp(b.log_probability) == Approx(best->second).epsilon(1e-9));
    }
}

TEST_CASE("CTC decoding: a prior over the sequences is fused with the columns, as brute force ranks them",
          "[ctc]") {
    // A prior that likes label 2 after label 1, dislikes label 1 at the start, and ends best after a 2.
    CtcPrior prior;
    prior.next = [](const std::vector<int>& prefix, int label) {
        if (prefix.empty()) return label == 1 ? std::log(0.2) : std::log(0.8);
        return prefix.back() == 1 && label == 2 ? std::log(0.9) : std::log(0.5);
    };
    prior.end = [](const std::vector<int>& s) { return !s.empty() && s.back() == 2 ? 0.0 : std::log(0.3); };
    auto log_prior = [&](const std::vector<int>& s) {
        double v = prior.end(s);
        std::vector<int> prefix;
        for (int k : s) v += prior.next(prefix, k), prefix.push_back(k);
        return v;
    };
    for (const double weight : {0.0, 0.5, 1.0, 2.0})
        for (std::uint32_t seed = 1; seed <= 12; ++seed) {
            const Tensor r = random_logits(1, 3, 5, seed, 1.0f);
            const std::vector<double> rp = ctc_log_probabilities(r, 0, 5);
            prior.weight = weight, prior.bonus = 0.3;
            const auto paths = all_paths(rp, 5, 3);
            auto fused = [&](const std::pair<const std::vector<int>, double>& p) {
                return std::log(p.second) + weight * log_prior(p.first) + 0.3 * double(p.first.size());
            };
            auto best = paths.begin();
            for (auto it = paths.begin(); it != paths.end(); ++it)
                if (fused(*it) > fused(*best)) best = it;
            const CtcBeamResult b = ctc_prefix_beam_search(rp, 5, 3, 64, {}, prior);
            INFO("seed " << seed << ", weight " << weight);
            REQUIRE(b.found);
            CHECK(b.labels == best->first);
            CHECK(std::exp(b.log_probability) == Approx(best->second).epsilon(1e-9));
            CHECK(b.log_prior == Approx(log_prior(best->first)).margin(1e-12));
            // The finalists come best first, each scored as brute force scores it.
            for (std::size_t i = 0; i < b.finalists.size(); ++i) {
                if (i > 0) CHECK(b.finalists[i - 1].score >= b.finalists[i].score);
                CHECK(b.finalists[i].score ==
                      Approx(b.finalists[i].log_probability + weight * log_prior(b.finalists[i].labels) +
                             0.3 * double(b.finalists[i].labels.size())));
            }
        }
    // Pruning: a label under the floor at a column is not started there.
    const Tensor z = columns({{0.5, 0.45, 0.05}, {0.5, 0.45, 0.05}});
    const std::vector<double> lp = ctc_log_probabilities(z, 0, 2);
    CtcConstraint pruned;
    pruned.prune = std::log(0.1);
    for (const CtcHypothesis& h : ctc_prefix_beam_search(lp, 2, 3, 16, pruned).finalists)
        CHECK(std::find(h.labels.begin(), h.labels.end(), 2) == h.labels.end());
}
