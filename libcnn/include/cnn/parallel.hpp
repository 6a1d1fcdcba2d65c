// A small pool of persistent worker threads. Layers split a batch into one contiguous slice per thread
// (`slice`), so the split — and with it every floating-point sum — depends only on the batch size and the
// thread count: the same seed and thread count give the same result, run after run.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cnn {

class ThreadPool {
  public:
    explicit ThreadPool(int threads = 1) : threads_(std::max(1, threads)) {
        for (int t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
    }
    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return threads_; }

    // Runs task(t) for t in [0, tasks) on up to size() threads and waits for all. Task t always runs alone on
    // one thread, so a task may use per-task scratch indexed by t. Exceptions are rethrown in the caller.
    void run(int tasks, const std::function<void(int)>& task) {
        if (tasks <= 0) return;
        if (tasks == 1 || threads_ == 1) {
            for (int t = 0; t < tasks; ++t) task(t);
            return;
        }
        {
            std::unique_lock<std::mutex> lock(mutex_);
            task_ = &task;
            tasks_ = tasks;
            next_ = 0;
            pending_ = tasks;
            error_ = nullptr;
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        work_on_tasks();
        // The other slices usually finish within microseconds of this one: look before sleeping.
        for (int spin = 0; spin < kSpins && pending_.load(std::memory_order_acquire) != 0; ++spin) pause();
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        task_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

    // The half-open range of [0, n) that part `part` of `parts` covers: contiguous, sizes differ by at
    // most 1.
    static std::pair<int, int> slice(int n, int parts, int part) {
        int base = n / parts, extra = n % parts;
        int begin = part * base + std::min(part, extra);
        return {begin, begin + base + (part < extra ? 1 : 0)};
    }

  private:
    void work_on_tasks() {
        for (;;) {
            int t;
            const std::function<void(int)>* task;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (next_ >= tasks_) return;
                t = next_++;
                task = task_;
            }
            try {
                (*task)(t);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> lock(mutex_);  // the waiter checks pending_ under this lock
                done_.notify_all();
            }
        }
    }

    // A layer's parallel regions follow each other closely; a worker that waits a few microseconds for the
    // next one avoids a sleep and wake-up (tens of microseconds) per region.
    static constexpr int kSpins = 4000;
    static void pause() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    void worker_loop(int) {
        long seen = 0;
        for (;;) {
            for (int spin = 0; spin < kSpins && generation_.load(std::memory_order_acquire) == seen; ++spin)
                pause();
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_.load() != seen; });
                if (stopping_) return;
                seen = generation_.load();
            }
            work_on_tasks();
        }
    }

    int threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* task_ = nullptr;
    int tasks_ = 0, next_ = 0;
    std::atomic<int> pending_{0};
    std::atomic<long> generation_{0};
    bool stopping_ = false;
    std::exception_ptr error_;
};

// Runs body(begin, end, part) over `parts` contiguous slices of [0, n).
inline void parallel_slices(ThreadPool* pool, int n, const std::function<void(int, int, int)>& body) {
    int parts = pool ? std::min(pool->size(), std::max(1, n)) : 1;
    if (parts == 1) {
        body(0, n, 0);
        return;
    }
    pool->run(parts, [&](int part) {
        auto [b, e] = ThreadPool::slice(n, parts, part);
        body(b, e, part);
    });
}

inline int slice_count(ThreadPool* pool, int n) {
    return pool ? std::min(pool->size(), std::max(1, n)) : 1;
}

}  // namespace cnn
