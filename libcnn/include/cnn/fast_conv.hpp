// fast_conv: kernels for the 3×3, stride-1, padding-1 convolution that digit networks are made of, with bias,
// an optional 2×2/2 max-pool and an optional ReLU fused into the output pass. FrozenNet runs inference on
// them; Conv2D's training passes use them for the forward pass and the input gradient.
//
// Layout: activations are NHWC with the channel count padded to whole SIMD vectors (the padding channels
// hold zeros), so a vector is 16 (AVX-512) or 8 (AVX) channels of one pixel.
//
// Two algorithms:
//  - direct: y[p, o] = b[o] + sum_{u,v,c} x[p + (u-1, v-1), c] * w[u, v, c, o] on a zero-bordered copy of
//    the input, for layers with few input channels (the first layer, one channel);
//  - Winograd F(2×2, 3×3) (Lavin & Gray, 2016): each 2×2 output tile is computed from a 4×4 input tile as
//    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A, which takes 16 multiplies per tile and channel pair instead of 36.
//    Summed over input channels, the ⊙ becomes 16 independent matrix products M[ξ] = V[ξ] U[ξ] (tiles ×
//    channels times channels × outputs), done by a register-blocked kernel. A 2×2/2 max-pool is exactly one
//    output tile, so pooling costs one max over the tile's four values.
//
//    Bᵀ = | 1  0 -1  0 |      G = | 1    0    0  |      Aᵀ = | 1  1  1  0 |
//         | 0  1  1  0 |          | 1/2  1/2  1/2 |           | 0  1 -1 -1 |
//         | 0 -1  1  0 |          | 1/2 -1/2  1/2 |
//         | 0  1  0 -1 |          | 0    0    1  |
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include <Eigen/Core>

#include "simd.hpp"

namespace cnn::fast {

using simd::kWidth;
using simd::vec;
using AlignedFloats = std::vector<float, Eigen::aligned_allocator<float>>;

// ---- register-blocked kernels ---------------------------------------------------------------------------

// Register blocks of R × NV vectors: zeroed, updated with one rank-1 product at a time, stored.
template <int R, int NV>
inline void zero_block(vec (&acc)[R][NV]) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[r][j] = simd::zero();
}

// acc[r][j] += a[r * stride] * b[j * kWidth ...]: R broadcast scalars times NV vectors.
template <int R, int NV>
inline void rank1_update(vec (&acc)[R][NV], const float* a, size_t stride, const float* b) {
    vec w[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) w[j] = simd::load(b + j * kWidth);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        const vec x = simd::splat(a[size_t(r) * stride]);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[r][j] += x * w[j];
    }
}

template <int R, int NV>
inline void store_block(const vec (&acc)[R][NV], float* out, size_t ld) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) simd::store(out + size_t(r) * ld + j * kWidth, acc[r][j]);
}

// C[r, j] = sum_k A[r, k] * B[k, j] for R rows and NV vectors of columns (K-loop innermost, accumulators in
// registers). A row-major with stride lda; B and C row-major with strides ldb, ldc (multiples of kWidth).
template <int R, int NV>
inline void gemm_block(const float* a, int lda, const float* b, int ldb, int K, float* c, int ldc) {
    vec acc[R][NV];
    zero_block(acc);
    for (int k = 0; k < K; ++k) rank1_update(acc, a + k, size_t(lda), b + size_t(k) * ldb);
    store_block(acc, c, size_t(ldc));
}

// One output row segment of the direct 3×3 convolution: R consecutive pixels, NV vectors of output channels.
// `in` is the zero-bordered input at the window of the first pixel (pixel stride cs, row stride row_stride),
// w is [3][3][C][ldw]; out gets R pixels with stride ldo.
template <int R, int NV>
inline void direct_block(const float* in, size_t row_stride, int C, int cs, const float* w, int ldw,
                         float* out, int ldo) {
    vec acc[R][NV];
    zero_block(acc);
    for (int u = 0; u < 3; ++u)
        for (int v = 0; v < 3; ++v) {
            const float* src = in + u * row_stride + size_t(v) * cs;
            const float* wk = w + size_t(u * 3 + v) * C * ldw;
            for (int c = 0; c < C; ++c) rank1_update(acc, src + c, size_t(cs), wk + size_t(c) * ldw);
        }
    store_block(acc, out, size_t(ldo));
}

// Vectors per block and rows per block: as many accumulators as the registers hold.
constexpr int kMaxVectors = simd::kAccumulators >= 24 ? 4 : 2;
constexpr int kMaxRows = 8;
inline int rows_for(int nv) {
    return std::min(kMaxRows, simd::kAccumulators / nv);
}

namespace detail {
template <int NV>
inline void gemm_rows(int rows, const float* a, int lda, const float* b, int ldb, int K, float* c, int ldc) {
    const int R = rows_for(NV);
    int r = 0;
    for (; r + R <= rows; r += R) {
        if constexpr (simd::kAccumulators / NV >= 8)
            gemm_block<8, NV>(a + size_t(r) * lda, lda, b, ldb, K, c + size_t(r) * ldc, ldc);
        else if constexpr (simd::kAccumulators / NV >= 6)
            gemm_block<6, NV>(a + size_t(r) * lda, lda, b, ldb, K, c + size_t(r) * ldc, ldc);
        else
            gemm_block<4, NV>(a + size_t(r) * lda, lda, b, ldb, K, c + size_t(r) * ldc, ldc);
    }
    const float* ar = a + size_t(r) * lda;
    float* cr = c + size_t(r) * ldc;
    switch (rows - r) {
        case 7:
            gemm_block<7, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        case 6:
            gemm_block<6, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        case 5:
            gemm_block<5, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        case 4:
            gemm_block<4, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        case 3:
            gemm_block<3, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        case 2:
            gemm_block<2, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        case 1:
            gemm_block<1, NV>(ar, lda, b, ldb, K, cr, ldc);
            break;
        default:
            break;
    }
}

template <int NV>
inline void direct_row(int pixels, const float* in, size_t row_stride, int C, int cs, const float* w, int ldw,
                       float* out, int ldo) {
    const int R = rows_for(NV);
    int x = 0;
    for (; x + R <= pixels; x += R) {
        if constexpr (simd::kAccumulators / NV >= 8)
            direct_block<8, NV>(in + size_t(x) * cs, row_stride, C, cs, w, ldw, out + size_t(x) * ldo, ldo);
        else if constexpr (simd::kAccumulators / NV >= 6)
            direct_block<6, NV>(in + size_t(x) * cs, row_stride, C, cs, w, ldw, out + size_t(x) * ldo, ldo);
        else
            direct_block<4, NV>(in + size_t(x) * cs, row_stride, C, cs, w, ldw, out + size_t(x) * ldo, ldo);
    }
    const float* ix = in + size_t(x) * cs;
    float* ox = out + size_t(x) * ldo;
    switch (pixels - x) {
        case 7:
            direct_block<7, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        case 6:
            direct_block<6, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        case 5:
            direct_block<5, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        case 4:
            direct_block<4, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        case 3:
            direct_block<3, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        case 2:
            direct_block<2, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        case 1:
            direct_block<1, NV>(ix, row_stride, C, cs, w, ldw, ox, ldo);
            break;
        default:
            break;
    }
}
}  // namespace detail

// C (rows × n) = A (rows × K) · B (K × n); n a multiple of kWidth, ldb and ldc too.
__attribute__((noinline)) inline void gemm(int rows, int n, int K, const float* a, int lda, const float* b,
                                           int ldb, float* c, int ldc) {
    for (int j0 = 0; j0 < n; j0 += kMaxVectors * kWidth) {
        const int nv = std::min(kMaxVectors, (n - j0) / kWidth);
        switch (nv) {
            case 4:
                detail::gemm_rows<std::min(4, kMaxVectors)>(rows, a, lda, b + j0, ldb, K, c + j0, ldc);
                break;
            case 3:
                detail::gemm_rows<std::min(3, kMaxVectors)>(rows, a, lda, b + j0, ldb, K, c + j0, ldc);
                break;
            case 2:
                detail::gemm_rows<2>(rows, a, lda, b + j0, ldb, K, c + j0, ldc);
                break;
            default:
                detail::gemm_rows<1>(rows, a, lda, b + j0, ldb, K, c + j0, ldc);
                break;
        }
    }
}

// ---- layout changes
// ----------------------------------------------------------------------------------------

// count samples of C planes of hw pixels (NCHW) → hw pixels of `stride` channels (NHWC), padding set to 0.
inline void nchw_to_nhwc(const float* x, int count, int C, int hw, int stride, float* y) {
    for (int s = 0; s < count; ++s) {
        const float* xs = x + size_t(s) * C * hw;
        float* ys = y + size_t(s) * hw * stride;
        for (int p = 0; p < hw; ++p) {
            float* px = ys + size_t(p) * stride;
            for (int c = 0; c < C; ++c) px[c] = xs[size_t(c) * hw + p];
            for (int c = C; c < stride; ++c) px[c] = 0.0f;
        }
    }
}

// The inverse: NHWC with `stride` channels per pixel → count samples of C planes (NCHW).
inline void nhwc_to_nchw(const float* x, int count, int C, int hw, int stride, float* y) {
    for (int s = 0; s < count; ++s) {
        const float* xs = x + size_t(s) * hw * stride;
        float* ys = y + size_t(s) * C * hw;
        for (int c = 0; c < C; ++c) {
            float* plane = ys + size_t(c) * hw;
            for (int p = 0; p < hw; ++p) plane[p] = xs[size_t(p) * stride + c];
        }
    }
}

// ---- Winograd transforms
// -----------------------------------------------------------------------------------

// F(m×m, 3×3) in one dimension, applied to rows then columns: `input` (Bᵀ, tile side a = m + 2), `output`
// (Aᵀ) and `kernel` (G). T is float (weights) or vec (activations).
template <int M>
struct Winograd;

template <>
struct Winograd<2> {  // F(2×2, 3×3): 16 products per tile instead of 36
    static constexpr int kTile = 4;
    template <class T>
    static void input(const T* d, T* r) {
        r[0] = d[0] - d[2];
        r[1] = d[1] + d[2];
        r[2] = d[2] - d[1];
        r[3] = d[1] - d[3];
    }
    template <class T>
    static void output(const T* m, T* y) {
        y[0] = m[0] + m[1] + m[2];
        y[1] = m[1] - m[2] - m[3];
    }
    static void kernel(const float* g, float* u) {
        u[0] = g[0];
        u[1] = 0.5f * (g[0] + g[1] + g[2]);
        u[2] = 0.5f * (g[0] - g[1] + g[2]);
        u[3] = g[2];
    }
};

template <>
struct Winograd<4> {  // F(4×4, 3×3): 36 products per tile instead of 144, points 0, ±1, ±2, ∞
    static constexpr int kTile = 6;
    template <class T>
    static void input(const T* d, T* r) {
        r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
        r[1] = d[3] + d[4] - 4.0f * (d[1] + d[2]);
        r[2] = d[4] - d[3] + 4.0f * (d[1] - d[2]);
        r[3] = d[4] - d[2] + 2.0f * (d[3] - d[1]);
        r[4] = d[4] - d[2] - 2.0f * (d[3] - d[1]);
        r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
    }
    template <class T>
    static void output(const T* m, T* y) {
        const T a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
        y[0] = m[0] + a + c;
        y[1] = b + 2.0f * d;
        y[2] = a + 4.0f * c;
        y[3] = b + 8.0f * d + m[5];
    }
    static void kernel(const float* g, float* u) {
        u[0] = 0.25f * g[0];
        u[1] = -(g[0] + g[1] + g[2]) / 6.0f;
        u[2] = -(g[0] - g[1] + g[2]) / 6.0f;
        u[3] = g[0] / 24.0f + g[1] / 12.0f + g[2] / 6.0f;
        u[4] = g[0] / 24.0f - g[1] / 12.0f + g[2] / 6.0f;
        u[5] = g[2];
    }
};

// ---- the layer --------------------------------------------------------------------------------------------

// A 3×3 / stride 1 / padding 1 convolution prepared for NHWC inference.
class Conv3x3 {
  public:
    // weight: PyTorch order (O, C, 3, 3); bias: O (nullptr: none). in_stride: the channel stride of the input
    // activations (C for the network's own input, round_up(C) after another Conv3x3).
    // tile: the Winograd output tile side, 2 (F(2×2,3×3)) or 4 (F(4×4,3×3): fewer products, larger
    // transforms and rounding errors a few times larger; see best_tile()).
    Conv3x3(const float* weight, const float* bias, int C, int O, int in_stride, bool relu, bool pool,
            int tile = 2)
        : Conv3x3(C, O, in_stride, relu, pool, tile) {
        set_weights(weight, bias);
    }
    // The shape alone; set_weights() must follow before run().
    Conv3x3(int C, int O, int in_stride, bool relu, bool pool, int tile = 2)
        : C_(C),
          O_(O),
          cs_(in_stride),
          op_(simd::round_up(O)),
          relu_(relu),
          pool_(pool),
          m_(tile == 4 ? 4 : 2) {
        // Winograd needs whole vectors of input channels and enough of them to keep its products busy.
        winograd_ = C >= kWidth / 2 && in_stride == simd::round_up(C);
        xi_ = (m_ + 2) * (m_ + 2);
        bias_.assign(op_, 0.0f);
        w_.assign(winograd_ ? size_t(xi_) * cs_ * op_ : size_t(9) * C * op_, 0.0f);
        if (winograd_) transformed_.resize(size_t(C) * O * xi_);
    }

    // The output tile side with fewer products (tiles × their size²) for an H × W input, 4 when it saves a
    // sixth or more (the larger transforms cost the rest).
    static int best_tile(int H, int W, bool pool) {
        const int h = pool ? H / 2 * 2 : H, w = pool ? W / 2 * 2 : W;  // convolution outputs needed
        const long f2 = long((h + 1) / 2) * ((w + 1) / 2) * 16, f4 = long((h + 3) / 4) * ((w + 3) / 4) * 36;
        return 6 * f4 <= 5 * f2 ? 4 : 2;
    }

    // Loads the weights (reusing the buffers). With `transposed`, `weight` is the (C, O, 3, 3) kernel of the
    // convolution whose input gradient this one computes: w'[o, c] = w[c, o] turned by 180°.
    void set_weights(const float* weight, const float* bias, bool transposed = false) {
        set_bias(bias);
        set_weights(weight, transposed, 0, C_);
    }
    void set_bias(const float* bias) {
        std::fill(bias_.begin(), bias_.end(), 0.0f);
        if (bias) std::copy(bias, bias + O_, bias_.begin());
    }
    int in_channels() const { return C_; }
    // The weights of input channels [c_begin, c_end) only: disjoint ranges may be loaded by different
    // threads.
    void set_weights(const float* weight, bool transposed, int c_begin, int c_end) {
        auto tap = [&](int o, int c, int t) {
            return transposed ? weight[(size_t(c) * O_ + o) * 9 + (8 - t)]
                              : weight[(size_t(o) * C_ + c) * 9 + t];
        };
        if (!winograd_) {
            for (int t = 0; t < 9; ++t)
                for (int c = c_begin; c < c_end; ++c)
                    for (int o = 0; o < O_; ++o) w_[(size_t(t) * C_ + c) * op_ + o] = tap(o, c, t);
            return;
        }
        // Two passes (this runs every training step): G g Gᵀ of each (c, o) pair into a scratch array in
        // the order the pairs are read, then the ξ matrices written row by row.
        const int cp = cs_, a = m_ + 2, n = xi_;
        for (int o = 0; o < O_; ++o)
            for (int c = c_begin; c < c_end; ++c) {
                float g[3][3], col[3], gg[6][3], u[6];
                for (int t = 0; t < 9; ++t) g[t / 3][t % 3] = tap(o, c, t);
                for (int v = 0; v < 3; ++v) {  // G g, column by column
                    for (int k = 0; k < 3; ++k) col[k] = g[k][v];
                    kernel_1d(col, u);
                    for (int i = 0; i < a; ++i) gg[i][v] = u[i];
                }
                float* out = &transformed_[(size_t(c) * O_ + o) * n];
                for (int i = 0; i < a; ++i) kernel_1d(gg[i], out + i * a);  // (G g) Gᵀ, row by row
            }
        for (int xi = 0; xi < n; ++xi)
            for (int c = c_begin; c < c_end; ++c) {
                float* row = &w_[(size_t(xi) * cp + c) * op_];
                const float* u = &transformed_[size_t(c) * O_ * n + xi];
                for (int o = 0; o < O_; ++o) row[o] = u[size_t(o) * n];
            }
    }

    bool winograd() const { return winograd_; }
    int out_stride() const { return op_; }
    static int out_size(int n, bool pool) { return pool ? n / 2 : n; }

    // Scratch floats run() needs for samples of H × W, however many (the work goes a tile group or a sample
    // at a time).
    size_t scratch_size(int H, int W) const {
        if (winograd_) {
            const size_t g = group_tiles();
            return size_t(xi_) * (g * (size_t(cs_) + op_) + 2 * kSkew);
        }
        return size_t(H + 2) * (W + 2) * cs_ + size_t(2) * W * op_;
    }

    // x: count samples, H × W × in_stride each; y: count samples, Ho × Wo × out_stride() each.
    void run(const float* x, int count, int H, int W, float* y, float* scratch) const {
        if (winograd_ && m_ == 4)
            run_winograd<4>(x, count, H, W, y, scratch);
        else if (winograd_)
            run_winograd<2>(x, count, H, W, y, scratch);
        else
            run_direct(x, count, H, W, y, scratch);
    }

  private:
    // The ξ matrices of V (and of M) are kSkew floats further apart than their size: the transforms touch
    // all of them at once, and strides that are multiples of 4 KiB would put them all in the same L1 cache
    // set.
    static constexpr size_t kSkew = 16;

    // Tiles transformed and multiplied together: V and M of a group stay in the L2 cache.
    size_t group_tiles() const {
        const size_t budget_floats = 96 * 1024;  // 384 KiB for V and M
        return std::max<size_t>(8, budget_floats / (size_t(xi_) * (size_t(cs_) + op_)));
    }

    void kernel_1d(const float* g, float* u) const {
        if (m_ == 4)
            Winograd<4>::kernel(g, u);
        else
            Winograd<2>::kernel(g, u);
    }

    // Tiles of M × M outputs (M / 2 × M / 2 after the pool) from (M + 2) × (M + 2) inputs.
    template <int M>
    void run_winograd(const float* x, int count, int H, int W, float* y, float* scratch) const {
        using T = Winograd<M>;
        constexpr int A = T::kTile, N = A * A, P = M / 2;
        const int cp = cs_;
        const int Ho = out_size(H, pool_), Wo = out_size(W, pool_);
        const int th = pool_ ? (Ho + P - 1) / P : (H + M - 1) / M,
                  tw = pool_ ? (Wo + P - 1) / P : (W + M - 1) / M;
        const size_t per_sample = size_t(th) * tw, total = per_sample * count;
        const size_t G = group_tiles();
        float* V = scratch;
        const size_t vs = G * cp + kSkew, ms = G * op_ + kSkew;  // ξ strides
        float* Mt = scratch + N * vs;
        for (size_t t0 = 0; t0 < total; t0 += G) {
            const int g = int(std::min(G, total - t0));
            // Input transform: V[ξ][t][c] = (Bᵀ d B)[ξ] for the A × A tile d around output tile t.
            for (int t = 0; t < g; ++t) {
                const size_t tile = t0 + t, s = tile / per_sample, rem = tile % per_sample;
                const int ty = int(rem / tw), tx = int(rem % tw);
                const float* base = x + s * size_t(H) * W * cp;
                const float* px[A][A];
                for (int i = 0; i < A; ++i)
                    for (int j = 0; j < A; ++j) {
                        const int iy = M * ty - 1 + i, ix = M * tx - 1 + j;
                        px[i][j] = (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                       ? base + (size_t(iy) * W + ix) * cp
                                       : nullptr;
                    }
                float* vt = V + size_t(t) * cp;
                for (int cb = 0; cb < cp; cb += kWidth) {
                    vec d[A][A], b[A][A], col[A], r[A];
                    for (int i = 0; i < A; ++i)
                        for (int j = 0; j < A; ++j)
                            d[i][j] = px[i][j] ? simd::load(px[i][j] + cb) : simd::zero();
                    for (int j = 0; j < A; ++j) {  // Bᵀ d, column by column
                        for (int i = 0; i < A; ++i) col[i] = d[i][j];
                        T::input(col, r);
                        for (int i = 0; i < A; ++i) b[i][j] = r[i];
                    }
                    for (int i = 0; i < A; ++i) {  // (Bᵀ d) B, row by row
                        T::input(b[i], r);
                        for (int j = 0; j < A; ++j) simd::store(vt + (i * A + j) * vs + cb, r[j]);
                    }
                }
            }
            // N products M[ξ] (g × op) = V[ξ] (g × cp) · U[ξ] (cp × op).
            for (int xi = 0; xi < N; ++xi)
                gemm(g, op_, cp, V + xi * vs, cp, w_.data() + size_t(xi) * cp * op_, op_, Mt + xi * ms, op_);
            // Output transform Aᵀ m A, bias, pool, ReLU.
            for (int t = 0; t < g; ++t) {
                const size_t tile = t0 + t, s = tile / per_sample, rem = tile % per_sample;
                const int ty = int(rem / tw), tx = int(rem % tw);
                float* out = y + s * size_t(Ho) * Wo * op_;
                const float* mt = Mt + size_t(t) * op_;
                for (int ob = 0; ob < op_; ob += kWidth) {
                    vec m[A][A], h[M][A], col[A], q[M][M], r[M];
                    for (int i = 0; i < A; ++i)
                        for (int j = 0; j < A; ++j) m[i][j] = simd::load(mt + (i * A + j) * ms + ob);
                    for (int j = 0; j < A; ++j) {  // Aᵀ m, column by column
                        for (int i = 0; i < A; ++i) col[i] = m[i][j];
                        T::output(col, r);
                        for (int i = 0; i < M; ++i) h[i][j] = r[i];
                    }
                    for (int i = 0; i < M; ++i) T::output(h[i], q[i]);  // (Aᵀ m) A, row by row
                    const vec bias = simd::load(bias_.data() + ob);
                    if (pool_) {
                        for (int a = 0; a < P; ++a)
                            for (int b = 0; b < P; ++b) {
                                const int oy = P * ty + a, ox = P * tx + b;
                                if (oy >= Ho || ox >= Wo) continue;
                                vec v = simd::max(simd::max(q[2 * a][2 * b], q[2 * a][2 * b + 1]),
                                                  simd::max(q[2 * a + 1][2 * b], q[2 * a + 1][2 * b + 1])) +
                                        bias;
                                if (relu_) v = simd::max(v, simd::zero());
                                simd::store(out + (size_t(oy) * Wo + ox) * op_ + ob, v);
                            }
                        continue;
                    }
                    for (int a = 0; a < M; ++a)
                        for (int b = 0; b < M; ++b) {
                            const int oy = M * ty + a, ox = M * tx + b;
                            if (oy >= Ho || ox >= Wo) continue;
                            vec v = q[a][b] + bias;
                            if (relu_) v = simd::max(v, simd::zero());
                            simd::store(out + (size_t(oy) * Wo + ox) * op_ + ob, v);
                        }
                }
            }
        }
    }

    void run_direct(const float* x, int count, int H, int W, float* y, float* scratch) const {
        const int Hp = H + 2, Wp = W + 2;
        const int Ho = out_size(H, pool_), Wo = out_size(W, pool_);
        float* padded = scratch;
        float* rows = scratch + size_t(Hp) * Wp * cs_;  // two conv output rows, W × op each
        std::fill(padded, padded + size_t(Hp) * Wp * cs_, 0.0f);
        const size_t row_stride = size_t(Wp) * cs_;
        for (int s = 0; s < count; ++s) {
            const float* xs = x + size_t(s) * H * W * cs_;
            for (int i = 0; i < H; ++i)
                std::memcpy(padded + (size_t(i + 1) * Wp + 1) * cs_, xs + size_t(i) * W * cs_,
                            sizeof(float) * W * cs_);
            float* ys = y + size_t(s) * Ho * Wo * op_;
            for (int oy = 0; oy < Ho; ++oy) {
                const int conv_rows = pool_ ? 2 : 1;
                for (int k = 0; k < conv_rows; ++k)
                    conv_row(padded + size_t(oy * conv_rows + k) * row_stride, row_stride, W,
                             rows + size_t(k) * W * op_);
                float* out = ys + size_t(oy) * Wo * op_;
                for (int ox = 0; ox < Wo; ++ox)
                    for (int ob = 0; ob < op_; ob += kWidth) {
                        vec v;
                        if (pool_) {
                            const float* r0 = rows + size_t(2 * ox) * op_ + ob;
                            const float* r1 = r0 + size_t(W) * op_;
                            v = simd::max(simd::max(simd::load(r0), simd::load(r0 + op_)),
                                          simd::max(simd::load(r1), simd::load(r1 + op_)));
                        } else {
                            v = simd::load(rows + size_t(ox) * op_ + ob);
                        }
                        v += simd::load(bias_.data() + ob);
                        if (relu_) v = simd::max(v, simd::zero());
                        simd::store(out + size_t(ox) * op_ + ob, v);
                    }
            }
        }
    }

    // One row of W conv outputs (no bias) into out (W × op).
    void conv_row(const float* in, size_t row_stride, int W, float* out) const {
        for (int j0 = 0; j0 < op_; j0 += kMaxVectors * kWidth) {
            const int nv = std::min(kMaxVectors, (op_ - j0) / kWidth);
            const float* w = w_.data() + j0;
            switch (nv) {
                case 4:
                    detail::direct_row<std::min(4, kMaxVectors)>(W, in, row_stride, C_, cs_, w, op_, out + j0,
                                                                 op_);
                    break;
                case 3:
                    detail::direct_row<std::min(3, kMaxVectors)>(W, in, row_stride, C_, cs_, w, op_, out + j0,
                                                                 op_);
                    break;
                case 2:
                    detail::direct_row<2>(W, in, row_stride, C_, cs_, w, op_, out + j0, op_);
                    break;
                default:
                    detail::direct_row<1>(W, in, row_stride, C_, cs_, w, op_, out + j0, op_);
                    break;
            }
        }
    }

    int C_, O_, cs_, op_;
    bool relu_, pool_;
    int m_, xi_ = 16;  // Winograd output tile side, and the number of products (tile side + 2)²
    bool winograd_ = false;
    AlignedFloats w_, bias_;
    std::vector<float> transformed_;  // set_weights' scratch
};

}  // namespace cnn::fast
