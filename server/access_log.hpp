// The access log: one line per request on stderr, written by a thread of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace digit {

// Request threads append their line to a buffer and one thread writes it out every kFlushPeriod (or at once
// past kFlushBytes), so a busy server makes a few write(2) calls a second instead of one per request, each of
// them queueing on the log file's lock. Flushed when the program ends.
class AccessLog {
  public:
    static AccessLog& instance();
    void append(const char* line, std::size_t size);
    ~AccessLog();

  private:
    static constexpr std::size_t kFlushBytes = 32 * 1024;
    static constexpr auto kFlushPeriod = std::chrono::milliseconds(20);

    AccessLog();
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::string buffer_;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace digit
