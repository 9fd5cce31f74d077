/* LRN's window sums over the channel axis of contiguous float32 rows (an NHWC tensor as [rows, C]):
 *
 *     norm[j] = bias + alpha * (sum of x[k] ** 2 for k in [j - r, j + r], clipped to [0, C)),
 *
 * TF's tmp (its band-matrix contraction, then * alpha + bias: two roundings, -ffp-contract=off), and LRNGrad
 * as TF's CPU kernel computes it from that norm and its power pw = norm ** -beta (computed by the caller):
 *
 *     dx[k] = g[k] * pw[k] - 2 * alpha * beta * x[k] * (sum of g[j] * y[j] / norm[j] for j in k's window),
 *
 * where TF skips each j whose g[j] is 0 (a 0 gradient contributes nothing, even where y or pw is inf).
 * A non-finite square (an inf or NaN input, or a square past FLT_MAX) outside a channel's window makes TF's
 * norm NaN where its forward kernel multiplies the squares by a band matrix (inf * 0: ``mode`` BAND, what TF
 * runs unless the depth is over 384 with beta 0.5 or 1), or has left it through TF's running sum there
 * (inf - inf: RUNNING); LRNGrad sums each window alone (WINDOW). Rows without one (checked on the squares'
 * bits) skip that check.
 * The sums run over a zero-padded copy of each row, one channel offset at a time, which the compiler
 * vectorizes across channels (torch's pad + unfold + sum reduces 2r + 1 strided values per channel:
 * 7 ms of [128, 12, 12, 64] at r = 4 where this takes well under 1). The summation order differs from TF's
 * contraction by the last bits at most (positive terms). target_clones picks AVX-512 or AVX2 code at run time
 * (the same arithmetic on every path). Built and loaded by torchmeta/ops/native_build.py; called by
 * torchmeta/ops/lrn_native.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

/* s[0, c) = the sums over each channel's window of pad[r, r + c) (pad holds r zeros on each side). */
TM_CLONES static void window_sums(const float *pad, int64_t c, int64_t r, float *s) {
  for (int64_t j = 0; j < c; ++j) s[j] = pad[j];
  for (int64_t d = 1; d <= 2 * r; ++d) {
    const float *p = pad + d;
    for (int64_t j = 0; j < c; ++j) s[j] += p[j];
  }
}

TM_CLONES static void squares(const float *x, int64_t c, float *dst) {
  for (int64_t j = 0; j < c; ++j) dst[j] = x[j] * x[j];
}

TM_CLONES static void affine(float *s, int64_t c, float alpha, float bias) {
  for (int64_t j = 0; j < c; ++j) s[j] = s[j] * alpha + bias;
}

enum { WINDOW = 0, RUNNING = 1, BAND = 2 };

/* Whether any of v[0, c) is inf or NaN: the largest magnitude's bits (an integer reduction, vectorized). */
TM_CLONES static int any_nonfinite(const float *v, int64_t c) {
  uint32_t top = 0;
  for (int64_t j = 0; j < c; ++j) {
    uint32_t u;
    memcpy(&u, v + j, sizeof u);
    u &= 0x7fffffffu;
    top = u > top ? u : top;
  }
  return top >= 0x7f800000u;
}

/* TF's NaN for each channel with a non-finite square outside its window (BAND) or before it (RUNNING). */
static void nonfinite_outside(const float *sq, int64_t c, int64_t r, int mode, float *norm) {
  for (int64_t j = 0; j < c; ++j) {
    for (int64_t k = 0; k < c; ++k) {
      const int outside = k < j - r || (mode == BAND && k > j + r);
      if (outside && !(sq[k] <= 3.40282347e38f)) {
        norm[j] = __builtin_nanf("");
        break;
      }
    }
  }
}

/* norm of each row of x (rows x c), ``mode`` as above. Returns 0, or -1 where the scratch row cannot be
 * allocated. */
int64_t tm_lrn_norm(const float *x, int64_t rows, int64_t c, int64_t r, float bias, float alpha, int64_t mode,
                    float *norm) {
  if (r > c - 1) r = c - 1; /* a wider window sums the same channels */
  float *pad = calloc((size_t)(c + 2 * r), sizeof(float));
  if (pad == NULL) return -1;
  for (int64_t i = 0; i < rows; ++i) {
    squares(x + i * c, c, pad + r);
    window_sums(pad, c, r, norm + i * c);
    affine(norm + i * c, c, alpha, bias);
    if (mode != WINDOW && any_nonfinite(pad + r, c)) nonfinite_outside(pad + r, c, r, (int)mode, norm + i * c);
  }
  free(pad);
  return 0;
}

TM_CLONES static void ratios(const float *g, const float *y, const float *norm, int64_t c, float *dst) {
  for (int64_t j = 0; j < c; ++j) dst[j] = g[j] != 0.0f ? g[j] * y[j] / norm[j] : 0.0f;
}

TM_CLONES static void grad_row(const float *g, const float *x, const float *pw, const float *s, int64_t c,
                               float scale, float *dx) {
  for (int64_t j = 0; j < c; ++j) dx[j] = (g[j] != 0.0f ? g[j] * pw[j] : 0.0f) - scale * x[j] * s[j];
}

/* LRNGrad's dx of rows x c, from g, x, y, norm and pw (see above); scale = 2 * alpha * beta. Returns 0, or -1
 * where the scratch rows cannot be allocated. */
int64_t tm_lrn_grad(const float *g, const float *x, const float *y, const float *norm, const float *pw, int64_t rows,
                    int64_t c, int64_t r, float scale, float *dx) {
  if (r > c - 1) r = c - 1;
  float *pad = calloc((size_t)(c + 2 * r + c), sizeof(float));
  if (pad == NULL) return -1;
  float *s = pad + c + 2 * r;
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t o = i * c;
    ratios(g + o, y + o, norm + o, c, pad + r);
    window_sums(pad, c, r, s);
    grad_row(g + o, x + o, pw + o, s, c, scale, dx + o);
  }
  free(pad);
  return 0;
}
