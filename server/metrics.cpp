#include "metrics.hpp"

#include <algorithm>
#include <sstream>

#include "classifier.hpp"

namespace digit {

void Metrics::record_request(const std::string& route, int status, double latency_seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++requests_[{route, status}];
    Histogram& histogram = latency_[route];
    const auto bucket = std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), latency_seconds);
    if (bucket != kBucketBounds.end()) ++histogram.buckets[std::size_t(bucket - kBucketBounds.begin())];
    ++histogram.count;
    histogram.sum += latency_seconds;
}

void Metrics::record_prediction(const Prediction& prediction) {
    if (prediction.reason == Rejection::not_a_digit)
        rejections_[0].fetch_add(1, std::memory_order_relaxed);
    else if (prediction.reason == Rejection::low_confidence)
        rejections_[1].fetch_add(1, std::memory_order_relaxed);
    else if (prediction.digit >= 0 && prediction.digit < 10)
        predictions_[std::size_t(prediction.digit)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_feedback(FeedbackResult result) {
    feedback_[std::size_t(result)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_reload(bool succeeded) {
    reloads_[succeeded ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render() const {
    std::ostringstream out;
    std::lock_guard<std::mutex> lock(mutex_);
    out << "# HELP digit_http_requests_total HTTP requests answered, by route and status.\n"
        << "# TYPE digit_http_requests_total counter\n";
    for (const auto& [key, count] : requests_)
        out << "digit_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
            << count << "\n";
    out << "# HELP digit_http_request_duration_seconds Time from routing to the response, by route.\n"
        << "# TYPE digit_http_request_duration_seconds histogram\n";
    for (const auto& [route, histogram] : latency_) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
            cumulative += histogram.buckets[i];
            out << "digit_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
                << kBucketBounds[i] << "\"} " << cumulative << "\n";
        }
        out << "digit_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
            << histogram.count << "\n"
            << "digit_http_request_duration_seconds_sum{route=\"" << route << "\"} " << histogram.sum << "\n"
            << "digit_http_request_duration_seconds_count{route=\"" << route << "\"} " << histogram.count
            << "\n";
    }
    out << "# HELP digit_predictions_total Answers that were a digit, by digit.\n"
        << "# TYPE digit_predictions_total counter\n";
    for (int d = 0; d < 10; ++d)
        out << "digit_predictions_total{digit=\"" << d << "\"} " << predictions_[std::size_t(d)].load()
            << "\n";
    out << "# HELP digit_rejections_total Answers that were not a digit (images and marks in numbers), by "
           "reason.\n"
        << "# TYPE digit_rejections_total counter\n"
        << "digit_rejections_total{reason=\"not_a_digit\"} " << rejections_[0].load() << "\n"
        << "digit_rejections_total{reason=\"low_confidence\"} " << rejections_[1].load() << "\n";
    out << "# HELP digit_feedback_total Corrections sent (POST /feedback), by what became of them.\n"
        << "# TYPE digit_feedback_total counter\n";
    const char* const results[] = {"stored", "refused", "rate_limited", "full", "unavailable"};
    for (std::size_t i = 0; i < feedback_.size(); ++i)
        out << "digit_feedback_total{result=\"" << results[i] << "\"} " << feedback_[i].load() << "\n";
    out << "# HELP digit_model_reloads_total Model reloads (SIGHUP, POST /admin/reload), by result.\n"
        << "# TYPE digit_model_reloads_total counter\n"
        << "digit_model_reloads_total{result=\"success\"} " << reloads_[1].load() << "\n"
        << "digit_model_reloads_total{result=\"failure\"} " << reloads_[0].load() << "\n";
    return out.str();
}

}  // namespace digit
