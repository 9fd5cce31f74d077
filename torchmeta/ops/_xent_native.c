/* SparseSoftmaxCrossEntropyWithLogits of float32 as TensorFlow's CPU kernel computes it, in one call:
 *
 *     m = max(x),  s = x - m,  e = exp(s),  sum = sum(e),
 *     loss = log(sum) - s[label],  backprop = e / sum - onehot(label).
 *
 * torch needs six or seven small kernels for the two outputs (log_softmax, gather, neg, exp, scatter_add and
 * their allocations: ~30 us on [128, 10] at one thread); this takes a few. exp is Eigen's former pexp (Cephes'
 * expf: a degree-5 polynomial after reducing by ln 2, within 2 ulp), vectorized over the whole batch; log is
 * libm's logf. Both differ from TF's Eigen in the last bits at most. A NaN or +inf in a row (through inf - inf)
 * makes all of its outputs NaN, as in TF; exp of s below -87.3 is 0 (TF flushes such subnormals too).
 * Returns -1, or the first row whose label is outside [0, cols) (the outputs unwritten: the caller raises).
 * target_clones picks AVX2 code at run time where the CPU has it (the same arithmetic on every path).
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/xent_native.py. */
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

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define SELECT(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))

/* exp(x) for x <= 0 or NaN (shifted logits). */
static inline __attribute__((always_inline)) v8f exp8(v8f x) {
  const v8i nan = x != x;
  const v8i tiny = x < -87.3f;
  const v8f xc = SELECT(tiny | nan, (v8f){0} - 87.3f, x);
  const v8f fx = xc * 1.44269504088896341f + 0.5f;
  v8f k = __builtin_convertvector(__builtin_convertvector(fx, v8i), v8f); /* truncation, then floor: */
  k = SELECT(k > fx, k - 1.0f, k);
  v8f r = xc - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  const v8f r2 = r * r;
  v8f y = 1.9875691500e-4f * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r2 + r;
  y = y + 1.0f;
  const v8i scale = (__builtin_convertvector(k, v8i) + 127) << 23; /* 2^k (k >= -126 here) */
  y = y * (v8f)scale;
  y = SELECT(tiny, (v8f){0}, y);
  return SELECT(nan, x, y);
}

TM_CLONES static void exp_all(float *a, int64_t n) {
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    v8f x;
    memcpy(&x, a + k, sizeof x);
    x = exp8(x);
    memcpy(a + k, &x, sizeof x);
  }
  if (k < n) {
    v8f x = {0};
    memcpy(&x, a + k, (size_t)(n - k) * sizeof(float));
    x = exp8(x);
    memcpy(a + k, &x, (size_t)(n - k) * sizeof(float));
  }
}

int64_t tm_sparse_xent_f32(const float *logits, const void *labels, int32_t labels64, int64_t rows, int64_t cols,
                           float *loss, float *backprop) {
  for (int64_t i = 0; i < rows; i++) {
    const int64_t label = labels64 ? ((const int64_t *)labels)[i] : ((const int32_t *)labels)[i];
    if (label < 0 || label >= cols) {
      return i;
    }
  }
  for (int64_t i = 0; i < rows; i++) { /* shifted logits, into backprop */
    const float *x = logits + i * cols;
    float *s = backprop + i * cols;
    float m = x[0];
    for (int64_t j = 1; j < cols; j++) {
      m = x[j] > m ? x[j] : m;
    }
    for (int64_t j = 0; j < cols; j++) {
      s[j] = x[j] - m;
    }
    const int64_t label = labels64 ? ((const int64_t *)labels)[i] : ((const int32_t *)labels)[i];
    loss[i] = s[label]; /* (the loss's second term, kept before exp) */
  }
  exp_all(backprop, rows * cols);
  for (int64_t i = 0; i < rows; i++) {
    float *e = backprop + i * cols;
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; j++) {
      sum += e[j];
    }
    loss[i] = logf(sum) - loss[i];
    for (int64_t j = 0; j < cols; j++) {
      e[j] = e[j] / sum;
    }
    const int64_t label = labels64 ? ((const int64_t *)labels)[i] : ((const int32_t *)labels)[i];
    e[label] -= 1.0f;
  }
  return -1;
}
