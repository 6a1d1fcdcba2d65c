// Training-time data augmentation for digit images: random rotation, zoom and shift as one affine warp
// with bilinear sampling about the image centre, optionally a stroke-thickness change (3×3 grey dilation or
// erosion) before it and an elastic distortion (Simard et al. 2003) on top of it.
//
// Images are single-channel rows × cols floats in [0,1] with background 0 — augment before normalising,
// since pixels that the warp brings in from outside the image are 0. Output is clamped to [0,1].
//
// Deterministic: the same options, seed and image index give the same output, whatever the number of
// threads. An Augmenter holds only its options, so one instance may be shared by many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace digit {

struct AugmentOptions {
    float max_rotation_degrees = 15.0f;  // rotation uniform in ±this
    float max_zoom = 0.10f;              // scale uniform in [1 - max_zoom, 1 + max_zoom]
    float max_shift_pixels = 2.5f;       // each axis uniform in ±this
    float thickness_probability = 0.0f;  // chance of a stroke-thickness change: dilate or erode, half each
    float elastic_alpha = 0.0f;          // 0 disables; Simard et al. use 34 (with sigma 4) on 28×28
    float elastic_sigma = 4.0f;          // Gaussian smoothing of the displacement field, in pixels
};

// One random draw of the transform. Public so that a known transform can be applied (tests, previews).
struct AugmentParams {
    float rotation_degrees = 0.0f;   // positive turns the digit counter-clockwise as displayed (y down)
    float scale = 1.0f;              // above 1 enlarges the digit
    float shift_x = 0.0f;            // pixels, positive moves the digit right
    float shift_y = 0.0f;            // pixels, positive moves the digit down
    int thickness_change = 0;        // +1 dilate (thicker strokes), -1 erode (thinner), 0 none
    std::uint64_t elastic_seed = 0;  // seeds the displacement field; used only when elastic_alpha > 0
};

// PCG32 (O'Neill 2014): 8 bytes of state and a few nanoseconds to seed, where std::mt19937 needs 2.5 KB and
// microseconds — it is seeded once per image. Satisfies UniformRandomBitGenerator.
class Pcg32 {
  public:
    using result_type = std::uint32_t;
    explicit Pcg32(std::uint64_t seed, std::uint64_t stream = 0xda3e39cb94b95bdbULL);
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return 0xFFFFFFFFu; }
    result_type operator()() {
        const std::uint64_t old_state = state_;
        state_ = old_state * 6364136223846793005ULL + increment_;
        const auto xorshifted = static_cast<std::uint32_t>(((old_state >> 18) ^ old_state) >> 27);
        const auto rotation = static_cast<std::uint32_t>(old_state >> 59);
        return (xorshifted >> rotation) | (xorshifted << ((32 - rotation) & 31));
    }

  private:
    std::uint64_t state_ = 0;
    std::uint64_t increment_ = 0;
};

// The seed of image `index` in a batch augmented with `seed`: a SplitMix64 mix, so that neighbouring
// indices and seeds give unrelated streams.
std::uint64_t augment_image_seed(std::uint64_t seed, std::uint64_t index);

class Augmenter {
  public:
    explicit Augmenter(const AugmentOptions& options = {});

    const AugmentOptions& options() const { return options_; }

    // Draws a transform within the option ranges. Always consumes the same number of random values, so
    // turning one option off does not change the draws of the others.
    template <class UniformRandomBitGenerator>
    AugmentParams draw(UniformRandomBitGenerator& rng) const;

    // Applies `params` to one image. `in` and `out` hold rows × cols floats and may be the same buffer.
    void apply(const float* in, float* out, int rows, int cols, const AugmentParams& params) const;

    // draw + apply. Works with Pcg32, std::mt19937 or std::mt19937_64.
    template <class UniformRandomBitGenerator>
    void augment(const float* in, float* out, int rows, int cols, UniformRandomBitGenerator& rng) const {
        apply(in, out, rows, cols, draw(rng));
    }

    // Augments `count` consecutive images. Image i uses Pcg32(augment_image_seed(seed, first_index + i)), so
    // threads that split a batch (each passing its own offset pointers and first_index) get exactly the
    // images one thread would.
    void augment_batch(const float* in, float* out, std::size_t count, int rows, int cols, std::uint64_t seed,
                       std::size_t first_index = 0) const;

  private:
    AugmentOptions options_;
    std::vector<float> elastic_kernel_;  // normalised 1-D Gaussian, 2 × radius + 1 taps
};

namespace augment_detail {
// 24 random bits as a float in [0, 1): exact, and the same on every standard library (unlike
// std::uniform_real_distribution, whose algorithm is implementation-defined).
template <class UniformRandomBitGenerator>
float unit_float(UniformRandomBitGenerator& rng) {
    static_assert(UniformRandomBitGenerator::min() == 0 && UniformRandomBitGenerator::max() >= 0xFFFFFFFFu,
                  "the generator must produce at least 32 random bits per call");
    const auto bits = static_cast<std::uint32_t>(rng());
    return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

template <class UniformRandomBitGenerator>
float symmetric_float(UniformRandomBitGenerator& rng, float half_range) {
    return (2.0f * unit_float(rng) - 1.0f) * half_range;
}
}  // namespace augment_detail

template <class UniformRandomBitGenerator>
AugmentParams Augmenter::draw(UniformRandomBitGenerator& rng) const {
    using augment_detail::symmetric_float;
    using augment_detail::unit_float;
    AugmentParams params;
    params.rotation_degrees = symmetric_float(rng, options_.max_rotation_degrees);
    params.scale = 1.0f + symmetric_float(rng, options_.max_zoom);
    params.shift_x = symmetric_float(rng, options_.max_shift_pixels);
    params.shift_y = symmetric_float(rng, options_.max_shift_pixels);
    const bool change_thickness = unit_float(rng) < options_.thickness_probability;
    const bool thicker = unit_float(rng) < 0.5f;
    params.thickness_change = change_thickness ? (thicker ? 1 : -1) : 0;
    const std::uint64_t seed_high = static_cast<std::uint32_t>(rng());
    params.elastic_seed = (seed_high << 32) | static_cast<std::uint32_t>(rng());
    return params;
}

}  // namespace digit
