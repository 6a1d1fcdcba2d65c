// Prometheus counters for GET /metrics: requests by route and status, a latency histogram per route,
// predictions by digit and rejections by reason, corrections kept or refused, model reloads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace digit {

struct Prediction;  // classifier.hpp

class Metrics {
  public:
    void record_request(const std::string& route, int status, double latency_seconds);
    // An answer: counted by digit when it is one, by reason when it is not.
    void record_prediction(const Prediction& prediction);
    // A POST /feedback that reached the store (or was refused before it), by what became of it.
    enum class FeedbackResult { stored, refused, rate_limited, full, unavailable };
    void record_feedback(FeedbackResult result);
    void record_reload(bool succeeded);
    std::string render() const;  // text exposition format 0.0.4

  private:
    static constexpr std::array<double, 12> kBucketBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    struct Histogram {
        std::array<std::uint64_t, kBucketBounds.size()>
            buckets{};  // non-cumulative here, summed when rendered
        std::uint64_t count = 0;
        double sum = 0.0;
    };
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::uint64_t> requests_;
    std::map<std::string, Histogram> latency_;
    std::array<std::atomic<std::uint64_t>, 10> predictions_{};
    std::array<std::atomic<std::uint64_t>, 2> rejections_{};  // not_a_digit, low_confidence
    std::array<std::atomic<std::uint64_t>, 5> feedback_{};    // by FeedbackResult
    std::array<std::atomic<std::uint64_t>, 2> reloads_{};     // failed, succeeded
};

}  // namespace digit
