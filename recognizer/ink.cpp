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

// A plane a0 + a1 u + a2 v over the image (u, v in [-1, 1]): light falling off across a page. Anything less
// even is left to the residual of the paper cells (a quadratic would bend into a band of table along an
// edge and call it paper).
struct Surface {
    double a0 = 0.0, a1 = 0.0, a2 = 0.0;
    double operator()(double u, double v) const { return a0 + a1 * u + a2 * v; }
};

// Weighted least squares; a flat level where the cells do not span both directions.
Surface fit_plane(const std::vector<double>& u, const std::vector<double>& v, const std::vector<float>& z,
                  const std::vector<double>& weight) {
    double sw = 0, su = 0, sv = 0, sz = 0, suu = 0, svv = 0, suv = 0, suz = 0, svz = 0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        const double w = weight[i];
        sw += w, su += w * u[i], sv += w * v[i], sz += w * z[i];
        suu += w * u[i] * u[i], svv += w * v[i] * v[i], suv += w * u[i] * v[i];
        suz += w * u[i] * z[i], svz += w * v[i] * z[i];
    }
    Surface plane;
    if (sw <= 0.0) return plane;
    plane.a0 = sz / sw;
    // Centred normal equations for the two slopes.
    const double cuu = suu - su * su / sw, cvv = svv - sv * sv / sw, cuv = suv - su * sv / sw;
    const double cuz = suz - su * sz / sw, cvz = svz - sv * sz / sw;
    const double det = cuu * cvv - cuv * cuv;
    if (det <= 1e-9 * std::max(1.0, cuu * cvv)) return plane;
    plane.a1 = (cuz * cvv - cvz * cuv) / det;
    plane.a2 = (cvz * cuu - cuz * cuv) / det;
    plane.a0 = (sz - plane.a1 * su - plane.a2 * sv) / sw;
    return plane;
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
        surface = fit_plane(u, v, level, weight);
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
    std::vector<float> col_t(std::size_t(w), 0.0f), plane_x(std::size_t(w), 0.0f);
    for (int x = 0; x < w; ++x) {
        const double fx = (x + 0.5) / grid.cell - 0.5;
        col0[std::size_t(x)] = std::clamp(int(std::floor(fx)), 0, grid.nx - 1);
        col1[std::size_t(x)] = std::min(grid.nx - 1, col0[std::size_t(x)] + 1);
        col_t[std::size_t(x)] = float(std::clamp(fx - col0[std::size_t(x)], 0.0, 1.0));
        plane_x[std::size_t(x)] = float(surface.a1 * (2.0 * (x + 0.5) / w - 1.0));
    }
    Plane background(w, h);
    for (int y = 0; y < h; ++y) {
        const double fy = (y + 0.5) / grid.cell - 0.5;
        const int y0 = std::clamp(int(std::floor(fy)), 0, grid.ny - 1), y1 = std::min(grid.ny - 1, y0 + 1);
        const float ty = float(std::clamp(fy - y0, 0.0, 1.0));
        const float plane_y = float(surface.a0 + surface.a2 * (2.0 * (y + 0.5) / h - 1.0));
        const float* upper = &residual[std::size_t(y0) * std::size_t(grid.nx)];
        const float* lower = &residual[std::size_t(y1) * std::size_t(grid.nx)];
        float* out = &background.v[std::size_t(y) * std::size_t(w)];
        for (int x = 0; x < w; ++x) {
            const std::size_t i = std::size_t(x);
            const float tx = col_t[i];
            const float top = (1 - tx) * upper[col0[i]] + tx * upper[col1[i]];
            const float bottom = (1 - tx) * lower[col0[i]] + tx * lower[col1[i]];
            out[x] = plane_y + plane_x[i] + (1 - ty) * top + ty * bottom;
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

void remove_ruled_lines(Mask& mask) {
    const int w = mask.width, h = mask.height;
    if (w < 64) return;
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
    // (a stroke crossing the line), and cleared elsewhere.
    for (int x = 0; x < w; ++x) {
        for (int y = 0; y < h;) {
            if (!on_line[std::size_t(y) * std::size_t(w) + std::size_t(x)]) {
                ++y;
                continue;
            }
            int end = y;
            while (end < h && on_line[std::size_t(end) * std::size_t(w) + std::size_t(x)]) ++end;
            const bool crossed = y > 0 && end < h && mask(x, y - 1) && mask(x, end);
            if (!crossed)
                for (int i = y; i < end; ++i) mask(x, i) = 0;
            y = end;
        }
    }
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
    ink.mask = hysteresis(ink.strength, ink.low, ink.high);
    remove_ruled_lines(ink.mask);
    return ink;
}

}  // namespace digit
