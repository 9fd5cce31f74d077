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
