/* Training batch norm forward for channels-last float32 rows ([rows, C], C innermost), as TF's
 * FusedBatchNormV3 (is_training) gives it, with TF's fused Relu optional (_FusedBatchNormEx).
 *
 * Statistics: the rows go by in blocks small enough to stay in L1 (at most 256 rows). Within a block, in
 * float and vectorized over 16 channels: a first pass sums the rows to a shift m (the block's mean, rounded),
 * a second sums d = x - m and d * d. Each block's exact mean m + sum(d)/n and centered sum of squares
 * sum(d * d) - sum(d)^2/n are then merged in double into the running mean and centered sum of squares
 * (Chan et al.'s pairwise update). Nothing is accumulated about zero, so a mean far from zero costs no
 * precision (TF's own kernels also subtract the mean before squaring); each float sum covers <= 256 values
 * of one block. Normalize: y = (x - mean) * (scale * rstd) + offset in float, Relu optional, one write.
 * GCC/Clang vector extensions (and -ffp-contract=off) keep the arithmetic the same on every instruction
 * set; target_clones picks AVX-512 or AVX2 code at run time where the CPU has it.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/batch_norm_native.py. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
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

TM_CLONES static void block16(const float *x, int64_t n, int64_t C, float *shift, float *dsum, float *dsq) {
    BLOCK_SUMS(v16f, x, n, C, shift, dsum, dsq);
}

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

/* y = (x - mean) * mult + offset, Relu optional, row by row (stores stay sequential), 16 channels a step. */
TM_CLONES static void normalize(const float *x, float *y, int64_t rows, int64_t C, const float *mean,
                                const float *mult, const float *offset, int relu) {
    const v16f z = {0};
    for (int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * C;
        float *yr = y + r * C;
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {
            v16f v = (LOAD(v16f, xr + c) - LOAD(v16f, mean + c)) * LOAD(v16f, mult + c) + LOAD(v16f, offset + c);
            if (relu) v = (v16f)((v16i)v & ~(v < z)); /* NaN stays NaN, as Relu */
            STORE(yr + c, v);
        }
        for (; c < C; ++c) {
            float v = (xr[c] - mean[c]) * mult[c] + offset[c];
            yr[c] = relu && v < 0.0f ? 0.0f : v;
        }
    }
}

/* x: [rows, C] (rows >= 2); scale, offset, mean, variance: [C] (mean, variance read only when factor != 1);
 * work: 3*C doubles of scratch.
 * Writes y ([rows, C]), new_mean/new_var (running statistics: the batch mean and unbiased variance,
 * blended with mean/variance unless factor == 1), batch_mean and batch_var (biased). */
void tm_batch_norm_train(const float *x, int64_t rows, int64_t C, const float *scale, const float *offset,
                         const float *mean, const float *variance, double epsilon, double factor, int relu,
                         float *y, float *new_mean, float *new_var, float *batch_mean, float *batch_var,
                         double *work) {
    double *run_mean = work, *run_m2 = work + C;
    float shift[16], dsum[16], dsq[16];
    int64_t c;
    /* Blocks of <= 32 KiB of rows (L1-resident for both passes), 16 to 256 rows. */
    int64_t tile = 8192 / C;
    tile = tile < 16 ? 16 : tile > 256 ? 256 : tile;
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
        const float *xt = x + r0 * C;
        int64_t n = rows - r0 < tile ? rows - r0 : tile;
        for (c = 0; c + 16 <= C; c += 16) {
            block16(xt + c, n, C, shift, dsum, dsq);
            merge(16, (double)n, (double)r0, shift, dsum, dsq, run_mean + c, run_m2 + c);
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
    float *mult = (float *)(work + 2 * C); /* C floats in the scratch's last third */
    double n = (double)rows, keep = 1.0 - factor;
    for (c = 0; c < C; ++c) {
        double m = run_mean[c];
        double v = run_m2[c] / n;
        float mf = (float)m, vf = (float)v;
        float unbiased = (float)(run_m2[c] / (n - 1.0));
        batch_mean[c] = mf;
        batch_var[c] = vf;
        if (factor == 1.0) {
            new_mean[c] = mf;
            new_var[c] = unbiased;
        } else {
            new_mean[c] = (float)keep * mean[c] + (float)factor * mf;
            new_var[c] = (float)keep * variance[c] + (float)factor * unbiased;
        }
        mult[c] = (float)((double)scale[c] / sqrt(v + epsilon));
    }
    normalize(x, y, rows, C, batch_mean, mult, offset, relu);
}
