#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace digit {
namespace {
constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
}  // namespace

ProgressBar::ProgressBar(std::string label, std::size_t total_batches, std::FILE* stream, Style style)
    : label_(std::move(label)),
      total_batches_(std::max<std::size_t>(total_batches, 1)),
      stream_(stream),
      redraw_(style == Style::redraw || (style == Style::automatic && ::isatty(::fileno(stream)) == 1)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
    finish();
}

void ProgressBar::update(std::size_t batches_done, double loss, std::size_t images_done) {
    if (finished_) return;
    batches_done_ = std::min(batches_done, total_batches_);
    loss_ = loss;
    images_done_ = images_done;
    const auto now = std::chrono::steady_clock::now();
    const bool complete = batches_done_ == total_batches_;
    if (redraw_) {
        if (!complete && drawn_ && now - last_draw_ < kRedrawInterval) return;
        // Trailing spaces wipe what a longer previous line left behind.
        std::fprintf(stream_, "\r%s   ", render().c_str());
        std::fflush(stream_);
        last_draw_ = now;
        drawn_ = true;
    } else {
        const int decile = static_cast<int>(batches_done_ * 10 / total_batches_);
        if (decile <= last_decile_printed_) return;
        last_decile_printed_ = decile;
        std::fprintf(stream_, "%s\n", render().c_str());
        std::fflush(stream_);
    }
}

void ProgressBar::finish() {
    if (finished_) return;
    finished_ = true;
    if (redraw_ && drawn_) {
        std::fprintf(stream_, "\r%s   \n", render().c_str());
        std::fflush(stream_);
    }
}

std::string ProgressBar::render() const {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = static_cast<double>(batches_done_) / total_batches_;
    const int filled = static_cast<int>(fraction * kBarWidth);
    std::string bar(kBarWidth, ' ');
    std::fill_n(bar.begin(), filled, '=');
    if (filled < kBarWidth && batches_done_ > 0) bar[filled] = '>';
    const double images_per_second = elapsed > 0.0 ? images_done_ / elapsed : 0.0;
    const bool complete = batches_done_ == total_batches_;
    const std::string timing =
        complete
            ? "in " + format_duration(elapsed)
            : "ETA " + (batches_done_ > 0 ? format_duration(elapsed / fraction - elapsed) : std::string("?"));
    char line[512];
    std::snprintf(line, sizeof line, "%s [%s] %zu/%zu  loss %.4f  %.0f img/s  %s", label_.c_str(),
                  bar.c_str(), batches_done_, total_batches_, loss_, images_per_second, timing.c_str());
    return line;
}

std::string ProgressBar::format_duration(double seconds) {
    const long total = std::isfinite(seconds) && seconds > 0.0 ? std::lround(seconds) : 0;
    char text[32];
    if (total >= 3600) {
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
    } else {
        std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
    }
    return text;
}

}  // namespace digit
