// A terminal progress bar for training: batch i/n, a bar, loss, images/s and ETA.
//
// On a terminal it redraws one line in place ('\r', at most ten times a second); into a file or pipe (CI
// logs) it prints one line per 10% instead, so that logs stay short.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace digit {

class ProgressBar {
  public:
    enum class Style { automatic, redraw, lines };  // automatic: redraw when the stream is a terminal

    ProgressBar(std::string label, std::size_t total_batches, std::FILE* stream = stderr,
                Style style = Style::automatic);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    // After each batch: batches finished so far (1..total), the loss to show, images processed so far.
    void update(std::size_t batches_done, double loss, std::size_t images_done);
    // Ends the bar's line; called by the destructor if not before. Further updates are ignored.
    void finish();

    // "0:42", "1:02:03": for ETAs and epoch times.
    static std::string format_duration(double seconds);

  private:
    std::string render() const;

    std::string label_;
    std::size_t total_batches_;
    std::FILE* stream_;
    bool redraw_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    std::size_t batches_done_ = 0;
    std::size_t images_done_ = 0;
    double loss_ = 0.0;
    int last_decile_printed_ = 0;
    bool drawn_ = false;
    bool finished_ = false;
};

}  // namespace digit
