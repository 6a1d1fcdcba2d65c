// A small pool of persistent worker threads. Layers split a batch into one contiguous slice per thread
// (`slice`), so the split — and with it every floating-point sum — depends only on the batch size and the
// thread count: the same seed and thread count give the same result, run after run.
#pragma once

#include <algorithm>
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
            ++generation_;
        }
        wake_.notify_all();
        work_on_tasks();
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        task_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

    // The half-open range of [0, n) that part `part` of `parts` covers: contiguous, sizes differ by at most 1.
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
            std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0) done_.notify_all();
        }
    }

    void worker_loop(int) {
        long seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
                if (stopping_) return;
                seen = generation_;
            }
            work_on_tasks();
        }
    }

    int threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* task_ = nullptr;
    int tasks_ = 0, next_ = 0, pending_ = 0;
    long generation_ = 0;
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

inline int slice_count(ThreadPool* pool, int n) { return pool ? std::min(pool->size(), std::max(1, n)) : 1; }

}  // namespace cnn
