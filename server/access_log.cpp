#include "access_log.hpp"

#include <unistd.h>

namespace digit {

AccessLog& AccessLog::instance() {
    static AccessLog log;
    return log;
}

AccessLog::AccessLog() : writer_([this] { run(); }) {}

AccessLog::~AccessLog() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void AccessLog::append(const char* line, std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool was_empty = buffer_.empty();
    buffer_.append(line, size);
    if (was_empty || buffer_.size() >= kFlushBytes) wake_.notify_one();
}

void AccessLog::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        // Asleep while there is nothing to write; then up to kFlushPeriod for more lines to join the first.
        wake_.wait(lock, [this] { return stopping_ || !buffer_.empty(); });
        wake_.wait_for(lock, kFlushPeriod, [this] { return stopping_ || buffer_.size() >= kFlushBytes; });
        std::string out;
        out.swap(buffer_);
        const bool last = stopping_;
        lock.unlock();
        for (std::size_t done = 0; done < out.size();) {
            const ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
            if (n <= 0) break;  // nowhere to log to: drop the lines rather than stall
            done += std::size_t(n);
        }
        if (last) return;
        lock.lock();
    }
}

}  // namespace digit
