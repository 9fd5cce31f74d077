/* Training batch norm forward for channels-last float32 rows ([rows, C], C innermost), as TF's
 * FusedBatchNormV3 (is_training) gives it, with TF's fused Relu optional (_FusedBatchNormEx).
 *
 * Statistics: the rows go by in blocks small enough to stay in L1 (at most 256 rows). Within a block, in
 * float and vectorized over 8 channels: a first pass sums the rows to a shift m (the block's mean, rounded),
 * a second sums d = x - m and d * d. Each block's exact mean m + sum(d)/n and centered sum of squares
 * sum(d * d) - sum(d)^2/n are then merged in double into the running mean and centered sum of squares
 * (Chan et al.'s pairwise update). Nothing is accumulated about zero, so a mean far from zero costs no
 * precision (TF's own kernels also subtract the mean before squaring); each float sum covers <= 256 values
 * of one block. Normalize: y in float as oneDNN's kernels round it (see NORMALIZE), Relu optional, one write.
 * GCC/Clang vector extensions (and -ffp-contract=off) keep the arithmetic the same on every instruction
 * set but for y's one FMA, which follows the CPU as oneDNN's does; target_clones and __builtin_cpu_supports
 * pick AVX-512 or AVX2 code at run time where the CPU has it.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/batch_norm_native.py. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* 16-lane code only where AVX-512 runs it: GCC's AVX2 clone of 64-byte vector code is 3-8x slower */
#define TM_WIDE __attribute__((target("avx512f")))
/* 8-lane code with FMA (the output pass's multiply-add: see NORMALIZE) */
#define TM_FMA __attribute__((target("avx2,fma")))
/* 8-lane code with AVX2's movemask (the gradient's Relu mask: see MASK_BITS) */
#define TM_AVX2 __attribute__((target("avx2")))
#include <immintrin.h>
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static int lanes_forced, mask_off;

/* Up to this many channels the kernels' scratch (3 or 4 doubles a channel) is on their own stack and the
 * caller passes work = NULL: one allocation less per call (~1 us of the Python wrapper's ~20). */
#define TM_STACK_CHANNELS 512
const int tm_batch_norm_stack_channels = TM_STACK_CHANNELS;

/* Tests: 8 runs the 8-lane code where the 16-lane code would run (both give the same values: lanes are
 * channels); 0 restores the choice by CPU. */
void tm_batch_norm_force_lanes(int lanes) {
    lanes_forced = lanes;
}

/* Tests: 1 makes the gradient with the Relu read features in both passes (no bits kept: see MASK_BITS);
 * 0 restores the bits where the CPU runs them. Both give the same values. */
void tm_batch_norm_mask_off(int off) {
    mask_off = off;
}

/* Whether the 16-lane (AVX-512) code runs. */
static int wide(void) {
#ifdef TM_WIDE
    if (lanes_forced) return lanes_forced == 16;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

/* Whether the CPU has AVX2 (the gradient's Relu mask: see MASK_BITS). */
static int has_avx2(void) {
#ifdef TM_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

/* Whether the CPU has FMA (with AVX2): oneDNN then rounds y's multiply-add once (see NORMALIZE). */
static int has_fma(void) {
#ifdef TM_FMA
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
typedef float v4f __attribute__((vector_size(16)));

/* Unaligned loads and stores; macros, so that no vector crosses a call. */
#define LOAD(type, p)                                                                                      \
    __extension__({                                                                                        \
        type v_;                                                                                           \
        memcpy(&v_, (p), sizeof v_);                                                                       \
        v_;                                                                                                \
    })
#define STORE(p, v)                                                                                        \
    do {                                                                                                   \
        __typeof__(v) s_ = (v);                                                                            \
        memcpy((p), &s_, sizeof s_);                                                                       \
    } while (0)

/* One block's float sums for a group of channels (W lanes of vector type V): the shift m = mean of the n
 * rows (rounded), sum(x - m) and sum((x - m)^2), written to shift/dsum/dsq. Four accumulators (rows
 * r, r+1, r+2, r+3) per sum. */
#define BLOCK_SUMS(V, x, n, C, shift, dsum, dsq)                                                           \
    do {                                                                                                   \
        V s0_ = {0}, s1_ = {0}, s2_ = {0}, s3_ = {0};                                                      \
        const float *p_ = (x);                                                                             \
        int64_t r_ = 0;                                                                                    \
        for (; r_ + 4 <= (n); r_ += 4, p_ += 4 * (C)) {                                                    \
            s0_ += LOAD(V, p_);                                                                            \
            s1_ += LOAD(V, p_ + (C));                                                                      \
            s2_ += LOAD(V, p_ + 2 * (C));                                                                  \
            s3_ += LOAD(V, p_ + 3 * (C));                                                                  \
        }                                                                                                  \
        for (; r_ < (n); ++r_, p_ += (C)) s0_ += LOAD(V, p_);                                              \
        V m_ = ((s0_ + s1_) + (s2_ + s3_)) / (float)(n);                                                   \
        V d0_ = {0}, d1_ = {0}, d2_ = {0}, d3_ = {0}, q0_ = {0}, q1_ = {0}, q2_ = {0}, q3_ = {0};          \
        p_ = (x);                                                                                          \
        r_ = 0;                                                                                            \
        for (; r_ + 4 <= (n); r_ += 4, p_ += 4 * (C)) {                                                    \
            V a_ = LOAD(V, p_) - m_, b_ = LOAD(V, p_ + (C)) - m_;                                          \
            V c_ = LOAD(V, p_ + 2 * (C)) - m_, e_ = LOAD(V, p_ + 3 * (C)) - m_;                            \
            d0_ += a_;                                                                                     \
            d1_ += b_;                                                                                     \
            d2_ += c_;                                                                                     \
            d3_ += e_;                                                                                     \
            q0_ += a_ * a_;                                                                                \
            q1_ += b_ * b_;                                                                                \
            q2_ += c_ * c_;                                                                                \
            q3_ += e_ * e_;                                                                                \
        }                                                                                                  \
        for (; r_ < (n); ++r_, p_ += (C)) {                                                                \
            V a_ = LOAD(V, p_) - m_;                                                                       \
            d0_ += a_;                                                                                     \
            q0_ += a_ * a_;                                                                                \
        }                                                                                                  \
        STORE(shift, m_);                                                                                  \
        STORE(dsum, (d0_ + d1_) + (d2_ + d3_));                                                            \
        STORE(dsq, (q0_ + q1_) + (q2_ + q3_));                                                             \
    } while (0)

TM_CLONES static void block8(const float *x, int64_t n, int64_t C, float *shift, float *dsum, float *dsq) {
    BLOCK_SUMS(v8f, x, n, C, shift, dsum, dsq);
}

#ifdef TM_WIDE
TM_WIDE static void block16(const float *x, int64_t n, int64_t C, float *shift, float *dsum, float *dsq) {
    BLOCK_SUMS(v16f, x, n, C, shift, dsum, dsq);
}
#endif

TM_CLONES static void block4(const float *x, int64_t n, int64_t C, float *shift, float *dsum, float *dsq) {
    BLOCK_SUMS(v4f, x, n, C, shift, dsum, dsq);
}

static void block1(const float *x, int64_t n, int64_t C, float *shift, float *dsum, float *dsq) {
    float s = 0, d = 0, q = 0;
    for (int64_t r = 0; r < n; ++r) s += x[r * C];
    float m = s / (float)n;
    for (int64_t r = 0; r < n; ++r) {
        float a = x[r * C] - m;
        d += a;
        q += a * a;
    }
    *shift = m;
    *dsum = d;
    *dsq = q;
}

/* Merges k channels' block of n rows (after ``before`` rows) into the running mean and centered sum of
 * squares, in double. */
static void merge(int64_t k, double n, double before, const float *shift, const float *dsum, const float *dsq,
                  double *mean, double *m2) {
    for (int64_t j = 0; j < k; ++j) {
        double d = dsum[j];
        double block_mean = (double)shift[j] + d / n;
        double block_m2 = (double)dsq[j] - d * (d / n);
        if (block_m2 < 0) block_m2 = 0;
        if (before == 0) {
            mean[j] = block_mean;
            m2[j] = block_m2;
        } else {
            double total = before + n, delta = block_mean - mean[j];
            mean[j] += delta * (n / total);
            m2[j] += block_m2 + delta * delta * (before * n / total);
        }
    }
}

/* How far ahead (in floats: 2 KiB) the output pass prefetches x, side and y's lines: in a training step
 * y's fresh memory is rarely in cache, and asking for its lines (for writing) and x's ahead of the stores
 * took 10-20% off the output pass alone, 5-12% off the whole call (bench at ResNet's shapes, distances of
 * 1-8 KiB measured alike). Prefetches change no value. */
#define TM_PREFETCH 512

/* y = fma((x - mean) * mult, gain, offset), plus side (a residual, [rows, C]) unless NULL, Relu optional,
 * row by row (stores stay sequential), W channels a step: the arithmetic of oneDNN's batch norm, which TF's
 * FusedBatchNormV3 runs with TF_ENABLE_ONEDNN_OPTS=1. Its jit kernels (channels-last, C % 4 == 0) subtract,
 * multiply by rstd = 1 / sqrtf(variance + epsilon), then multiply-add scale and offset: mult = rstd, gain =
 * scale, in one FMA where the CPU has FMA, a multiply and an add where it has not. Its reference kernel (any
 * other C) computes (x - mean) * (scale / sqrtf(variance + epsilon)) + offset: mult = that quotient, gain =
 * 1 (exact either way). MADD is the multiply-add for W lanes, MADD1 for one. */
#define NORMALIZE(NAME, ATTR, V, I, W, MADD, MADD1)                                                        \
    ATTR static void NAME(const float *x, float *y, int64_t rows, int64_t C, const float *mean,            \
                          const float *mult, const float *gain, const float *offset, const float *side,    \
                          int relu, const int64_t *gaps) {                                                 \
        const V z = {0};                                                                                   \
        const int64_t total = rows * C;                                                                    \
        /* lines of width rows; with gaps, y's zero border written before the first line and between */   \
        /* lines (a row gap after each, an image gap more after each height lines; the last, less lead) */ \
        const int64_t width = gaps ? gaps[0] : rows, height = gaps ? gaps[1] : 1;                          \
        const int64_t row_gap = gaps ? gaps[2] : 0, image_gap = gaps ? gaps[3] : 0;                        \
        const int64_t lead = gaps ? gaps[4] : 0;                                                           \
        if (lead) memset(y - lead, 0, (size_t)lead * sizeof(float));                                       \
        float *yl = y;                                                                                     \
        int64_t line = 0;                                                                                  \
        for (int64_t r0 = 0; r0 < rows; r0 += width) {                                                     \
            for (int64_t r = r0; r < r0 + width; ++r) {                                                    \
                const float *xr = x + r * C;                                                               \
                float *yr = yl + (r - r0) * C;                                                             \
                int64_t c = 0;                                                                             \
                if (r * C + TM_PREFETCH + C <= total)                                                      \
                    for (int64_t q = 0; q < C; q += 16) { /* one 64-byte line per 16 floats */             \
                        __builtin_prefetch(xr + TM_PREFETCH + q, 0, 3);                                    \
                        __builtin_prefetch(yr + TM_PREFETCH + q, 1, 3);                                    \
                        if (side) __builtin_prefetch(side + r * C + TM_PREFETCH + q, 0, 3);                \
                    }                                                                                      \
                for (; c + W <= C; c += W) {                                                               \
                    V v = (LOAD(V, xr + c) - LOAD(V, mean + c)) * LOAD(V, mult + c);                       \
                    v = MADD(v, LOAD(V, gain + c), LOAD(V, offset + c));                                   \
                    if (side) v = v + LOAD(V, side + r * C + c);                                           \
                    if (relu) v = (V)((I)v & ~(v < z)); /* NaN stays NaN, as Relu */                       \
                    STORE(yr + c, v);                                                                      \
                }                                                                                          \
                for (; c < C; ++c) {                                                                       \
                    float v = MADD1((xr[c] - mean[c]) * mult[c], gain[c], offset[c]);                      \
                    if (side) v = v + side[r * C + c];                                                     \
                    yr[c] = relu && v < 0.0f ? 0.0f : v;                                                   \
                }                                                                                          \
            }                                                                                              \
            if (!gaps) break;                                                                              \
            float *gap = yl + width * C;                                                                   \
            int64_t skip = row_gap;                                                                        \
            if (++line == height) {                                                                        \
                line = 0;                                                                                  \
                skip += image_gap;                                                                         \
            }                                                                                              \
            memset(gap, 0, (size_t)(r0 + width < rows ? skip : skip - lead) * sizeof(float));              \
            yl = gap + skip;                                                                               \
        }                                                                                                  \
    }

#define MUL_ADD(a, b, c) ((a) * (b) + (c)) /* two roundings (-ffp-contract=off) */
NORMALIZE(normalize8, TM_CLONES, v8f, v8i, 8, MUL_ADD, MUL_ADD)
#ifdef TM_FMA
#define FMA8(a, b, c) ((v8f)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
NORMALIZE(normalize8_fma, TM_FMA, v8f, v8i, 8, FMA8, fmaf)
#endif
#ifdef TM_WIDE
#define FMA16(a, b, c) ((v16f)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
NORMALIZE(normalize16, TM_WIDE, v16f, v16i, 16, FMA16, fmaf)
#endif

/* x: [rows, C] (rows >= 2); scale, offset, mean, variance: [C] (mean, variance read only when factor != 1);
 * side: [rows, C] added to y before the Relu (a residual: Relu(AddV2(y, side))) or NULL; work: 3*C doubles
 * of scratch, or NULL when C <= TM_STACK_CHANNELS; gaps: NULL (y is [rows, C] like x), or {width, height,
 * row gap, image gap, lead}: x's rows are images of height x width pixels and y the interior of a tensor with
 * a zero border that this call writes too (a stride-2 convolution reads it as its padded input): the first
 * pixel at y, lead floats of border before it, row gap floats of border after each image row and image gap
 * more after each image's last row (the last image's, less lead), in one pass.
 * Writes y ([rows, C]), new_mean/new_var (running statistics: the batch mean and unbiased variance,
 * blended with mean/variance unless factor == 1), batch_mean and batch_var (biased). */
void tm_batch_norm_train(const float *x, int64_t rows, int64_t C, const float *scale, const float *offset,
                         const float *mean, const float *variance, double epsilon, double factor,
                         const float *side, int relu, float *y, float *new_mean, float *new_var, float *batch_mean,
                         float *batch_var, double *work, const int64_t *gaps) {
    double stack_work[3 * TM_STACK_CHANNELS];
    if (!work) work = stack_work;
    double *run_mean = work, *run_m2 = work + C;
    float shift[16], dsum[16], dsq[16];
    int64_t c;
    int w16 = wide();
    /* Blocks of <= 32 KiB of rows (L1-resident for both passes), 16 to 256 rows. */
    int64_t tile = 8192 / C;
    tile = tile < 16 ? 16 : tile > 256 ? 256 : tile;
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
        const float *xt = x + r0 * C;
        int64_t n = rows - r0 < tile ? rows - r0 : tile;
        c = 0;
#ifdef TM_WIDE
        for (; w16 && c + 16 <= C; c += 16) {
            block16(xt + c, n, C, shift, dsum, dsq);
            merge(16, (double)n, (double)r0, shift, dsum, dsq, run_mean + c, run_m2 + c);
        }
#endif
        for (; c + 8 <= C; c += 8) {
            block8(xt + c, n, C, shift, dsum, dsq);
            merge(8, (double)n, (double)r0, shift, dsum, dsq, run_mean + c, run_m2 + c);
        }
        for (; c + 4 <= C; c += 4) {
            block4(xt + c, n, C, shift, dsum, dsq);
            merge(4, (double)n, (double)r0, shift, dsum, dsq, run_mean + c, run_m2 + c);
        }
        for (; c < C; ++c) {
            block1(xt + c, n, C, shift, dsum, dsq);
            merge(1, (double)n, (double)r0, shift, dsum, dsq, run_mean + c, run_m2 + c);
        }
    }
    float *mult = (float *)(work + 2 * C), *gain = mult + C; /* 2C floats in the scratch's last third */
    double n = (double)rows, keep = 1.0 - factor;
    /* TF's unbiased variance: the biased one times n / (n - 1), in float, as TF adjusts oneDNN's */
    float adjust = (float)rows / (float)(rows - 1);
    int jit = C % 4 == 0; /* which oneDNN kernel TF runs, and so how y rounds: see NORMALIZE */
    for (c = 0; c < C; ++c) {
        float mf = (float)run_mean[c], vf = (float)(run_m2[c] / n);
        float unbiased = vf * adjust;
        batch_mean[c] = mf;
        batch_var[c] = vf;
        if (factor == 1.0) {
            new_mean[c] = mf;
            new_var[c] = unbiased;
        } else {
            new_mean[c] = (float)keep * mean[c] + (float)factor * mf;
            new_var[c] = (float)keep * variance[c] + (float)factor * unbiased;
        }
        float root = sqrtf(vf + (float)epsilon);
        mult[c] = jit ? 1.0f / root : scale[c] / root;
        gain[c] = jit ? scale[c] : 1.0f;
    }
#ifdef TM_WIDE
    if (w16) {
        normalize16(x, y, rows, C, batch_mean, mult, gain, offset, side, relu, gaps);
        return;
    }
#endif
#ifdef TM_FMA
    if (has_fma()) {
        normalize8_fma(x, y, rows, C, batch_mean, mult, gain, offset, side, relu, gaps);
        return;
    }
#endif
    normalize8(x, y, rows, C, batch_mean, mult, gain, offset, side, relu, gaps);
}

/* ---------------------------------------------------------------------------------------------------
 * Training batch norm gradient (TF's FusedBatchNormGradV3, is_training) for channels-last float32 rows,
 * with the ReluGrad before it optional: g = dy * (features > 0) (TF's ReluGrad, as a product, so NaN and
 * the sign of zero follow TF's), else g = dy. With xc = x - mean and rstd = 1 / sqrtf(variance + epsilon):
 *   offset_backprop = sum(g), scale_backprop = sum(g * xc) * rstd,
 *   x_backprop = ((g - offset_backprop / n) - xc * (scale_backprop * rstd / n)) * scale * rstd,
 * in float in that order, as oneDNN's jit kernel computes it (TF's reference with TF_ENABLE_ONEDNN_OPTS=1).
 * Pass 1 sums g and g * xc per channel (float sums over blocks of 16 rows, vectorized over 8 channels,
 * added in double); pass 2 writes x_backprop (which may be dy itself: each element is read before it is
 * written). Each function comes in two forms, with the Relu (features read) and without; with the Relu,
 * where AVX2 or AVX-512 runs, pass 1 keeps the mask as bits for pass 2 (MASK_BITS) instead of pass 2
 * reading features again. */

typedef int32_t v4i __attribute__((vector_size(16)));

/* g at dy + o (vector type V, integer type I of the same lanes): dy times 1 or 0 when RELU. */
#define GRAD(V, I, RELU, dy, f, o)                                                                         \
    __extension__({                                                                                        \
        V g_ = LOAD(V, (dy) + (o));                                                                        \
        if (RELU) {                                                                                        \
            const V zero_ = {0}, one_ = zero_ + 1.0f;                                                      \
            g_ = g_ * (V)((I)(LOAD(V, (f) + (o)) > zero_) & (I)one_);                                      \
        }                                                                                                  \
        g_;                                                                                                \
    })

/* Pass 1 over n rows of a group of channels: sum(g) and sum(g * (x - mean)) in float, rows two at a time into two
   partial sums each (the order every variant keeps, bit for bit). G_O and G_P are the gradient of row r (at offset
   o) and of row r + 1 (at offset p), expressions in the loop's r, o and p. */
#define ROW_SUMS(V, G_O, G_P)                                                                           \
    V g0 = {0}, g1 = {0}, h0 = {0}, h1 = {0};                                                           \
    const V m = LOAD(V, mean);                                                                          \
    int64_t r = 0;                                                                                      \
    for (; r + 2 <= n; r += 2) {                                                                        \
        int64_t o = r * C, p = o + C;                                                                   \
        V a = G_O, e = G_P;                                                                             \
        g0 += a;                                                                                        \
        g1 += e;                                                                                        \
        h0 += a * (LOAD(V, x + o) - m);                                                                 \
        h1 += e * (LOAD(V, x + p) - m);                                                                 \
    }                                                                                                   \
    for (; r < n; ++r) {                                                                                \
        int64_t o = r * C;                                                                              \
        V a = G_O;                                                                                      \
        g0 += a;                                                                                        \
        h0 += a * (LOAD(V, x + o) - m);                                                                 \
    }                                                                                                   \
    STORE(sum_g, g0 + g1);                                                                              \
    STORE(sum_gx, h0 + h1);

#define GRAD_SUMS(NAME, ATTR, V, I, RELU)                                                               \
    ATTR static void NAME(const float *dy, const float *f, const float *x, const float *mean, int64_t n,\
                          int64_t C, float *sum_g, float *sum_gx) {                                     \
        ROW_SUMS(V, GRAD(V, I, RELU, dy, f, o), GRAD(V, I, RELU, dy, f, p))                             \
    }

typedef float v1f __attribute__((vector_size(4)));
typedef int32_t v1i __attribute__((vector_size(4)));

GRAD_SUMS(grad_sums8_relu, TM_CLONES, v8f, v8i, 1)
GRAD_SUMS(grad_sums8, TM_CLONES, v8f, v8i, 0)
GRAD_SUMS(grad_sums4_relu, TM_CLONES, v4f, v4i, 1)
GRAD_SUMS(grad_sums4, TM_CLONES, v4f, v4i, 0)
GRAD_SUMS(grad_sums1_relu, TM_CLONES, v1f, v1i, 1)
GRAD_SUMS(grad_sums1, TM_CLONES, v1f, v1i, 0)
#ifdef TM_WIDE
GRAD_SUMS(grad_sums16_relu, TM_WIDE, v16f, v16i, 1)
GRAD_SUMS(grad_sums16, TM_WIDE, v16f, v16i, 0)
#endif

/* Pass 2: x_backprop = ((g - b) - (x - mean) * a) * scale * rstd row by row, oneDNN's jit kernel's operations
 * in its order (b = offset_backprop / n, a = scale_backprop * rstd / n), 8 channels a step, the lines
 * TM_PREFETCH floats ahead prefetched (as the forward's output pass). */
#define GRAD_OUTPUT_STEP(V, I, W, RELU)                                                                    \
    for (; c + W <= C; c += W) {                                                                           \
        V g = GRAD(V, I, RELU, dy, f, o + c);                                                              \
        V xc = LOAD(V, x + o + c) - LOAD(V, mean + c);                                                     \
        V v = (g - LOAD(V, b + c)) - xc * LOAD(V, a + c);                                                  \
        STORE(dx + o + c, v * LOAD(V, scale + c) * LOAD(V, rstd + c));                                     \
    }

#define GRAD_OUTPUT(NAME, ATTR, RELU, WIDE)                                                                \
    ATTR static void NAME(const float *dy, const float *f, const float *x, float *dx, int64_t rows, int64_t C, \
                          const float *mean, const float *scale, const float *rstd, const float *b,        \
                          const float *a) {                                                                \
        const int64_t total = rows * C;                                                                    \
        for (int64_t r = 0; r < rows; ++r) {                                                               \
            int64_t o = r * C, c = 0;                                                                      \
            if (o + TM_PREFETCH + C <= total)                                                              \
                for (int64_t q = o + TM_PREFETCH; q < o + TM_PREFETCH + C; q += 16) {                      \
                    __builtin_prefetch(dy + q, 0, 3);                                                      \
                    __builtin_prefetch(x + q, 0, 3);                                                       \
                    if (RELU) __builtin_prefetch(f + q, 0, 3);                                             \
                    if (dx != dy) __builtin_prefetch(dx + q, 1, 3);                                        \
                }                                                                                          \
            if (WIDE) GRAD_OUTPUT_STEP(WIDE_V, WIDE_I, 16, RELU)                                           \
            GRAD_OUTPUT_STEP(v8f, v8i, 8, RELU)                                                            \
            GRAD_OUTPUT_STEP(v1f, v1i, 1, RELU)                                                            \
        }                                                                                                  \
    }

#define WIDE_V v8f /* never run: WIDE is 0 */
#define WIDE_I v8i
GRAD_OUTPUT(grad_output8_relu, TM_CLONES, 1, 0)
GRAD_OUTPUT(grad_output8, TM_CLONES, 0, 0)
#undef WIDE_V
#undef WIDE_I
#ifdef TM_WIDE
#define WIDE_V v16f
#define WIDE_I v16i
GRAD_OUTPUT(grad_output16_relu, TM_WIDE, 1, 1)
GRAD_OUTPUT(grad_output16, TM_WIDE, 0, 1)
#endif

/* MASK_BITS: the Relu's mask kept between the passes. With the Relu, pass 1 reads features and writes one bit
 * an element, (features > 0) of channel c + j at bit j of the row's byte c / 8, for the channels the 8- and
 * 16-lane groups cover (the first C - C % 8); pass 2 reads those bits instead of features (the last C % 8
 * channels read features in both passes). In a training step the tensors come from memory, not the caches,
 * and both passes are bound by it: this is one read of features (4 bytes an element) less, for 1/8 byte an
 * element written and read back. The values are the same: g = dy * (mask ? 1 : 0), the same product.
 * Only where AVX2 (movemask) or AVX-512 runs it; elsewhere both passes read features. */
/* g at dy + o with the Relu, its bits written at bitp. */
#define MASKED_G(V, I, BITS_T, MOVEMASK, o, bitp)                                                          \
    __extension__({                                                                                        \
        I s_ = (I)(LOAD(V, f + (o)) > zero);                                                               \
        BITS_T bits_ = MOVEMASK(s_);                                                                       \
        memcpy((bitp), &bits_, sizeof bits_);                                                              \
        LOAD(V, dy + (o)) * (V)(s_ & (I)one);                                                              \
    })

#define MASKED_SUMS(NAME, ATTR, V, I, BITS_T, MOVEMASK)                                                 \
    ATTR static void NAME(const float *dy, const float *f, const float *x, const float *mean, int64_t n,\
                          int64_t C, float *sum_g, float *sum_gx, unsigned char *mk, int64_t mb) {      \
        const V zero = {0}, one = zero + 1.0f;                                                          \
        ROW_SUMS(V, MASKED_G(V, I, BITS_T, MOVEMASK, o, mk + r * mb),                                   \
                 MASKED_G(V, I, BITS_T, MOVEMASK, p, mk + (r + 1) * mb))                                \
    }

#define MASKED_OUTPUT_STEP(V, I, W, BITS_T, LANE_BITS)                                                     \
    for (; c + W <= C; c += W) {                                                                           \
        BITS_T bits;                                                                                       \
        memcpy(&bits, mk + r * mb + c / 8, sizeof bits);                                                   \
        const V zero = {0}, one = zero + 1.0f;                                                             \
        I s = (LANE_BITS & (int32_t)bits) != 0;                                                            \
        V g = LOAD(V, dy + o + c) * (V)(s & (I)one);                                                       \
        V xc = LOAD(V, x + o + c) - LOAD(V, mean + c);                                                     \
        V v = (g - LOAD(V, b + c)) - xc * LOAD(V, a + c);                                                  \
        STORE(dx + o + c, v * LOAD(V, scale + c) * LOAD(V, rstd + c));                                     \
    }

/* Pass 2 with the Relu's bits (GRAD_OUTPUT's arithmetic and order; features read for the last C % 8). */
#define MASKED_OUTPUT(NAME, ATTR, WIDE)                                                                    \
    ATTR static void NAME(const float *dy, const float *f, const float *x, float *dx, int64_t rows, int64_t C, \
                          const float *mean, const float *scale, const float *rstd, const float *b,        \
                          const float *a, const unsigned char *mk, int64_t mb) {                           \
        const int64_t total = rows * C;                                                                    \
        for (int64_t r = 0; r < rows; ++r) {                                                               \
            int64_t o = r * C, c = 0;                                                                      \
            if (o + TM_PREFETCH + C <= total)                                                              \
                for (int64_t q = o + TM_PREFETCH; q < o + TM_PREFETCH + C; q += 16) {                      \
                    __builtin_prefetch(dy + q, 0, 3);                                                      \
                    __builtin_prefetch(x + q, 0, 3);                                                       \
                    if (dx != dy) __builtin_prefetch(dx + q, 1, 3);                                        \
                }                                                                                          \
            if (WIDE) MASKED_OUTPUT_STEP(WIDE_V, WIDE_I, 16, uint16_t, WIDE_BITS)                          \
            MASKED_OUTPUT_STEP(v8f, v8i, 8, uint8_t, LANE_BITS8)                                           \
            GRAD_OUTPUT_STEP(v1f, v1i, 1, 1)                                                               \
        }                                                                                                  \
    }

#undef WIDE_V
#undef WIDE_I
#define LANE_BITS8 ((v8i){1, 2, 4, 8, 16, 32, 64, 128})
#ifdef TM_AVX2
#define MOVEMASK8(s) ((uint8_t)_mm256_movemask_ps((__m256)(s)))
MASKED_SUMS(masked_sums8, TM_AVX2, v8f, v8i, uint8_t, MOVEMASK8)
#define WIDE_V v8f /* never run: WIDE is 0 */
#define WIDE_I v8i
#define WIDE_BITS LANE_BITS8
MASKED_OUTPUT(masked_output8, TM_AVX2, 0)
#undef WIDE_V
#undef WIDE_I
#undef WIDE_BITS
#endif
#ifdef TM_WIDE
#define MOVEMASK16(s) ((uint16_t)_mm512_test_epi32_mask((__m512i)(s), (__m512i)(s)))
MASKED_SUMS(masked_sums16, TM_WIDE, v16f, v16i, uint16_t, MOVEMASK16)
#define WIDE_V v16f
#define WIDE_I v16i
#define WIDE_BITS ((v16i){1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768})
MASKED_OUTPUT(masked_output16, TM_WIDE, 1)
#undef WIDE_V
#undef WIDE_I
#undef WIDE_BITS
#endif

/* dy, features (NULL: no Relu), x, dx: [rows, C] (dx may be dy); scale, mean, variance: [C];
 * work: 2*C doubles and 3*C floats of scratch (4*C doubles), or NULL when C <= TM_STACK_CHANNELS.
 * Writes dx, scale_backprop, offset_backprop. */
void tm_batch_norm_grad_train(const float *dy, const float *features, const float *x, int64_t rows, int64_t C,
                              const float *scale, const float *mean, const float *variance, double epsilon,
                              float *dx, float *scale_backprop, float *offset_backprop, double *work) {
    double stack_work[4 * TM_STACK_CHANNELS];
    if (!work) work = stack_work;
    double *sum_g = work, *sum_gx = work + C;
    float *rstd = (float *)(work + 2 * C), *b = rstd + C, *a = b + C;
    float part_g[16], part_gx[16];
    int64_t c;
    int relu = features != 0, w16 = wide();
    /* The Relu's bits (MASK_BITS), mb bytes a row; without them (no AVX2, C < 8, no memory) features is
     * read in both passes */
    int64_t mb = C / 8;
    unsigned char *mk = relu && mb && !mask_off && (w16 || has_avx2()) ? malloc((size_t)(rows * mb)) : NULL;
    for (c = 0; c < 2 * C; ++c) work[c] = 0;
    /* Blocks of 16 rows: each float sum covers 8 values before it is added in double. offset_backprop is
     * often a sum that cancels to about zero (the gradient of a loss of the normalized output), where longer
     * float sums drifted 1e-5 from TF's (a test of tf.layers.batch_normalization failed); 16 rows measured
     * no slower than 256 per call. */
    const int64_t tile = 16;
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
        int64_t n = rows - r0 < tile ? rows - r0 : tile, o = r0 * C;
        const float *ft = relu ? features + o : dy + o; /* not read without the Relu */
        for (c = 0; c < C;) {
            int width = w16 && c + 16 <= C ? 16 : c + 8 <= C ? 8 : c + 4 <= C ? 4 : 1;
            unsigned char *bits = mk ? mk + r0 * mb + c / 8 : NULL; /* this group's rows' bits */
#ifdef TM_WIDE
            if (width == 16 && mk)
                masked_sums16(dy + o + c, ft + c, x + o + c, mean + c, n, C, part_g, part_gx, bits, mb);
            else if (width == 16)
                (relu ? grad_sums16_relu : grad_sums16)(dy + o + c, ft + c, x + o + c, mean + c, n, C, part_g, part_gx);
            else
#endif
#ifdef TM_AVX2
            if (width == 8 && mk)
                masked_sums8(dy + o + c, ft + c, x + o + c, mean + c, n, C, part_g, part_gx, bits, mb);
            else
#endif
            if (width == 8)
                (relu ? grad_sums8_relu : grad_sums8)(dy + o + c, ft + c, x + o + c, mean + c, n, C, part_g, part_gx);
            else if (width == 4)
                (relu ? grad_sums4_relu : grad_sums4)(dy + o + c, ft + c, x + o + c, mean + c, n, C, part_g, part_gx);
            else
                (relu ? grad_sums1_relu : grad_sums1)(dy + o + c, ft + c, x + o + c, mean + c, n, C, part_g, part_gx);
            for (int j = 0; j < width; ++j) {
                sum_g[c + j] += part_g[j];
                sum_gx[c + j] += part_gx[j];
            }
            c += width;
        }
    }
    float count = (float)rows;
    for (c = 0; c < C; ++c) {
        float r = 1.0f / sqrtf(variance[c] + (float)epsilon); /* oneDNN's rstd: a float root, a division */
        offset_backprop[c] = (float)sum_g[c];
        scale_backprop[c] = (float)sum_gx[c] * r;
        rstd[c] = r;
        b[c] = offset_backprop[c] / count;
        a[c] = scale_backprop[c] * r / count;
    }
    if (mk) {
#ifdef TM_WIDE
        if (w16)
            masked_output16(dy, features, x, dx, rows, C, mean, scale, rstd, b, a, mk, mb);
        else
#endif
#ifdef TM_AVX2
            masked_output8(dy, features, x, dx, rows, C, mean, scale, rstd, b, a, mk, mb);
#endif
        free(mk);
        return;
    }
#ifdef TM_WIDE
    if (w16) {
        (relu ? grad_output16_relu : grad_output16)(dy, relu ? features : dy, x, dx, rows, C, mean, scale, rstd, b, a);
        return;
    }
#endif
    (relu ? grad_output8_relu : grad_output8)(dy, relu ? features : dy, x, dx, rows, C, mean, scale, rstd, b, a);
}
