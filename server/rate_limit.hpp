// A token bucket per client: `burst` requests at once, then `per_minute` a minute. The table of buckets is
// bounded: past kMaxClients, buckets that have refilled completely (clients gone quiet) are dropped first,
// and if none has, the table starts afresh, so that a flood of addresses cannot grow it without bound.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace digit {

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t kMaxClients = 10000;

    RateLimiter(double per_minute = 0, double burst = 1) { configure(per_minute, burst); }
    void configure(double per_minute, double burst) {
        std::lock_guard<std::mutex> lock(mutex_);
        rate_ = per_minute / 60.0;
        burst_ = burst < 1 ? 1 : burst;
        buckets_.clear();
    }

    // Takes a token for `client`: 0 when there was one, else the whole seconds until there will be.
    int take(const std::string& client, Clock::time_point now = Clock::now()) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (rate_ <= 0) return 0;
        if (buckets_.size() >= kMaxClients && buckets_.find(client) == buckets_.end()) sweep(now);
        auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
        Bucket& b = it->second;
        if (!fresh) {
            const double elapsed = std::chrono::duration<double>(now - b.updated).count();
            b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
            b.updated = now;
        }
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return 0;
        }
        return int(std::ceil((1.0 - b.tokens) / rate_));
    }

  private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void sweep(Clock::time_point now) {
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
            if (it->second.tokens + elapsed * rate_ >= burst_)
                it = buckets_.erase(it);
            else
                ++it;
        }
        if (buckets_.size() >= kMaxClients) buckets_.clear();
    }

    std::mutex mutex_;
    double rate_ = 0, burst_ = 1;  // tokens per second, bucket size
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace digit
