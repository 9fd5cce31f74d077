/* ReluGrad(AddN(a, b), features) on float32 tensors in one pass, as TF computes the two ops: the sum
 * a + b in float (AddN's CPU kernel), then the gradient through the Relu, gradients * (features > 0) (Eigen's
 * ReluGrad: where features > 0 the sum itself, elsewhere sum * 0, which keeps the sign of a zero and turns
 * an inf or a NaN sum into a NaN; a NaN feature is not > 0).
 *
 * What a residual network's gradient graph has at each block input: the input gradients of the block's two
 * convolutions (or of a convolution and the shortcut) summed, then through the Relu that produced the input.
 * Two passes over memory (AddN's new tensor, ReluGrad's pass over it) become one.
 *
 * Each tensor is [outer, mid, inner] with inner contiguous and its own outer and mid strides (an NHWC
 * tensor's [N, H, W*C], or a crop of a larger one: the input gradient of a padded stride-2 convolution).
 * ``out`` may be ``a`` itself (the caller owns a fresh ``a``); elements are read before they are written.
 * target_clones picks AVX2 code at run time where the CPU has it; -ffp-contract=off keeps the arithmetic
 * the same on every instruction set.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/gradient_sum_native.py. */
#include <stdint.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

/* 8 floats; the unaligned variant loads and stores at any float address. Explicit vectors, because ``out``
 * may be ``a``: a plain loop over possibly aliasing pointers is left scalar by the compiler's overlap check. */
typedef float v8f __attribute__((vector_size(32)));
typedef float v8fu __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t v8i __attribute__((vector_size(32)));
#define LOAD(p) (*(const v8fu *)(p))
#define STORE(p, v) (*(v8fu *)(p) = (v))

TM_CLONES static void row(const float *a, const float *b, const float *f, float *out, int64_t n) {
    const v8f zero = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        v8f s = LOAD(a + j) + LOAD(b + j);
        v8i keep = LOAD(f + j) > zero;
        STORE(out + j, (v8f)(((v8i)s & keep) | ((v8i)(s * zero) & ~keep)));
    }
    for (; j < n; j++) {
        float s = a[j] + b[j];
        out[j] = f[j] > 0.0f ? s : s * 0.0f;
    }
}

/* strides: {a_outer, a_mid, b_outer, b_mid, f_outer, f_mid, out_outer, out_mid}, in elements */
void tm_add_relu_grad(const float *a, const float *b, const float *f, float *out, int64_t outer, int64_t mid,
                      int64_t inner, const int64_t *strides) {
    for (int64_t i = 0; i < outer; i++) {
        for (int64_t k = 0; k < mid; k++) {
            row(a + i * strides[0] + k * strides[1], b + i * strides[2] + k * strides[3],
                f + i * strides[4] + k * strides[5], out + i * strides[6] + k * strides[7], inner);
        }
    }
}

/* ReluGrad(AddN(a, b), features) where ``a`` is the input gradient of a strided 1x1 convolution (a ResNet
 * projection): zero except at the pixels (y, x) with y % sh == 0 and x % sw == 0, which hold ``compact``'s
 * [n, ceil(h / sh), ceil(w / sw), c] rows (contiguous). The zero-filled tensor is never made: elsewhere the sum
 * is 0.0f + b, the addition AddN makes with a zero (so a -0.0 in b becomes +0.0, as there). ``b``, ``f`` and
 * ``out`` are [n, h, w * c] with contiguous rows and their own outer and mid strides; ``out`` may be ``b``.
 * The additions keep AddN's operand order (a first). */
TM_CLONES static void strided_row(const float *a, const float *b, const float *f, float *out, int64_t w, int64_t c,
                                  int64_t sw) {
    const v8f zero = {0};
    for (int64_t x = 0; x < w; x++) {
        const float *ap = x % sw == 0 ? a + x / sw * c : 0;
        const float *bp = b + x * c, *fp = f + x * c;
        float *op = out + x * c;
        int64_t j = 0;
        for (; j + 8 <= c; j += 8) {
            v8f s = (ap ? (v8f)LOAD(ap + j) : zero) + LOAD(bp + j);
            v8i keep = LOAD(fp + j) > zero;
            STORE(op + j, (v8f)(((v8i)s & keep) | ((v8i)(s * zero) & ~keep)));
        }
        for (; j < c; j++) {
            float s = (ap ? ap[j] : 0.0f) + bp[j];
            op[j] = fp[j] > 0.0f ? s : s * 0.0f;
        }
    }
}

TM_CLONES static void zero_row(const float *b, const float *f, float *out, int64_t n) {
    const v8f zero = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        v8f s = zero + LOAD(b + j);
        v8i keep = LOAD(f + j) > zero;
        STORE(out + j, (v8f)(((v8i)s & keep) | ((v8i)(s * zero) & ~keep)));
    }
    for (; j < n; j++) {
        float s = 0.0f + b[j];
        out[j] = f[j] > 0.0f ? s : s * 0.0f;
    }
}

/* strides: {b_outer, b_mid, f_outer, f_mid, out_outer, out_mid}, in elements */
void tm_add_strided_relu_grad(const float *compact, const float *b, const float *f, float *out, int64_t n,
                              int64_t h, int64_t w, int64_t c, int64_t sh, int64_t sw, const int64_t *strides) {
    int64_t ch = (h + sh - 1) / sh, cw = (w + sw - 1) / sw;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t y = 0; y < h; y++) {
            const float *bp = b + i * strides[0] + y * strides[1], *fp = f + i * strides[2] + y * strides[3];
            float *op = out + i * strides[4] + y * strides[5];
            if (y % sh == 0)
                strided_row(compact + (i * ch + y / sh) * cw * c, bp, fp, op, w, c, sw);
            else
                zero_row(bp, fp, op, w * c);
        }
    }
}

/* ReluGrad(gradients, features) and its column sums in one pass: what an MLP layer's gradient graph has
 * after each hidden Relu (the ReluGrad, then the bias gradient, the Sum over all axes but the last that the
 * gradient of the layer's ``x @ W + b`` takes). ``g``, ``f`` and ``out`` are [rows, cols], contiguous; ``out``
 * may be ``g`` (each element read before it is written). The ReluGrad is ``row``'s (without the addend).
 *
 * The sums add the ReluGrad's rows in the order torch.sum adds a contiguous tensor's rows (ATen's SumKernel.cpp,
 * cascade_sum on one thread), so they are the values the separate ops gave, bit for bit:
 * - the first ``cascade_cols`` columns (the caller's count: the columns torch sums a group of four vectors at
 *   a time) as multi_row_sum: rows added one by one into a level-0 accumulator, which is added into level 1
 *   and cleared every 2^p rows, level 1 into level 2 every 2^2p rows, ..., p = max(4, ceil(log2(rows)) / 4),
 *   four levels, the levels added from 0 up at the end; done in the ReluGrad's pass;
 * - the other columns as row_sum: four partial sums (rows 4i + k), each a multi_row_sum over the rows / 4
 *   groups, the rows past them added to partial 0, then partials 1, 2, 3 added to it; a second pass over
 *   those columns of ``out`` (fewer than 64).
 * ``acc`` is scratch of 4 * cascade_cols + 16 * (cols - cascade_cols) floats. The AVX-512 body takes 16 floats
 * per vector (its own function: GCC would split a 64-byte vector through the stack on AVX2), the other 8. */
typedef float v16f __attribute__((vector_size(64)));
typedef float v16fu __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t v16i __attribute__((vector_size(64)));

#define RELU_GRAD_VEC(VF, VFU, VI)                                                                             \
    VF s = *(const VFU *)(g + j);                                                                              \
    VI keep = *(const VFU *)(f + j) > zero;                                                                    \
    VF r = (VF)(((VI)s & keep) | ((VI)(s * zero) & ~keep));                                                    \
    *(VFU *)(out + j) = r;

#define RELU_GRAD_SCALAR                                                                                       \
    float s = g[j];                                                                                            \
    float r = f[j] > 0.0f ? s : s * 0.0f;                                                                      \
    out[j] = r;

/* one row: out = ReluGrad(g, f); acc += out over the first n columns */
#define RELU_GRAD_SUM_ROW(VF, VFU, VI, WIDTH)                                                                  \
    {                                                                                                          \
        const VF zero = {0};                                                                                   \
        int64_t j = 0;                                                                                         \
        for (; j + WIDTH <= n; j += WIDTH) {                                                                   \
            RELU_GRAD_VEC(VF, VFU, VI)                                                                         \
            *(VFU *)(acc + j) = *(const VFU *)(acc + j) + r;                                                   \
        }                                                                                                      \
        for (; j < n; j++) {                                                                                   \
            RELU_GRAD_SCALAR                                                                                   \
            acc[j] += r;                                                                                       \
        }                                                                                                      \
        for (; j + WIDTH <= cols; j += WIDTH) {                                                                \
            RELU_GRAD_VEC(VF, VFU, VI)                                                                         \
        }                                                                                                      \
        for (; j < cols; j++) {                                                                                \
            RELU_GRAD_SCALAR                                                                                   \
        }                                                                                                      \
    }

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target)
#define TM_HAVE_AVX512_ROW 1
__attribute__((target("avx512f"))) static void relu_grad_sum_row_avx512(const float *g, const float *f, float *out,
                                                                       float *acc, int64_t n, int64_t cols)
    RELU_GRAD_SUM_ROW(v16f, v16fu, v16i, 16)
#endif
#endif

TM_CLONES static void relu_grad_sum_row(const float *g, const float *f, float *out, float *acc, int64_t n,
                                        int64_t cols) RELU_GRAD_SUM_ROW(v8f, v8fu, v8i, 8)

static void add_row(float *to, const float *from, int64_t n) {
    for (int64_t j = 0; j < n; j++)
        to[j] += from[j];
}

/* one cascade step: ``to`` += ``from``, then ``from`` cleared */
static void carry(float *to, float *from, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        to[j] += from[j];
        from[j] = 0.0f;
    }
}

/* ATen's multi_row_sum level step: 2^max(4, CeilLog2(size) / 4), CeilLog2 being 1 for size <= 2 */
static int64_t level_power(int64_t size) {
    int64_t log2 = 1;
    if (size > 2)
        while (((int64_t)1 << log2) < size)
            log2++;
    return log2 / 4 > 4 ? log2 / 4 : 4;
}

enum { LEVELS = 4, ILP = 4 };

/* sums[0:n] of x's rows ([rows, n] with row stride ``stride``) in row_sum's order; acc: 16 * n floats */
static void row_sums(const float *x, int64_t stride, int64_t rows, int64_t n, float *sums, float *acc) {
    const int64_t size = rows / ILP, power = level_power(size);
    const int64_t step = (int64_t)1 << power, mask = step - 1;
#define LEVEL(l, k) (acc + ((l) * ILP + (k)) * n)
    for (int64_t j = 0; j < LEVELS * ILP * n; j++)
        acc[j] = 0.0f;
    int64_t i = 0;
    while (i + step <= size) {
        for (int64_t t = 0; t < step; t++, i++)
            for (int k = 0; k < ILP; k++)
                add_row(LEVEL(0, k), x + (i * ILP + k) * stride, n);
        for (int level = 1; level < LEVELS; level++) {
            for (int k = 0; k < ILP; k++)
                carry(LEVEL(level, k), LEVEL(level - 1, k), n);
            if ((i & (mask << (level * power))) != 0)
                break;
        }
    }
    for (; i < size; i++)
        for (int k = 0; k < ILP; k++)
            add_row(LEVEL(0, k), x + (i * ILP + k) * stride, n);
    for (int level = 1; level < LEVELS; level++)
        for (int k = 0; k < ILP; k++)
            add_row(LEVEL(0, k), LEVEL(level, k), n);
    for (int64_t r = size * ILP; r < rows; r++)
        add_row(LEVEL(0, 0), x + r * stride, n);
    for (int k = 1; k < ILP; k++)
        add_row(LEVEL(0, 0), LEVEL(0, k), n);
    for (int64_t j = 0; j < n; j++)
        sums[j] = LEVEL(0, 0)[j];
#undef LEVEL
}

void tm_relu_grad_bias_sum(const float *g, const float *f, float *out, float *sums, float *acc, int64_t rows,
                           int64_t cols, int64_t cascade_cols) {
    void (*one_row)(const float *, const float *, float *, float *, int64_t, int64_t) = relu_grad_sum_row;
#ifdef TM_HAVE_AVX512_ROW
    if (__builtin_cpu_supports("avx512f"))
        one_row = relu_grad_sum_row_avx512;
#endif
    const int64_t n = cascade_cols, power = level_power(rows);
    const int64_t step = (int64_t)1 << power, mask = step - 1;
    for (int64_t j = 0; j < LEVELS * n; j++)
        acc[j] = 0.0f;
    int64_t i = 0;
    while (i + step <= rows) {
        for (int64_t t = 0; t < step; t++, i++)
            one_row(g + i * cols, f + i * cols, out + i * cols, acc, n, cols);
        for (int level = 1; level < LEVELS; level++) {
            carry(acc + level * n, acc + (level - 1) * n, n);
            if ((i & (mask << (level * power))) != 0)
                break;
        }
    }
    for (; i < rows; i++)
        one_row(g + i * cols, f + i * cols, out + i * cols, acc, n, cols);
    for (int level = 1; level < LEVELS; level++)
        add_row(acc, acc + level * n, n);
    for (int64_t j = 0; j < n; j++)
        sums[j] = acc[j];
    if (n < cols)
        row_sums(out + n, cols, rows, cols - n, sums + n, acc + LEVELS * n);
}
