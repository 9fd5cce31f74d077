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

/* ------------------------------------------------------------------------------------------------------------
 * The element-wise part of an LSTM cell (TF's BasicLSTMCell, and LSTMCell without peepholes or projection) and its
 * gradient, each in one pass over the rows (torchmeta/ops/lstm_cell_native.py; specialization fuses the cell's
 * ops into these). Each value is what TF's own kernels compute op by op: Sigmoid as Eigen's float logistic
 * packet function (below), Tanh as tanh8 above, SigmoidGrad dy * (y * (1 - y)), TanhGrad dy * (1 - y * y),
 * and the products and sums of the cell rounded one by one as TF's Mul, AddV2 and AddN round them. */

/* TF runs its kernels with subnormals flushed to zero, results and inputs alike (FTZ and DAZ): the cell kernels
 * set both for their duration, so that each product and sum is what TF's op computes (a SigmoidGrad of a
 * saturated gate is subnormal otherwise). */
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define FLUSH_SUBNORMALS const unsigned int saved_csr = _mm_getcsr(); _mm_setcsr(saved_csr | 0x8040);
#define RESTORE_SUBNORMALS _mm_setcsr(saved_csr);
#else
#define FLUSH_SUBNORMALS
#define RESTORE_SUBNORMALS
#endif

/* floor of values well inside int32's range (NaN lanes read as 0: the caller's result is NaN through x) */
static inline __attribute__((always_inline)) v8f floor8(v8f x) {
  const v8i finite = x == x;
  x = SELECT(finite, x, (v8f){0});
  const v8f t = __builtin_convertvector(__builtin_convertvector(x, v8i), v8f); /* toward zero */
  return SELECT(t > x, t - 1.0f, t);
}

/* Eigen's scalar_logistic_op<float>::packetOp without FMA: exp(x) / (1 + exp(x)), exp(x) computed as
 * exp(x / 2)^2 with Cephes' range reduction and a degree 5 polynomial, x clamped at 16.6355324 (exactly 1 from
 * there), 0 below -104; a result below FLT_MIN becomes 0, as TF's threads flush denormals to zero. */
static inline __attribute__((always_inline)) v8f sigmoid8(v8f x0) {
  const v8f hi = {16.6355324f, 16.6355324f, 16.6355324f, 16.6355324f,
                  16.6355324f, 16.6355324f, 16.6355324f, 16.6355324f};
  const v8i zero_mask = x0 < -104.0f;
  v8f x = SELECT(hi < x0, hi, x0); /* (NaN kept) */
  x = x * 0.5f;
  const v8f m = floor8(x * 1.44269504088896341f + 0.5f);
  v8f r = m * -0.693359375f + x;
  r = m * 2.12194440e-4f + r;
  const v8f r2 = r * r;
  const v8f p_even = r2 * 4.1898667812347412109375e-2f + 0.49999141693115234375f;
  const v8f p_odd = r2 * 8.33471305668354034423828125e-3f + 0.16666877269744873046875f;
  const v8f p_low = r + 1.0f;
  v8f p = r * p_odd + p_even;
  p = r2 * p + p_low;
  /* 2^m as Eigen's pldexp_fast makes it (it clamps the biased exponent to [0, 255], which m + 127 is in for
   * every x0 from -104 to the clamp at 16.64: m from -75 to 12; lanes outside are zeroed below) */
  const v8i scale = __builtin_convertvector(m + 127.0f, v8i) << 23;
  v8f e = p * (v8f)scale;
  e = e * e;
  v8f s = e / (1.0f + e);
  const v8i tiny = ((v8i)s & 0x7fffffff) < 0x00800000;
  return (v8f)((v8i)s & ~(zero_mask | tiny));
}

static inline __attribute__((always_inline)) v8f load8(const float *p, int64_t n) {
  v8f x = {0};
  memcpy(&x, p, (size_t)n * sizeof(float));
  return x;
}

static inline __attribute__((always_inline)) void store8(float *p, v8f x, int64_t n) {
  memcpy(p, &x, (size_t)n * sizeof(float));
}

/* The first column of gates i, j, f, o in a gates row, from their blocks packed in ``order`` (2 bits each). */
static void gate_offsets(int64_t order, int64_t units, int64_t *at) {
  for (int q = 0; q < 4; q++) {
    at[q] = ((order >> (2 * q)) & 3) * units;
  }
}

/* One row's ``n`` (<= 8) columns from ``k`` on. */
static inline __attribute__((always_inline)) void cell8(const float *g, const float *c, float forget_bias,
                                                        const int64_t *at, int64_t k, int64_t n, float *new_c,
                                                        float *new_h, float *sig_i, float *tanh_j, float *sig_f,
                                                        float *sig_o, float *tanh_c) {
  const v8f si = sigmoid8(load8(g + at[0] + k, n));
  const v8f tj = tanh8(load8(g + at[1] + k, n));
  const v8f sf = sigmoid8(load8(g + at[2] + k, n) + forget_bias);
  const v8f so = sigmoid8(load8(g + at[3] + k, n));
  const v8f cs = load8(c + k, n) * sf + si * tj;
  const v8f tc = tanh8(cs);
  store8(new_c + k, cs, n);
  store8(new_h + k, tc * so, n);
  if (sig_i) {
    store8(sig_i + k, si, n);
    store8(tanh_j + k, tj, n);
    store8(sig_f + k, sf, n);
    store8(sig_o + k, so, n);
    store8(tanh_c + k, tc, n);
  }
}

TM_CLONES static void cell_rows(const float *gates, const float *c_prev, float forget_bias, int64_t rows,
                                int64_t units, const int64_t *at, float *new_c, float *new_h, float *sig_i, float *tanh_j, float *sig_f,
                                float *sig_o, float *tanh_c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *g = gates + r * 4 * units;
    const float *c = c_prev + r * units;
    const int64_t o = r * units;
    float *outs[5] = {sig_i, tanh_j, sig_f, sig_o, tanh_c};
    for (int q = 0; q < 5; q++) {
      outs[q] = outs[q] ? outs[q] + o : 0;
    }
    int64_t k = 0;
    for (; k + 8 <= units; k += 8) { /* (a constant 8: the loads and stores are single moves) */
      cell8(g, c, forget_bias, at, k, 8, new_c + o, new_h + o, outs[0], outs[1], outs[2], outs[3], outs[4]);
    }
    if (k < units) {
      cell8(g, c, forget_bias, at, k, units - k, new_c + o, new_h + o, outs[0], outs[1], outs[2], outs[3], outs[4]);
    }
  }
}

/* ``gates``: [rows, 4 * units], gate i in the column block ``order & 3`` (of units columns each), j in block
 * ``(order >> 2) & 3``, f in ``(order >> 4) & 3``, o in ``(order >> 6) & 3`` (TF's cells: i, j, f, o, order 0xe4;
 * a cell written by hand may split its gates in another order), ``c_prev`` and every output [rows, units], all
 * contiguous:
 * new_c = c_prev * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j), new_h = tanh(new_c) * sigmoid(o). The gate
 * activations and tanh(new_c) (what the gradient reads) are written where ``sig_i`` is not NULL. */
void tm_lstm_cell_f32(const float *gates, const float *c_prev, float forget_bias, int64_t rows, int64_t units,
                      int64_t order, float *new_c, float *new_h, float *sig_i, float *tanh_j, float *sig_f, float *sig_o,
                      float *tanh_c) {
  FLUSH_SUBNORMALS
  int64_t at[4];
  gate_offsets(order, units, at);
  cell_rows(gates, c_prev, forget_bias, rows, units, at, new_c, new_h, sig_i, tanh_j, sig_f, sig_o, tanh_c);
  RESTORE_SUBNORMALS
}

static inline __attribute__((always_inline)) v8f sigmoid_grad8(v8f y, v8f dy) { return dy * (y * (1.0f - y)); }

static inline __attribute__((always_inline)) v8f tanh_grad8(v8f y, v8f dy) { return dy * (1.0f - y * y); }

/* One row's ``n`` (<= 8) columns from element ``e`` (column ``k``) on. */
static inline __attribute__((always_inline)) void cell_grad8(const float *dh, const float *dc_next,
                                                             const float *sig_i, const float *tanh_j,
                                                             const float *sig_f, const float *sig_o,
                                                             const float *tanh_c, const float *c_prev,
                                                             const int64_t *at, int64_t e, int64_t k, int64_t n,
                                                             float *dg,
                                                             float *dc_prev) {
  const v8f h = load8(dh + e, n), so = load8(sig_o + e, n), tc = load8(tanh_c + e, n);
  v8f dc = tanh_grad8(tc, h * so);
  if (dc_next) {
    dc = load8(dc_next + e, n) + dc;
  }
  const v8f si = load8(sig_i + e, n), tj = load8(tanh_j + e, n), sf = load8(sig_f + e, n);
  store8(dg + at[0] + k, sigmoid_grad8(si, dc * tj), n);
  store8(dg + at[1] + k, tanh_grad8(tj, dc * si), n);
  store8(dg + at[2] + k, sigmoid_grad8(sf, dc * load8(c_prev + e, n)), n);
  store8(dg + at[3] + k, sigmoid_grad8(so, h * tc), n);
  store8(dc_prev + e, dc * sf, n);
}

TM_CLONES static void cell_grad_rows(const float *dh, const float *dc_next, const float *sig_i, const float *tanh_j,
                                     const float *sig_f, const float *sig_o, const float *tanh_c,
                                     const float *c_prev, int64_t rows, int64_t units, const int64_t *at,
                                     float *d_gates, float *dc_prev) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * units;
    float *dg = d_gates + 4 * o;
    int64_t k = 0;
    for (; k + 8 <= units; k += 8) {
      cell_grad8(dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, at, o + k, k, 8, dg, dc_prev);
    }
    if (k < units) {
      cell_grad8(dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, at, o + k, k, units - k, dg, dc_prev);
    }
  }
}

/* ``out[k]``, the sum of column ``k`` of the contiguous [rows, cols] ``x``, for the 32 columns from ``k`` on (4
 * vectors: independent sums), summed in the order of torch.sum over dim 0 for columns in its groups of 4 vectors
 * (aten's multi_row_sum): rows added one by one into a first accumulator, which is added into the next level
 * every 2^p rows (p = max(4, ceil(log2(rows)) / 4)) and reset, a level added into the one above where the row
 * count is a multiple of the next power, then the levels added into the first, and that added to the
 * zero-filled output. */
static inline __attribute__((always_inline)) void column_sums32(const float *x, int64_t rows, int64_t cols,
                                                                int64_t k, int64_t power, float *out) {
  const int64_t step = (int64_t)1 << power;
  v8f acc[4][4] = {{{0}}};
  int64_t i = 0;
  while (i + step <= rows) {
    for (int64_t j = 0; j < step; j++, i++) {
      for (int v = 0; v < 4; v++) {
        acc[0][v] += load8(x + i * cols + k + 8 * v, 8);
      }
    }
    for (int j = 1; j < 4; j++) {
      for (int v = 0; v < 4; v++) {
        acc[j][v] += acc[j - 1][v];
        acc[j - 1][v] = (v8f){0};
      }
      if (i & ((step - 1) << (j * power))) {
        break;
      }
    }
  }
  for (; i < rows; i++) {
    for (int v = 0; v < 4; v++) {
      acc[0][v] += load8(x + i * cols + k + 8 * v, 8);
    }
  }
  for (int v = 0; v < 4; v++) {
    for (int j = 1; j < 4; j++) {
      acc[0][v] += acc[j][v];
    }
    store8(out + k + 8 * v, (v8f){0} + acc[0][v], 8);
  }
}

/* (``cols``: a multiple of 64, so that every column is in one of torch's groups of 4 vectors, AVX2's 8 floats
 * or AVX-512's 16: the caller sums other widths with torch.sum) */
TM_CLONES static void column_sums(const float *x, int64_t rows, int64_t cols, float *out) {
  int64_t ceil_log2 = 1; /* (aten's CeilLog2: 1 up to 2) */
  while (rows > 2 && ((int64_t)1 << ceil_log2) < rows) {
    ceil_log2++;
  }
  const int64_t power = ceil_log2 / 4 > 4 ? ceil_log2 / 4 : 4;
  for (int64_t k = 0; k < cols; k += 32) {
    column_sums32(x, rows, cols, k, power, out);
  }
}

/* The gradient of tm_lstm_cell_f32's new_h (``dh``) and new_c (``dc_next``, NULL: none) through the cell, from its
 * saved activations and ``c_prev``: ``d_gates`` [rows, 4 * units] (the gates' gradient, i, j, f, o) and
 * ``dc_prev`` [rows, units] (c_prev's), everything contiguous, the gates' blocks in ``order`` (as the forward's); where ``d_bias`` is not NULL, the gates' bias
 * gradient [4 * units] too (d_gates' column sums: BiasAddGrad, summed as torchmeta's; with subnormals kept, as
 * torch keeps them; 4 * units a multiple of 64). */
void tm_lstm_cell_grad_f32(const float *dh, const float *dc_next, const float *sig_i, const float *tanh_j,
                           const float *sig_f, const float *sig_o, const float *tanh_c, const float *c_prev,
                           int64_t rows, int64_t units, int64_t order, float *d_gates, float *dc_prev,
                           float *d_bias) {
  FLUSH_SUBNORMALS
  int64_t at[4];
  gate_offsets(order, units, at);
  cell_grad_rows(dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, rows, units, at, d_gates, dc_prev);
  RESTORE_SUBNORMALS
  if (d_bias) {
    column_sums(d_gates, rows, 4 * units, d_bias);
  }
}
