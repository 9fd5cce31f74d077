/* Training batch norm forward for channels-last float32 rows ([rows, C], C innermost), as TF's
 * FusedBatchNormV3 (is_training) gives it, with TF's fused Relu optional (_FusedBatchNormEx).
 *
 * Pass 1: per-channel sum and sum of squares in double (exact squares; float inputs), 16 channels per
 * block held in vector registers while the rows stream by. Pass 2: y = (x - mean) * (scale * rstd) +
 * offset in float, Relu optional, one write. GCC/Clang vector extensions keep the arithmetic the same on
 * every instruction set; target_clones picks AVX2 code at run time where the CPU has it.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/batch_norm_native.py. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

/* Four floats (unaligned) widened to doubles; a macro, so that no vector crosses a call. */
#define load4(p)                                                                                           \
    __extension__({                                                                                        \
        v4f v_;                                                                                            \
        memcpy(&v_, (p), sizeof v_);                                                                       \
        __builtin_convertvector(v_, v4d);                                                                  \
    })

/* Adds the sums and sums of squares of channels c0 .. c0+15 over ``rows`` rows to sum/sq. */
TM_CLONES static void stats16(const float *x, int64_t rows, int64_t C, int64_t c0, double *sum, double *sq) {
    v4d s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0};
    const float *p = x + c0;
    for (int64_t r = 0; r < rows; ++r, p += C) {
        v4d a = load4(p), b = load4(p + 4), c = load4(p + 8), d = load4(p + 12);
        s0 += a;
        s1 += b;
        s2 += c;
        s3 += d;
        q0 += a * a;
        q1 += b * b;
        q2 += c * c;
        q3 += d * d;
    }
    v4d part[8] = {s0, s1, s2, s3, q0, q1, q2, q3};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            sum[4 * i + j] += part[i][j];
            sq[4 * i + j] += part[4 + i][j];
        }
}

/* The same for channels c0 .. c0+3. */
TM_CLONES static void stats4(const float *x, int64_t rows, int64_t C, int64_t c0, double *sum, double *sq) {
    v4d s = {0}, q = {0};
    const float *p = x + c0;
    for (int64_t r = 0; r < rows; ++r, p += C) {
        v4d a = load4(p);
        s += a;
        q += a * a;
    }
    for (int j = 0; j < 4; ++j) {
        sum[j] += s[j];
        sq[j] += q[j];
    }
}

/* One channel. */
static void stats1(const float *x, int64_t rows, int64_t C, int64_t c0, double *sum, double *sq) {
    double s = 0, q = 0;
    const float *p = x + c0;
    for (int64_t r = 0; r < rows; ++r, p += C) {
        double a = *p;
        s += a;
        q += a * a;
    }
    *sum += s;
    *sq += q;
}

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* y = (x - mean) * mult + offset, Relu optional, row by row (stores stay sequential), 8 channels a step. */
TM_CLONES static void normalize(const float *x, float *y, int64_t rows, int64_t C, const float *mean,
                                const float *mult, const float *offset, int relu) {
    const v8f z = {0};
    for (int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * C;
        float *yr = y + r * C;
        int64_t c = 0;
        for (; c + 8 <= C; c += 8) {
            v8f v, m, k, o;
            memcpy(&v, xr + c, sizeof v);
            memcpy(&m, mean + c, sizeof m);
            memcpy(&k, mult + c, sizeof k);
            memcpy(&o, offset + c, sizeof o);
            v = (v - m) * k + o;
            if (relu) v = (v8f)((v8i)v & ~(v < z)); /* NaN stays NaN, as Relu */
            memcpy(yr + c, &v, sizeof v);
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
    double *sum = work, *sq = work + C;
    int64_t c;
    for (c = 0; c < 2 * C; ++c) work[c] = 0;
    /* Tiles of ~32 KiB of rows (L1/L2-resident while each 16-channel block reads its columns): the
     * rows stream from memory once, in order, whatever C is. */
    int64_t tile = C >= 2048 ? 4 : 8192 / C;
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
        const float *xt = x + r0 * C;
        int64_t n = rows - r0 < tile ? rows - r0 : tile;
        for (c = 0; c + 16 <= C; c += 16) stats16(xt, n, C, c, sum + c, sq + c);
        for (; c + 4 <= C; c += 4) stats4(xt, n, C, c, sum + c, sq + c);
        for (; c < C; ++c) stats1(xt, n, C, c, sum + c, sq + c);
    }
    float *mult = (float *)(work + 2 * C); /* C floats in the scratch's last third */
    double n = (double)rows, keep = 1.0 - factor;
    for (c = 0; c < C; ++c) {
        double m = sum[c] / n;
        double v = sq[c] / n - m * m;
        if (v < 0) v = 0;
        float mf = (float)m, vf = (float)v;
        float unbiased = (float)(v * (n / (n - 1.0)));
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
