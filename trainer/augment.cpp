#include "augment.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace digit {
namespace {

// Scratch buffers reused across calls on the same thread: allocating them per image would cost as much as
// the warp itself.
struct Workspace {
    std::vector<float> padded;        // (rows + 2) × (cols + 2): the source with a zero border
    std::vector<float> morphology;    // (rows + 2) × (cols + 2): row pass of the 3×3 max/min
    std::vector<float> displacement;  // 2 × rows × cols: elastic dx then dy
    std::vector<float> blur_padded;   // the elastic field with a zero margin for the blur
    std::vector<float> blur_transposed;
};

Workspace& thread_workspace() {
    thread_local Workspace workspace;
    return workspace;
}

std::uint64_t splitmix64(std::uint64_t value) {
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

// Grey-level 3×3 dilation (max) or erosion (min) of the interior of `padded`, in place; separable, a row
// pass then a column pass. Outside the image counts as background 0, so erosion also thins strokes that
// touch the border.
void change_thickness(std::vector<float>& padded, std::vector<float>& row_pass, int rows, int cols,
                      bool dilate) {
    const int stride = cols + 2;
    const auto pick = [dilate](float a, float b) { return dilate ? std::max(a, b) : std::min(a, b); };
    row_pass.assign(padded.size(), 0.0f);
    for (int y = 1; y <= rows; ++y) {
        const float* row = padded.data() + y * stride;
        float* result = row_pass.data() + y * stride;
        for (int x = 1; x <= cols; ++x) result[x] = pick(pick(row[x - 1], row[x]), row[x + 1]);
    }
    for (int y = 1; y <= rows; ++y) {
        const float* above = row_pass.data() + (y - 1) * stride;
        const float* here = row_pass.data() + y * stride;
        const float* below = row_pass.data() + (y + 1) * stride;
        float* result = padded.data() + y * stride;
        for (int x = 1; x <= cols; ++x) result[x] = pick(pick(above[x], here[x]), below[x]);
    }
}

// Blurs a rows × cols field along y with `kernel`, treating outside the image as 0 (no displacement). With
// a zero margin of the kernel's radius above and below, each tap is one multiply-add over all the pixels
// at once: a single long loop that the compiler vectorises, with no border cases.
void blur_columns(float* field, int rows, int cols, const std::vector<float>& kernel,
                  std::vector<float>& padded) {
    const int radius = static_cast<int>(kernel.size() / 2);
    const std::size_t pixel_count = static_cast<std::size_t>(rows) * cols;
    padded.assign(static_cast<std::size_t>(rows + 2 * radius) * cols, 0.0f);
    std::copy_n(field, pixel_count, padded.data() + static_cast<std::size_t>(radius) * cols);
    std::fill_n(field, pixel_count, 0.0f);
    for (std::size_t k = 0; k < kernel.size(); ++k) {
        const float weight = kernel[k];
        const float* source = padded.data() + k * cols;
        for (std::size_t i = 0; i < pixel_count; ++i) field[i] += weight * source[i];
    }
}

void transpose(const float* in, float* out, int rows, int cols) {
    for (int y = 0; y < rows; ++y) {
        for (int x = 0; x < cols; ++x) out[x * rows + y] = in[y * cols + x];
    }
}

// Separable Gaussian blur: along y, then along x as along y of the transpose (which keeps the loops long).
void gaussian_blur(float* field, int rows, int cols, const std::vector<float>& kernel, Workspace& workspace) {
    workspace.blur_transposed.resize(static_cast<std::size_t>(rows) * cols);
    float* transposed = workspace.blur_transposed.data();
    blur_columns(field, rows, cols, kernel, workspace.blur_padded);
    transpose(field, transposed, rows, cols);
    blur_columns(transposed, cols, rows, kernel, workspace.blur_padded);
    transpose(transposed, field, cols, rows);
}

}  // namespace

Pcg32::Pcg32(std::uint64_t seed, std::uint64_t stream) : increment_((stream << 1) | 1) {
    (*this)();
    state_ += seed;
    (*this)();
}

std::uint64_t augment_image_seed(std::uint64_t seed, std::uint64_t index) {
    return splitmix64(splitmix64(seed) + index);
}

Augmenter::Augmenter(const AugmentOptions& options) : options_(options) {
    const auto invalid = [](const std::string& what) {
        throw std::invalid_argument("AugmentOptions: " + what);
    };
    if (!(options.max_rotation_degrees >= 0.0f && options.max_rotation_degrees <= 180.0f)) {
        invalid("max_rotation_degrees must be in [0, 180]");
    }
    if (!(options.max_zoom >= 0.0f && options.max_zoom < 1.0f)) invalid("max_zoom must be in [0, 1)");
    if (!(options.max_shift_pixels >= 0.0f && std::isfinite(options.max_shift_pixels))) {
        invalid("max_shift_pixels must be >= 0");
    }
    if (!(options.thickness_probability >= 0.0f && options.thickness_probability <= 1.0f)) {
        invalid("thickness_probability must be in [0, 1]");
    }
    if (!(options.elastic_alpha >= 0.0f && std::isfinite(options.elastic_alpha))) {
        invalid("elastic_alpha must be >= 0");
    }
    if (options.elastic_alpha > 0.0f) {
        if (!(options.elastic_sigma > 0.0f && options.elastic_sigma <= 64.0f)) {
            invalid("elastic_sigma must be in (0, 64]");
        }
        const int radius = static_cast<int>(std::ceil(3.0f * options.elastic_sigma));
        elastic_kernel_.resize(2 * radius + 1);
        float total = 0.0f;
        for (int k = -radius; k <= radius; ++k) {
            const float weight = std::exp(-0.5f * k * k / (options.elastic_sigma * options.elastic_sigma));
            elastic_kernel_[k + radius] = weight;
            total += weight;
        }
        for (float& weight : elastic_kernel_) weight /= total;
    }
}

void Augmenter::apply(const float* in, float* out, int rows, int cols, const AugmentParams& params) const {
    if (rows <= 0 || cols <= 0) {
        throw std::invalid_argument("Augmenter::apply: image size " + std::to_string(rows) + "x" +
                                    std::to_string(cols) + " must be positive");
    }
    if (!(params.scale > 0.0f)) throw std::invalid_argument("Augmenter::apply: scale must be positive");
    Workspace& workspace = thread_workspace();
    const int stride = cols + 2;

    // The zero border lets every bilinear tap inside [-1, cols] × [-1, rows] read memory without a check.
    std::vector<float>& padded = workspace.padded;
    padded.assign(static_cast<std::size_t>(rows + 2) * stride, 0.0f);
    for (int y = 0; y < rows; ++y) std::copy_n(in + y * cols, cols, padded.data() + (y + 1) * stride + 1);
    if (params.thickness_change != 0) {
        change_thickness(padded, workspace.morphology, rows, cols, params.thickness_change > 0);
    }

    const bool elastic = options_.elastic_alpha > 0.0f;
    const std::size_t pixel_count = static_cast<std::size_t>(rows) * cols;
    float* displacement_x = nullptr;
    float* displacement_y = nullptr;
    if (elastic) {
        workspace.displacement.resize(2 * pixel_count);
        displacement_x = workspace.displacement.data();
        displacement_y = displacement_x + pixel_count;
        Pcg32 field_rng(params.elastic_seed);
        for (float& value : workspace.displacement) value = augment_detail::symmetric_float(field_rng, 1.0f);
        for (float* field : {displacement_x, displacement_y}) {
            gaussian_blur(field, rows, cols, elastic_kernel_, workspace);
            for (std::size_t i = 0; i < pixel_count; ++i) field[i] *= options_.elastic_alpha;
        }
    }

    // Output pixel q comes from source point c + M⁻¹ (q + d(q) − c − t) / s, where M rotates
    // counter-clockwise on screen: M = [cos sin; −sin cos] in (x, y-down) coordinates, so M⁻¹ = Mᵀ.
    const float radians = params.rotation_degrees * 3.14159265358979f / 180.0f;
    const float cos_over_scale = std::cos(radians) / params.scale;
    const float sin_over_scale = std::sin(radians) / params.scale;
    const float centre_x = 0.5f * (cols - 1), centre_y = 0.5f * (rows - 1);
    const float max_padded_x = static_cast<float>(cols + 1), max_padded_y = static_cast<float>(rows + 1);

    for (int y = 0; y < rows; ++y) {
        for (int x = 0; x < cols; ++x) {
            float offset_x = x - centre_x - params.shift_x;
            float offset_y = y - centre_y - params.shift_y;
            if (elastic) {
                offset_x += displacement_x[y * cols + x];
                offset_y += displacement_y[y * cols + x];
            }
            // Source position in padded coordinates (+1 for the border); truncation is floor because both
            // are checked positive first. The check also rejects NaN.
            const float source_x = centre_x + cos_over_scale * offset_x - sin_over_scale * offset_y + 1.0f;
            const float source_y = centre_y + sin_over_scale * offset_x + cos_over_scale * offset_y + 1.0f;
            float value = 0.0f;
            if (source_x > 0.0f && source_x < max_padded_x && source_y > 0.0f && source_y < max_padded_y) {
                const int left = static_cast<int>(source_x), top = static_cast<int>(source_y);
                const float fraction_x = source_x - left, fraction_y = source_y - top;
                const float* upper = padded.data() + top * stride + left;
                const float* lower = upper + stride;
                const float upper_value = upper[0] + fraction_x * (upper[1] - upper[0]);
                const float lower_value = lower[0] + fraction_x * (lower[1] - lower[0]);
                value = upper_value + fraction_y * (lower_value - upper_value);
            }
            // Interpolation is convex, but rounding can leave it an ulp outside [0,1].
            out[y * cols + x] = std::min(1.0f, std::max(0.0f, value));
        }
    }
}

void Augmenter::augment_batch(const float* in, float* out, std::size_t count, int rows, int cols,
                              std::uint64_t seed, std::size_t first_index) const {
    const std::size_t image_size = static_cast<std::size_t>(rows) * cols;
    for (std::size_t i = 0; i < count; ++i) {
        Pcg32 rng(augment_image_seed(seed, first_index + i));
        augment(in + i * image_size, out + i * image_size, rows, cols, rng);
    }
}

}  // namespace digit
