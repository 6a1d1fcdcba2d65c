// simd: a float vector as wide as the target's registers (16 lanes with AVX-512, 8 with AVX, 4 otherwise),
// written with the GCC/Clang vector extension so that one source compiles for every -march. Used by the
// hand-written convolution kernels (fast_conv.hpp, for inference and training), BatchNorm's channel sums and
// the recognizer's image filters; the rest of the library goes through Eigen.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cnn::simd {

#if defined(__AVX512F__)
constexpr int kWidth = 16;
#elif defined(__AVX__)
constexpr int kWidth = 8;
#else
constexpr int kWidth = 4;
#endif

// Registers the kernels may fill with accumulators (the rest hold weights and broadcasts).
#if defined(__AVX512F__)
constexpr int kAccumulators = 24;
#else
constexpr int kAccumulators = 12;
#endif

typedef float vec __attribute__((vector_size(kWidth * sizeof(float))));
// The same vector for loads and stores at any float address (no alignment beyond float's is assumed).
typedef float vec_unaligned
    __attribute__((vector_size(kWidth * sizeof(float)), aligned(alignof(float)), may_alias));

inline vec load(const float* p) {
    return *reinterpret_cast<const vec_unaligned*>(p);
}
inline void store(float* p, vec v) {
    *reinterpret_cast<vec_unaligned*>(p) = v;
}
// A broadcast (vec{} + s would be computed as an addition, which the compiler may not drop: -0.0f + 0.0f).
inline vec splat(float s) {
#if defined(__AVX512F__)
    return _mm512_set1_ps(s);
#elif defined(__AVX__)
    return _mm256_set1_ps(s);
#elif defined(__SSE__)
    return _mm_set1_ps(s);
#else
    vec v;
    for (int i = 0; i < kWidth; ++i) v[i] = s;
    return v;
#endif
}
inline vec zero() {
    return vec{};
}
inline vec max(vec a, vec b) {
    return a > b ? a : b;
}
// Lanes added in a fixed order.
inline float sum(vec v) {
    float s = 0.0f;
    for (int i = 0; i < kWidth; ++i) s += v[i];
    return s;
}

// Sum of n floats: kWidth running lanes, then the lanes and the tail, in a fixed order.
inline float sum(const float* p, int n) {
    vec acc = zero();
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) acc += load(p + i);
    float s = sum(acc);
    for (; i < n; ++i) s += p[i];
    return s;
}

// Channel counts are padded to whole vectors in the kernels' layouts.
constexpr int round_up(int n) {
    return (n + kWidth - 1) / kWidth * kWidth;
}

}  // namespace cnn::simd
