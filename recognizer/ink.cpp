#include "ink.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "error.hpp"

namespace digit {
namespace {

// The cells of a coarse grid over an image: about `per_side` cells along the longer side.
struct Grid {
    int cell = 1, nx = 1, ny = 1;
    Grid(int w, int h, int per_side, int min_cell) {
        cell = std::max(min_cell, (std::max(w, h) + per_side - 1) / per_side);
        nx = (w + cell - 1) / cell;
        ny = (h + cell - 1) / cell;
    }
};

// Per cell of `grid`, the value below which `fraction` of its pixels lie.
std::vector<float> cell_percentiles(const Plane& image, const Grid& grid, double fraction) {
    std::vector<float> result(std::size_t(grid.nx) * std::size_t(grid.ny)), values;
    for (int cy = 0; cy < grid.ny; ++cy) {
        for (int cx = 0; cx < grid.nx; ++cx) {
            values.clear();
            for (int y = cy * grid.cell; y < std::min(image.height, (cy + 1) * grid.cell); ++y)
                for (int x = cx * grid.cell; x < std::min(image.width, (cx + 1) * grid.cell); ++x)
                    values.push_back(image(x, y));
            result[std::size_t(cy) * std::size_t(grid.nx) + std::size_t(cx)] = percentile(values, fraction);
        }
    }
    return result;
}

// The paper's level over the image: a quadratic in the image's coordinates u, v (each -1..1). Light falls
// off smoothly towards a corner or the edges of a phone photo (vignetting, a lamp to one side), which a
// plane cannot follow; a quadratic can, and still cannot bend round a digit's strokes.
struct Surface {
    std::array<double, 6> a{};  // 1, u, v, u^2, uv, v^2
    double operator()(double u, double v) const {
        return a[0] + a[1] * u + a[2] * v + a[3] * u * u + a[4] * u * v + a[5] * v * v;
    }
};

// Solves m x = b (n unknowns) by elimination with partial pivoting; false when m is singular.
template <std::size_t N>
bool solve(std::array<std::array<double, N>, N> m, std::array<double, N> b, std::array<double, N>& x) {
    for (std::size_t c = 0; c < N; ++c) {
        std::size_t pivot = c;
        for (std::size_t r = c + 1; r < N; ++r)
            if (std::abs(m[r][c]) > std::abs(m[pivot][c])) pivot = r;
        if (std::abs(m[pivot][c]) < 1e-12) return false;
        std::swap(m[c], m[pivot]);
        std::swap(b[c], b[pivot]);
        for (std::size_t r = c + 1; r < N; ++r) {
            const double f = m[r][c] / m[c][c];
            for (std::size_t k = c; k < N; ++k) m[r][k] -= f * m[c][k];
            b[r] -= f * b[c];
        }
    }
    for (std::size_t c = N; c-- > 0;) {
        double sum = b[c];
        for (std::size_t k = c + 1; k < N; ++k) sum -= m[c][k] * x[k];
        x[c] = sum / m[c][c];
    }
    return true;
}

// Weighted least squares. The quadratic terms only when most cells are paper, enough to pin them (and a
// little damped): round a digit that fills the picture a quadratic would bend. Otherwise a plane, or a flat
// level where the cells do not span both directions.
Surface fit_surface(const std::vector<double>& u, const std::vector<double>& v, const std::vector<float>& z,
                    const std::vector<double>& weight) {
    auto terms = [&](std::size_t i) {
        return std::array<double, 6>{1.0, u[i], v[i], u[i] * u[i], u[i] * v[i], v[i] * v[i]};
    };
    std::array<std::array<double, 6>, 6> m{};
    std::array<double, 6> b{};
    double sw = 0.0, sz = 0.0;
    std::size_t used = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        const double w = weight[i];
        if (w <= 0.0) continue;
        ++used;
        sw += w, sz += w * z[i];
        const std::array<double, 6> t = terms(i);
        for (std::size_t r = 0; r < 6; ++r) {
            b[r] += w * t[r] * z[i];
            for (std::size_t c = 0; c < 6; ++c) m[r][c] += w * t[r] * t[c];
        }
    }
    Surface surface;
    if (sw <= 0.0) return surface;
    surface.a[0] = sz / sw;
    if (used >= 24 && used >= 0.6 * double(z.size())) {
        std::array<std::array<double, 6>, 6> damped = m;
        for (std::size_t r = 3; r < 6; ++r) damped[r][r] += 1e-3 * sw;
        std::array<double, 6> x{};
        if (solve(damped, b, x)) {
            surface.a = x;
            return surface;
        }
    }
    std::array<std::array<double, 3>, 3> m3{};
    std::array<double, 3> b3{}, x3{};
    for (std::size_t r = 0; r < 3; ++r) {
        b3[r] = b[r];
        for (std::size_t c = 0; c < 3; ++c) m3[r][c] = m[r][c];
    }
    if (solve(m3, b3, x3)) surface.a = {x3[0], x3[1], x3[2], 0.0, 0.0, 0.0};
    return surface;
}

}  // namespace

bool ink_is_darker_than_background(const Plane& image) {
    const int w = image.width, h = image.height;
    // The background is the level most of the picture has: where most of the image's border is of one level
    // (a margin of plain paper or canvas around the digit), that level; otherwise the most common grey of
    // the whole image. A table beside the sheet or a shadow along one edge moves neither. Ink is whichever
    // way the rest departs from it.
    constexpr float margin = 0.1f;
    std::vector<float> ring;
    const int band = std::max(1, std::max(w, h) / 50);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (x < band || y < band || x >= w - band || y >= h - band) ring.push_back(image(x, y));
    float level = percentile(ring, 0.5);
    const auto near_level =
        std::count_if(ring.begin(), ring.end(), [&](float v) { return std::abs(v - level) < margin; });
    if (double(near_level) < 0.6 * double(ring.size())) {
        std::array<int, 64> histogram{};
        for (float v : image.v) ++histogram[std::size_t(std::clamp(int(v * 64.0f), 0, 63))];
        // The fullest window of +-margin.
        int best = 0, best_count = -1;
        for (int centre = 0; centre < 64; ++centre) {
            int count = 0;
            for (int b = std::max(0, centre - 6); b <= std::min(63, centre + 6); ++b)
                count += histogram[std::size_t(b)];
            if (count > best_count) best = centre, best_count = count;
        }
        level = (best + 0.5f) / 64.0f;
    }
    double darker = 0.0, lighter = 0.0;
    for (float v : image.v) {
        darker += std::max(0.0f, level - margin - v);
        lighter += std::max(0.0f, v - level - margin);
    }
    // Most pictures are dark ink on light paper; a light background tips a close call that way, a dark one
    // the other.
    const double prior_dark = level >= 0.5f ? 1.25 : 0.8;
    return darker * prior_dark >= lighter;
}

Plane estimate_background(const Plane& signal) {
    const int w = signal.width, h = signal.height;
    // Cells a sixteenth of the longer side: wide enough that a cell crossed by a thin stroke is still mostly
    // paper; the cells a thick stroke covers are recognised below as outliers and take the fitted surface.
    // Small images get few cells: nothing there varies on a finer scale than a few strokes.
    const Grid grid(w, h, 16, 8);
    const std::vector<float> level = cell_percentiles(signal, grid, 0.3);
    const std::size_t cells = level.size();
    std::vector<double> u(cells), v(cells), weight(cells, 1.0);
    for (int cy = 0; cy < grid.ny; ++cy) {
        for (int cx = 0; cx < grid.nx; ++cx) {
            const std::size_t i = std::size_t(cy) * std::size_t(grid.nx) + std::size_t(cx);
            u[i] = 2.0 * (std::min(w, cx * grid.cell + grid.cell / 2) + 0.5) / w - 1.0;
            v[i] = 2.0 * (std::min(h, cy * grid.cell + grid.cell / 2) + 0.5) / h - 1.0;
        }
    }
    // Start from the cells that are most surely paper (the lower half), then reweight: cells far above the
    // surface hold ink, and are left out.
    const float median_level = percentile(level, 0.5);
    for (std::size_t i = 0; i < cells; ++i) weight[i] = level[i] <= median_level ? 1.0 : 0.0;
    Surface surface;
    std::vector<float> residual(cells);
    float spread = 0.0f;
    for (int iteration = 0; iteration < 4; ++iteration) {
        surface = fit_surface(u, v, level, weight);
        // Ink only ever lies above the surface, so the paper's own spread is read from the cells below it:
        // however many cells thick strokes cover, they cannot widen what counts as paper.
        std::vector<float> below;
        for (std::size_t i = 0; i < cells; ++i) {
            residual[i] = float(level[i] - surface(u[i], v[i]));
            if (residual[i] < 0.0f) below.push_back(-residual[i]);
        }
        spread = std::max(0.01f, 1.4826f * percentile(below, 0.5));
        for (std::size_t i = 0; i < cells; ++i) weight[i] = residual[i] <= 2.5f * spread ? 1.0 : 0.0;
    }
    // The residual of paper cells follows shading the surface cannot (a shadow's edge); ink cells get none.
    for (std::size_t i = 0; i < cells; ++i)
        residual[i] = weight[i] > 0.0 ? std::max(residual[i], -2.5f * spread) : 0.0f;
    // Bilinear between cell centres, the weights of each column worked out once.
    std::vector<int> col0(std::size_t(w), 0), col1(std::size_t(w), 0);
    std::vector<float> col_t(std::size_t(w), 0.0f);
    std::vector<double> col_u(std::size_t(w), 0.0);
    for (int x = 0; x < w; ++x) {
        const double fx = (x + 0.5) / grid.cell - 0.5;
        col0[std::size_t(x)] = std::clamp(int(std::floor(fx)), 0, grid.nx - 1);
        col1[std::size_t(x)] = std::min(grid.nx - 1, col0[std::size_t(x)] + 1);
        col_t[std::size_t(x)] = float(std::clamp(fx - col0[std::size_t(x)], 0.0, 1.0));
        col_u[std::size_t(x)] = 2.0 * (x + 0.5) / w - 1.0;
    }
    const std::array<double, 6>& a = surface.a;
    Plane background(w, h);
    for (int y = 0; y < h; ++y) {
        const double fy = (y + 0.5) / grid.cell - 0.5;
        const int y0 = std::clamp(int(std::floor(fy)), 0, grid.ny - 1), y1 = std::min(grid.ny - 1, y0 + 1);
        const float ty = float(std::clamp(fy - y0, 0.0, 1.0));
        const double vv = 2.0 * (y + 0.5) / h - 1.0;
        // The surface along this row: c0 + c1 u + c2 u^2.
        const double c0 = a[0] + a[2] * vv + a[5] * vv * vv, c1 = a[1] + a[4] * vv, c2 = a[3];
        const float* upper = &residual[std::size_t(y0) * std::size_t(grid.nx)];
        const float* lower = &residual[std::size_t(y1) * std::size_t(grid.nx)];
        float* out = &background.v[std::size_t(y) * std::size_t(w)];
        for (int x = 0; x < w; ++x) {
            const std::size_t i = std::size_t(x);
            const float tx = col_t[i];
            const float top = (1 - tx) * upper[col0[i]] + tx * upper[col1[i]];
            const float bottom = (1 - tx) * lower[col0[i]] + tx * lower[col1[i]];
            const double uu = col_u[i];
            out[x] = float(c0 + (c1 + c2 * uu) * uu) + (1 - ty) * top + ty * bottom;
        }
    }
    return background;
}

float estimate_noise(const Plane& signal) {
    std::vector<float> differences;
    differences.reserve(signal.v.size());
    for (int y = 0; y < signal.height; ++y)
        for (int x = 0; x + 1 < signal.width; ++x)
            differences.push_back(std::abs(signal(x + 1, y) - signal(x, y)));
    // For Gaussian noise of deviation s, |a - b| has median 0.954 s (a - b has deviation s * sqrt 2).
    return percentile(std::move(differences), 0.5) / 0.954f;
}

Mask hysteresis(const Plane& strength, float low, float high) {
    const int w = strength.width, h = strength.height;
    Mask mask(w, h);
    std::vector<int> stack;
    for (int start = 0; start < w * h; ++start) {
        if (strength.v[std::size_t(start)] <= high || mask.v[std::size_t(start)]) continue;
        mask.v[std::size_t(start)] = 1;
        stack.assign(1, start);
        while (!stack.empty()) {
            const int i = stack.back();
            stack.pop_back();
            const int x = i % w, y = i / w;
            for (int dy = -1; dy <= 1; ++dy) {
                for (int dx = -1; dx <= 1; ++dx) {
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    const int j = ny * w + nx;
                    if (!mask.v[std::size_t(j)] && strength.v[std::size_t(j)] > low) {
                        mask.v[std::size_t(j)] = 1;
                        stack.push_back(j);
                    }
                }
            }
        }
    }
    return mask;
}

namespace {

// A stroke drawn along a ruled line (the bar of a 7 written on it) is darker than the printed line: ink on a
// line that reaches this many times the line's own strength (its median along the line) is a stroke and
// stays.
constexpr float kStrokeOverLine = 2.5f;

// The median of `values` (0 when empty).
float median_of(std::vector<float> values) {
    if (values.empty()) return 0.0f;
    const auto mid = values.begin() + std::ptrdiff_t(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    return *mid;
}

// The strongest ink of column x from row y0 to row y1 (excluded).
float column_peak(const Plane& strength, int x, int y0, int y1) {
    float m = 0.0f;
    for (int y = y0; y < y1; ++y) m = std::max(m, strength(x, y));
    return m;
}

// A line's own strength: the median, over the stretch of it in each column that `for_each_stretch` visits,
// of the strongest ink there.
template <typename ForEach>
float line_strength_of(const Plane& strength, const ForEach& for_each_stretch) {
    std::vector<float> peaks;
    for_each_stretch([&](int x, int y0, int y1) { peaks.push_back(column_peak(strength, x, y0, y1)); });
    return median_of(std::move(peaks));
}

// Rows of straight, full-width runs: a line printed or photographed level.
void remove_level_lines(Mask& mask, const Plane* strength) {
    const int w = mask.width, h = mask.height;
    const int min_run = int(0.75 * w);
    std::vector<std::uint8_t> on_line(std::size_t(w) * std::size_t(h), 0);
    bool any = false;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w;) {
            int end = x;
            while (end < w && mask(end, y)) ++end;
            if (end - x >= min_run) {
                std::fill(on_line.begin() + std::ptrdiff_t(y) * w + x,
                          on_line.begin() + std::ptrdiff_t(y) * w + end, 1);
                any = true;
            }
            x = end + 1;
        }
    }
    if (!any) return;
    // A line is a band of such rows; in each column, the band is kept where ink continues above and below it
    // (a stroke crossing the line) or is a stroke's darkness (one drawn along the line), and cleared
    // elsewhere.
    auto for_each_band = [&](const auto& visit) {
        for (int x = 0; x < w; ++x) {
            for (int y = 0; y < h;) {
                if (!on_line[std::size_t(y) * std::size_t(w) + std::size_t(x)]) {
                    ++y;
                    continue;
                }
                int end = y;
                while (end < h && on_line[std::size_t(end) * std::size_t(w) + std::size_t(x)]) ++end;
                visit(x, y, end);
                y = end;
            }
        }
    };
    const float line_strength = strength ? line_strength_of(*strength, for_each_band) : 0.0f;
    for_each_band([&](int x, int y0, int y1) {
        const bool crossed = y0 > 0 && y1 < h && mask(x, y0 - 1) && mask(x, y1);
        const bool stroke = strength && column_peak(*strength, x, y0, y1) >= kStrokeOverLine * line_strength;
        if (!crossed && !stroke)
            for (int i = y0; i < y1; ++i) mask(x, i) = 0;
    });
}

// Thin lines across the page that a photo tilts a little and faint printing breaks up: straight paths of
// thin ink (at most a few rows high) along most of the width, found by trying slopes and offsets. Only the
// thin ink on such a path goes; where a stroke crosses or rests on the line, the ink there is not thin and
// stays.
void remove_slanted_lines(Mask& mask, const Plane* strength) {
    const int w = mask.width, h = mask.height;
    const int thin_max = std::max(4, int(std::lround(0.008 * std::max(w, h))));
    // thin[i]: pixel i lies on a vertical run of ink at most thin_max long.
    std::vector<std::uint8_t> thin(std::size_t(w) * std::size_t(h), 0);
    std::vector<int> row_count(std::size_t(h), 0);
    for (int x = 0; x < w; ++x) {
        for (int y = 0; y < h;) {
            if (!mask(x, y)) {
                ++y;
                continue;
            }
            int end = y;
            while (end < h && mask(x, end)) ++end;
            if (end - y <= thin_max)
                for (int i = y; i < end; ++i)
                    thin[std::size_t(i) * std::size_t(w) + std::size_t(x)] = 1, ++row_count[std::size_t(i)];
            y = end;
        }
    }
    // A ruled line runs across most of the page's width: thin along at least 60% of it, or, where it crosses
    // many strokes (a number written on the line), thin along 40% and ink along 60%. It must also be at
    // least 60% as long as the page is high, or the bar of a 7 in a tightly cropped picture would pass.
    const int min_cover = std::max(int(0.6 * w), int(0.6 * h));
    const int min_thin_crossed = std::max(int(0.4 * w), int(0.6 * h));
    if (min_cover > w) return;
    const double max_slope = 0.035;
    const double slope_step = 1.5 / w;
    const int slopes = int(max_slope / slope_step);
    const int reach = int(std::ceil(max_slope * w)) + 2;
    std::vector<int> band(std::size_t(h) + 1, 0);  // prefix sums of row_count
    for (int y = 0; y < h; ++y) band[std::size_t(y) + 1] = band[std::size_t(y)] + row_count[std::size_t(y)];
    auto thin_at = [&](int x, int y) {
        return y >= 0 && y < h && thin[std::size_t(y) * std::size_t(w) + std::size_t(x)];
    };
    struct Line {
        int cover = 0;  // columns where the line is thin ink
        int inked = 0;  // columns where it is ink at all, thin or crossing a stroke
        double y0 = 0, slope = 0;
    };
    auto ink_at = [&](int x, int y) { return y >= 0 && y < h && mask(x, y); };
    // The columns where the line from (0, o) with `slope` passes `at` within a row.
    auto columns_along = [&](int o, double slope, const auto& at) {
        int n = 0;
        for (int x = 0; x < w; ++x) {
            const int y = int(std::lround(o + slope * x));
            n += at(x, y) || at(x, y - 1) || at(x, y + 1);
        }
        return n;
    };
    std::vector<Line> best(std::size_t(h + 2 * reach));
    for (int k = -slopes; k <= slopes; ++k) {
        const double slope = k * slope_step;
        for (int o = -reach; o < h + reach; ++o) {
            // The line from (0, o) stays within rows [lo, hi]: no more thin ink there than cover needs, skip.
            const int lo = std::max(0, std::min(o, int(o + slope * w)) - 1);
            const int hi = std::min(h - 1, std::max(o, int(o + slope * w)) + 1);
            if (lo > hi || band[std::size_t(hi) + 1] - band[std::size_t(lo)] < min_thin_crossed) continue;
            const int cover = columns_along(o, slope, thin_at);
            Line& b = best[std::size_t(o + reach)];
            // The ink along it only for the best so far: the only lines it is asked of.
            if (cover > b.cover) b = {cover, columns_along(o, slope, ink_at), double(o), slope};
        }
    }
    // Each line once: the offsets whose cover is the largest within a few rows.
    for (int o = 0; o < int(best.size()); ++o) {
        const Line& line = best[std::size_t(o)];
        if (line.cover < min_cover && (line.cover < min_thin_crossed || line.inked < min_cover)) continue;
        bool peak = true;
        for (int d = -thin_max; d <= thin_max && peak; ++d) {
            const int other = o + d;
            if (d == 0 || other < 0 || other >= int(best.size())) continue;
            const int c = best[std::size_t(other)].cover;
            peak = line.cover > c || (line.cover == c && d > 0);
        }
        if (!peak) continue;
        // The whole thin run that the line passes through, in each column, unless it is a stroke's darkness.
        auto for_each_run = [&](const auto& visit) {
            for (int x = 0; x < w; ++x) {
                const int yc = int(std::lround(line.y0 + line.slope * x));
                for (int y = yc - 1; y <= yc + 1; ++y) {
                    if (!thin_at(x, y) || !mask(x, y)) continue;
                    int y0 = y, y1 = y + 1;
                    while (y0 > 0 && thin_at(x, y0 - 1)) --y0;
                    while (y1 < h && thin_at(x, y1)) ++y1;
                    visit(x, y0, y1);
                    y = y1 - 1;
                }
            }
        };
        const float line_strength = strength ? line_strength_of(*strength, for_each_run) : 0.0f;
        for_each_run([&](int x, int y0, int y1) {
            if (strength && column_peak(*strength, x, y0, y1) >= kStrokeOverLine * line_strength) return;
            for (int i = y0; i < y1; ++i) mask(x, i) = 0;
        });
    }
}

}  // namespace

void remove_ruled_lines(Mask& mask, const Plane* strength) {
    if (mask.width < 64) return;
    // The slanted search first: it sees a tilted line whole, where the level rows of it would already be
    // gone and leave too little of it to find.
    remove_slanted_lines(mask, strength);
    remove_level_lines(mask, strength);
}

InkMap find_ink(const GreyImage& grey) {
    const int w = grey.width, h = grey.height;
    if (w <= 0 || h <= 0 || grey.v.size() != std::size_t(w) * std::size_t(h)) throw_empty_image();
    Plane image(w, h);
    for (std::size_t i = 0; i < image.v.size(); ++i) image.v[i] = std::clamp(grey.v[i], 0.0f, 1.0f);
    // Paper grain and JPEG noise out before anything is measured; small images have no grain to lose.
    if (std::max(w, h) >= 48) image = box3(image);

    InkMap ink;
    ink.dark_ink = ink_is_darker_than_background(image);
    Plane signal(w, h);
    for (std::size_t i = 0; i < image.v.size(); ++i)
        signal.v[i] = ink.dark_ink ? 1.0f - image.v[i] : image.v[i];
    const Plane background = estimate_background(signal);
    ink.strength = Plane(w, h);
    for (std::size_t i = 0; i < signal.v.size(); ++i)
        ink.strength.v[i] = std::max(0.0f, signal.v[i] - background.v[i]);
    ink.noise = estimate_noise(signal);

    const float max_strength = *std::max_element(ink.strength.v.begin(), ink.strength.v.end());
    const float floor = std::max(0.03f, 6.0f * ink.noise);
    if (max_strength < 0.08f || max_strength <= floor) throw_empty_image();
    // Otsu between background and ink, never into the noise, and never so high that the faint half of a
    // stroke falls away; hysteresis keeps what is faint but attached to clear ink.
    std::vector<float> above_floor;
    for (float s : ink.strength.v)
        if (s > floor) above_floor.push_back(s);
    const float strong_ink = percentile(above_floor, 0.9);
    ink.high = std::max(floor, std::min(otsu_threshold(ink.strength.v, max_strength), 0.5f * strong_ink));
    ink.low = std::min(ink.high, std::max({0.5f * ink.high, 3.0f * ink.noise, 0.02f}));
    // Ruled lines are found on all the ink above the low threshold, where a faint line runs across the whole
    // page; hysteresis alone keeps of it only the stretches that touch the digits, too short to be seen as a
    // line, and they would join the digits into one. Hysteresis then runs on what is left.
    Mask faint(w, h);
    for (std::size_t i = 0; i < faint.v.size(); ++i) faint.v[i] = ink.strength.v[i] > ink.low;
    remove_ruled_lines(faint, &ink.strength);
    Plane kept = ink.strength;
    for (std::size_t i = 0; i < kept.v.size(); ++i)
        if (!faint.v[i]) kept.v[i] = 0.0f;
    ink.mask = hysteresis(kept, ink.low, ink.high);
    return ink;
}

}  // namespace digit
