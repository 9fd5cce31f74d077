/* Tanh of float32 as TensorFlow's CPU kernel computes it: Eigen's ptanh_float without FMA (what TF 2.21's x86
 * kernels run), a [9/8] rational function of x clamped to [-c, c] with c = 7.90738964080810547, the smallest
 * value where it is exactly 1:
 *
 *     x' = max(min(x, c), -c),  p = x'^3 * (((a0 x'^2 + a1) x'^2 + a2) x'^2 + a3) + x',
 *     q = (((b0 x'^2 + b1) x'^2 + b2) x'^2 + b3) x'^2 + b4,  tanh(x) = p / q,
 *
 * each multiply and add rounded to float (no contraction: -ffp-contract=off). A NaN stays NaN (min and max
 * keep it), +-inf becomes +-1, and a subnormal input is read as a zero of its sign, as TF's threads run with
 * denormals flushed to zero (the only inputs whose result would be subnormal).
 *
 * torch.tanh computes float32 through MKL's VML, which costs 5-7 ns per element on an AMD EPYC host (MKL's
 * generic path); this loop, which the compiler vectorizes, costs well under 1. An LSTM cell makes two Tanh
 * per step on [batch, hidden] tensors.
 * target_clones picks AVX2 code at run time where the CPU has it (the same arithmetic on every path).
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/tanh_native.py. */
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

/* 8 floats and their bits. Explicit vectors: the compiler does not vectorize the comparisons of a plain loop
 * (they may raise floating-point exceptions), and selects are written as bit masks. */
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define SELECT(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))

static inline __attribute__((always_inline)) v8f tanh8(v8f x) {
  const v8f c = {7.90738964080810547f, 7.90738964080810547f, 7.90738964080810547f, 7.90738964080810547f,
                 7.90738964080810547f, 7.90738964080810547f, 7.90738964080810547f, 7.90738964080810547f};
  const v8i bits = (v8i)x;
  const v8i magnitude = bits & 0x7fffffff;
  x = SELECT(magnitude < 0x00800000, (v8f)(bits & (int32_t)0x80000000), x); /* denormals are zero */
  x = SELECT(c < x, c, x);                                                    /* (NaN kept) */
  x = SELECT(x < -c, -c, x);
  const v8f x2 = x * x;
  const v8f x3 = x2 * x;
  v8f p = 1.394553628e-8f * x2 + 2.102733560e-5f;
  p = p * x2 + 3.520756727e-3f;
  p = p * x2 + 1.340216100e-1f;
  p = x3 * p + x;
  v8f q = 8.015776984e-7f * x2 + 3.326951409e-4f;
  q = q * x2 + 2.597254514e-2f;
  q = q * x2 + 4.673548340e-1f;
  q = q * x2 + 1.0f;
  return p / q;
}

TM_CLONES static void row(const float *in, float *out, int64_t n) {
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    v8f x;
    memcpy(&x, in + k, sizeof x);
    x = tanh8(x);
    memcpy(out + k, &x, sizeof x);
  }
  if (k < n) { /* the last 1-7 elements through the same code */
    v8f x = {0};
    memcpy(&x, in + k, (size_t)(n - k) * sizeof(float));
    x = tanh8(x);
    memcpy(out + k, &x, (size_t)(n - k) * sizeof(float));
  }
}

/* ``in``: ``rows`` rows of ``cols`` contiguous floats, ``stride`` floats apart (a column slice of a matrix: an
 * LSTM cell's gate, split from the gates' product); ``out``: the same, contiguous. */
void tm_tanh_f32(const float *in, float *out, int64_t rows, int64_t cols, int64_t stride) {
  for (int64_t i = 0; i < rows; i++) {
    row(in + i * stride, out + i * cols, cols);
  }
}
