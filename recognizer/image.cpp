#include "image.hpp"

#include <algorithm>
#include <limits>

#include <cnn/simd.hpp>

namespace digit {
namespace {

// Running max (or min) over windows of 2r+1 samples, clipped at the ends: grey dilation (erosion) along one
// direction. Max and min are exact, so every way of computing them below gives the same result.

// Down a chunk of kWidth adjacent columns (one vector per row, `n` rows): van Herk / Gil-Werman with the
// running extremes in registers. The column is padded with r identity samples above and below and cut into
// blocks of k = 2r+1; g is the running extreme from each block's start, h from each block's end, and any
// window of k samples is the union of a block's suffix and the next block's prefix: out[i] = op(h[i],
// g[i + 2r]). Three comparisons per pixel, whatever r is. g and h hold (n + 2r rounded up to k) vectors.
template <bool kMax>
void column_chunk_extreme(const float* in, std::ptrdiff_t in_stride, float* out, std::ptrdiff_t out_stride,
                          int n, int r, float* g, float* h) {
    using cnn::simd::vec;
    constexpr int L = cnn::simd::kWidth;
    const auto op = [](vec a, vec b) { return kMax ? (a > b ? a : b) : (a < b ? a : b); };
    const vec identity = cnn::simd::splat(kMax ? -std::numeric_limits<float>::infinity()
                                               : std::numeric_limits<float>::infinity());
    const int k = 2 * r + 1, padded = (n + 2 * r + k - 1) / k * k;
    const auto x = [&](int i) {
        return i >= r && i < r + n ? cnn::simd::load(in + (i - r) * in_stride) : identity;
    };
    for (int b = 0; b < padded; b += k) {
        vec running = x(b);
        cnn::simd::store(g + std::ptrdiff_t(b) * L, running);
        for (int i = b + 1; i < b + k; ++i) {
            running = op(running, x(i));
            cnn::simd::store(g + std::ptrdiff_t(i) * L, running);
        }
        running = x(b + k - 1);
        cnn::simd::store(h + std::ptrdiff_t(b + k - 1) * L, running);
        for (int i = b + k - 2; i >= b; --i) {
            running = op(running, x(i));
            cnn::simd::store(h + std::ptrdiff_t(i) * L, running);
        }
    }
    for (int i = 0; i < n; ++i) {
        cnn::simd::store(out + i * out_stride, op(cnn::simd::load(h + std::ptrdiff_t(i) * L),
                                                  cnn::simd::load(g + std::ptrdiff_t(i + 2 * r) * L)));
    }
}

// Down every column: whole chunks in place, the last partial chunk through a padded copy.
template <bool kMax>
Plane column_extreme(const Plane& in, int r) {
    constexpr int L = cnn::simd::kWidth;
    const int w = in.width, n = in.height, k = 2 * r + 1, padded = (n + 2 * r + k - 1) / k * k;
    std::vector<float> g(std::size_t(padded) * L), h(std::size_t(padded) * L);
    Plane out(w, n);
    const int whole = w / L * L;
    for (int c = 0; c < whole; c += L)
        column_chunk_extreme<kMax>(&in.v[std::size_t(c)], w, &out.v[std::size_t(c)], w, n, r, g.data(),
                                   h.data());
    if (whole < w) {
        const int lanes = w - whole;
        std::vector<float> part(std::size_t(n) * L, 0.0f), result(part.size());
        for (int y = 0; y < n; ++y)
            std::copy_n(&in.v[std::size_t(y) * w + std::size_t(whole)], lanes, &part[std::size_t(y) * L]);
        column_chunk_extreme<kMax>(part.data(), L, result.data(), L, n, r, g.data(), h.data());
        for (int y = 0; y < n; ++y)
            std::copy_n(&result[std::size_t(y) * L], lanes, &out.v[std::size_t(y) * w + std::size_t(whole)]);
    }
    return out;
}

template <typename Op>
void pairwise(const float* __restrict in, float* __restrict out, int count, int span, Op op) {
    for (int i = 0; i < count; ++i) out[i] = op(in[i], in[i + span]);
}

// Along every row, by doubling: after pass m, cur[i] is the extreme of the 2^m padded samples from i on, and
// two overlapping such windows make one of k. log2(k) + 1 vectorised passes over the row.
template <bool kMax>
Plane row_extreme(const Plane& in, int r) {
    const float identity =
        kMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    const auto op = [](float a, float b) { return kMax ? std::max(a, b) : std::min(a, b); };
    const int n = in.width, k = 2 * r + 1, length = n + 2 * r;
    std::vector<float> first(static_cast<std::size_t>(length)), second(first.size());
    Plane out(in.width, in.height);
    for (int y = 0; y < in.height; ++y) {
        // The passes write over `first` too: its padding is laid down again for every row.
        std::fill(first.begin(), first.begin() + r, identity);
        std::copy_n(&in.v[std::size_t(y) * n], n, first.begin() + r);
        std::fill(first.begin() + r + n, first.end(), identity);
        float* cur = first.data();
        float* next = second.data();
        int span = 1;
        for (; 2 * span <= k; span *= 2) {
            pairwise(cur, next, length - 2 * span + 1, span, op);
            std::swap(cur, next);
        }
        float* row = &out.v[std::size_t(y) * n];
        for (int i = 0; i < n; ++i) row[i] = op(cur[i], cur[i + k - span]);
    }
    return out;
}

}  // namespace

// Grey dilation or erosion: the column pass, then the row pass.
Plane square_extreme(const Plane& in, int r, bool take_max) {
    if (r <= 0) return in;
    return take_max ? row_extreme<true>(column_extreme<true>(in, r), r)
                    : row_extreme<false>(column_extreme<false>(in, r), r);
}

// 3x3 mean, edges clipped: takes the grain out of paper texture and JPEG noise before thresholding.
Plane box3(const Plane& in) {
    Plane out(in.width, in.height);
    for (int y = 0; y < in.height; ++y) {
        const int y0 = std::max(0, y - 1), y1 = std::min(in.height - 1, y + 1);
        for (int x = 0; x < in.width; ++x) {
            const int x0 = std::max(0, x - 1), x1 = std::min(in.width - 1, x + 1);
            float sum = 0.0f;
            for (int yy = y0; yy <= y1; ++yy)
                for (int xx = x0; xx <= x1; ++xx) sum += in(xx, yy);
            out(x, y) = sum / float((y1 - y0 + 1) * (x1 - x0 + 1));
        }
    }
    return out;
}

// Value below which `fraction` of the samples lie (nth_element on a copy).
float percentile(std::vector<float> values, double fraction) {
    if (values.empty()) return 0.0f;
    const std::size_t k =
        std::min(values.size() - 1, std::size_t(std::max(0.0, fraction) * double(values.size() - 1)));
    std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
    return values[k];
}

// Otsu's threshold of non-negative values over [0, max_value], 256 bins.
float otsu_threshold(const std::vector<float>& values, float max_value) {
    if (max_value <= 0.0f) return 0.0f;
    // Four interleaved integer histograms: most values fall in the same bin, and one histogram would make
    // every increment wait for the previous one.
    std::array<std::array<std::uint32_t, 256>, 4> counts{};
    const float to_bin = 255.0f / max_value;
    const auto bin = [to_bin](float value) { return std::size_t(std::clamp(value * to_bin, 0.0f, 255.0f)); };
    std::size_t i = 0;
    for (; i + 4 <= values.size(); i += 4)
        for (std::size_t lane = 0; lane < 4; ++lane) ++counts[lane][bin(values[i + lane])];
    for (; i < values.size(); ++i) ++counts[0][bin(values[i])];
    std::array<double, 256> histogram{};
    for (std::size_t b = 0; b < 256; ++b)
        histogram[b] = double(counts[0][b] + counts[1][b] + counts[2][b] + counts[3][b]);
    const double total = double(values.size());
    double sum_all = 0.0;
    for (int i = 0; i < 256; ++i) sum_all += i * histogram[i];
    double weight_below = 0.0, sum_below = 0.0, best_variance = -1.0;
    int best_bin = 0;
    for (int i = 0; i < 256; ++i) {
        weight_below += histogram[i];
        sum_below += i * histogram[i];
        const double weight_above = total - weight_below;
        if (weight_below <= 0.0 || weight_above <= 0.0) continue;
        const double mean_below = sum_below / weight_below;
        const double mean_above = (sum_all - sum_below) / weight_above;
        const double between =
            weight_below * weight_above * (mean_below - mean_above) * (mean_below - mean_above);
        if (between > best_variance) {
            best_variance = between;
            best_bin = i;
        }
    }
    return (best_bin + 0.5f) / to_bin;
}

// Area-averaging resize: each output pixel is the mean of the input area it covers (fractional edges
// weighted), so a large stroke shrinks to soft grey edges like MNIST's, never to aliased stairs.
Plane resize_area(const Plane& in, int out_w, int out_h) {
    auto resize_axis = [](const float* src, int src_n, std::ptrdiff_t src_stride, float* dst, int dst_n,
                          std::ptrdiff_t dst_stride) {
        const double scale = double(src_n) / dst_n;
        for (int i = 0; i < dst_n; ++i) {
            const double begin = i * scale, end = (i + 1) * scale;
            double sum = 0.0;
            for (int s = int(begin); s < src_n && s < end; ++s) {
                const double overlap = std::min<double>(end, s + 1) - std::max<double>(begin, s);
                if (overlap > 0) sum += overlap * src[s * src_stride];
            }
            dst[i * dst_stride] = float(sum / scale);
        }
    };
    Plane columns(out_w, in.height), out(out_w, out_h);
    for (int y = 0; y < in.height; ++y)
        resize_axis(&in.v[std::size_t(y) * in.width], in.width, 1, &columns.v[std::size_t(y) * out_w], out_w,
                    1);
    for (int x = 0; x < out_w; ++x)
        resize_axis(&columns.v[std::size_t(x)], in.height, out_w, &out.v[std::size_t(x)], out_h, out_w);
    return out;
}

// Mean stroke width of a binary shape: area over half its boundary length (a stroke of width w and length L

float mean_stroke_width(const Mask& mask) {
    const int w = mask.width, h = mask.height;
    std::size_t area = 0, boundary = 0;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            if (!mask(x, y)) continue;
            ++area;
            boundary += x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask(x - 1, y) || !mask(x + 1, y) ||
                        !mask(x, y - 1) || !mask(x, y + 1);
        }
    }
    return boundary == 0 ? 0.0f : 2.0f * float(area) / float(boundary);
}

}  // namespace digit
