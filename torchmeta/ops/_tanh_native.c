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
 * Each vector kernel is compiled per target on the vectors its registers hold (16 floats in one AVX-512
 * register, 8 in one AVX2 register, 4 in SSE's) and the entry points pick one at run time: every lane computes
 * the same IEEE operations whatever the width, so the values are the same on every path. (One 64-byte width
 * for all targets does not do: GCC splits it through the stack on AVX2, 3-4x slower; _pool_native.c.)
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/tanh_native.py. */
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target)
#define TM_X86
#endif
#endif

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* Explicit vectors: the compiler does not vectorize the comparisons of a plain loop (they may raise
 * floating-point exceptions), and selects are written as bit masks. */
#define SELECT(VF, VI, mask, a, b) ((VF)(((VI)(a) & (mask)) | ((VI)(b) & ~(mask))))

/* The kernels on vectors VF of VI's lanes (SFX: their width), each function with the target attribute ATTR.
 *
 * tanh_v: TF's Tanh (the formula above).
 * floor_v: floor of values well inside int32's range (NaN lanes read as 0: the caller's result is NaN through x).
 * sigmoid_v: Eigen's scalar_logistic_op<float>::packetOp without FMA: exp(x) / (1 + exp(x)), exp(x) computed as
 *   exp(x / 2)^2 with Cephes' range reduction and a degree 5 polynomial, x clamped at 16.6355324 (exactly 1 from
 *   there), 0 below -104; a result below FLT_MIN becomes 0, as TF's threads flush denormals to zero. 2^m as
 *   Eigen's pldexp_fast makes it (it clamps the biased exponent to [0, 255], which m + 127 is in for every x0
 *   from -104 to the clamp at 16.64: m from -75 to 12; lanes outside are zeroed).
 * cell_v / cell_grad_v: one row's n (<= the width) columns from column k (element e) on. */
#define VECTOR_KERNELS(SFX, ATTR, VF, VI)                                                                    \
  ATTR static inline __attribute__((always_inline)) VF tanh_v##SFX(VF x) {                                  \
    const VF c = (VF){0} + 7.90738964080810547f;                                                            \
    const VI bits = (VI)x;                                                                                  \
    const VI magnitude = bits & 0x7fffffff;                                                                 \
    x = SELECT(VF, VI, magnitude < 0x00800000, (VF)(bits & (int32_t)0x80000000), x); /* denormals: 0 */     \
    x = SELECT(VF, VI, c < x, c, x);                                                 /* (NaN kept) */       \
    x = SELECT(VF, VI, x < -c, -c, x);                                                                      \
    const VF x2 = x * x;                                                                                    \
    const VF x3 = x2 * x;                                                                                   \
    VF p = 1.394553628e-8f * x2 + 2.102733560e-5f;                                                          \
    p = p * x2 + 3.520756727e-3f;                                                                           \
    p = p * x2 + 1.340216100e-1f;                                                                           \
    p = x3 * p + x;                                                                                         \
    VF q = 8.015776984e-7f * x2 + 3.326951409e-4f;                                                          \
    q = q * x2 + 2.597254514e-2f;                                                                           \
    q = q * x2 + 4.673548340e-1f;                                                                           \
    q = q * x2 + 1.0f;                                                                                      \
    return p / q;                                                                                           \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) VF load_v##SFX(const float *p, int64_t n) {             \
    VF x = {0};                                                                                             \
    memcpy(&x, p, (size_t)n * sizeof(float));                                                               \
    return x;                                                                                               \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) void store_v##SFX(float *p, VF x, int64_t n) {          \
    memcpy(p, &x, (size_t)n * sizeof(float));                                                               \
  }                                                                                                         \
                                                                                                            \
  ATTR static void tanh_rows##SFX(const float *in, float *out, int64_t rows, int64_t cols, int64_t stride) { \
    const int64_t w = (int64_t)(sizeof(VF) / sizeof(float));                                               \
    for (int64_t i = 0; i < rows; i++) {                                                                    \
      const float *x = in + i * stride;                                                                     \
      float *y = out + i * cols;                                                                            \
      int64_t k = 0;                                                                                        \
      for (; k + w <= cols; k += w) {                                                                       \
        store_v##SFX(y + k, tanh_v##SFX(load_v##SFX(x + k, w)), w);                                         \
      }                                                                                                     \
      if (k < cols) { /* the last elements through the same code */                                         \
        store_v##SFX(y + k, tanh_v##SFX(load_v##SFX(x + k, cols - k)), cols - k);                           \
      }                                                                                                     \
    }                                                                                                       \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) VF floor_v##SFX(VF x) {                                 \
    const VI finite = x == x;                                                                               \
    x = SELECT(VF, VI, finite, x, (VF){0});                                                                 \
    const VF t = __builtin_convertvector(__builtin_convertvector(x, VI), VF); /* toward zero */             \
    return SELECT(VF, VI, t > x, t - 1.0f, t);                                                              \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) VF sigmoid_v##SFX(VF x0) {                              \
    const VF hi = (VF){0} + 16.6355324f;                                                                    \
    const VI zero_mask = x0 < -104.0f;                                                                      \
    VF x = SELECT(VF, VI, hi < x0, hi, x0); /* (NaN kept) */                                                \
    x = x * 0.5f;                                                                                           \
    const VF m = floor_v##SFX(x * 1.44269504088896341f + 0.5f);                                             \
    VF r = m * -0.693359375f + x;                                                                           \
    r = m * 2.12194440e-4f + r;                                                                             \
    const VF r2 = r * r;                                                                                    \
    const VF p_even = r2 * 4.1898667812347412109375e-2f + 0.49999141693115234375f;                          \
    const VF p_odd = r2 * 8.33471305668354034423828125e-3f + 0.16666877269744873046875f;                    \
    const VF p_low = r + 1.0f;                                                                              \
    VF p = r * p_odd + p_even;                                                                              \
    p = r2 * p + p_low;                                                                                     \
    const VI scale = __builtin_convertvector(m + 127.0f, VI) << 23;                                         \
    VF e = p * (VF)scale;                                                                                   \
    e = e * e;                                                                                              \
    VF s = e / (1.0f + e);                                                                                  \
    const VI tiny = ((VI)s & 0x7fffffff) < 0x00800000;                                                      \
    return (VF)((VI)s & ~(zero_mask | tiny));                                                               \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) void cell_v##SFX(                                       \
      const float *g, const float *c, float forget_bias, const int64_t *at, int64_t k, int64_t n,           \
      float *new_c, float *new_h, float *sig_i, float *tanh_j, float *sig_f, float *sig_o, float *tanh_c) { \
    const VF si = sigmoid_v##SFX(load_v##SFX(g + at[0] + k, n));                                            \
    const VF tj = tanh_v##SFX(load_v##SFX(g + at[1] + k, n));                                               \
    const VF sf = sigmoid_v##SFX(load_v##SFX(g + at[2] + k, n) + forget_bias);                              \
    const VF so = sigmoid_v##SFX(load_v##SFX(g + at[3] + k, n));                                            \
    const VF cs = load_v##SFX(c + k, n) * sf + si * tj;                                                     \
    const VF tc = tanh_v##SFX(cs);                                                                          \
    store_v##SFX(new_c + k, cs, n);                                                                         \
    store_v##SFX(new_h + k, tc * so, n);                                                                    \
    if (sig_i) {                                                                                            \
      store_v##SFX(sig_i + k, si, n);                                                                       \
      store_v##SFX(tanh_j + k, tj, n);                                                                      \
      store_v##SFX(sig_f + k, sf, n);                                                                       \
      store_v##SFX(sig_o + k, so, n);                                                                       \
      store_v##SFX(tanh_c + k, tc, n);                                                                      \
    }                                                                                                       \
  }                                                                                                         \
                                                                                                            \
  ATTR static void cell_rows##SFX(const float *gates, const float *c_prev, float forget_bias, int64_t rows, \
                                  int64_t units, const int64_t *at, float *new_c, float *new_h,             \
                                  float *sig_i, float *tanh_j, float *sig_f, float *sig_o, float *tanh_c) { \
    const int64_t w = (int64_t)(sizeof(VF) / sizeof(float));                                                \
    for (int64_t r = 0; r < rows; r++) {                                                                    \
      const float *g = gates + r * 4 * units;                                                               \
      const float *c = c_prev + r * units;                                                                  \
      const int64_t o = r * units;                                                                          \
      float *outs[5] = {sig_i, tanh_j, sig_f, sig_o, tanh_c};                                               \
      for (int q = 0; q < 5; q++) {                                                                         \
        outs[q] = outs[q] ? outs[q] + o : 0;                                                                \
      }                                                                                                     \
      int64_t k = 0;                                                                                        \
      for (; k + w <= units; k += w) { /* (a constant width: the loads and stores are single moves) */      \
        cell_v##SFX(g, c, forget_bias, at, k, w, new_c + o, new_h + o, outs[0], outs[1], outs[2], outs[3],  \
                    outs[4]);                                                                               \
      }                                                                                                     \
      if (k < units) {                                                                                      \
        cell_v##SFX(g, c, forget_bias, at, k, units - k, new_c + o, new_h + o, outs[0], outs[1], outs[2],   \
                    outs[3], outs[4]);                                                                      \
      }                                                                                                     \
    }                                                                                                       \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) VF sigmoid_grad_v##SFX(VF y, VF dy) {                   \
    return dy * (y * (1.0f - y));                                                                           \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) VF tanh_grad_v##SFX(VF y, VF dy) {                      \
    return dy * (1.0f - y * y);                                                                             \
  }                                                                                                         \
                                                                                                            \
  ATTR static inline __attribute__((always_inline)) void cell_grad_v##SFX(                                  \
      const float *dh, const float *dc_next, const float *sig_i, const float *tanh_j, const float *sig_f,   \
      const float *sig_o, const float *tanh_c, const float *c_prev, const int64_t *at, int64_t e, int64_t k, \
      int64_t n, float *dg, float *dc_prev) {                                                               \
    const VF h = load_v##SFX(dh + e, n), so = load_v##SFX(sig_o + e, n), tc = load_v##SFX(tanh_c + e, n);   \
    VF dc = tanh_grad_v##SFX(tc, h * so);                                                                   \
    if (dc_next) {                                                                                          \
      dc = load_v##SFX(dc_next + e, n) + dc;                                                                \
    }                                                                                                       \
    const VF si = load_v##SFX(sig_i + e, n), tj = load_v##SFX(tanh_j + e, n);                               \
    const VF sf = load_v##SFX(sig_f + e, n);                                                                \
    store_v##SFX(dg + at[0] + k, sigmoid_grad_v##SFX(si, dc * tj), n);                                      \
    store_v##SFX(dg + at[1] + k, tanh_grad_v##SFX(tj, dc * si), n);                                         \
    store_v##SFX(dg + at[2] + k, sigmoid_grad_v##SFX(sf, dc * load_v##SFX(c_prev + e, n)), n);              \
    store_v##SFX(dg + at[3] + k, sigmoid_grad_v##SFX(so, h * tc), n);                                       \
    store_v##SFX(dc_prev + e, dc * sf, n);                                                                  \
  }                                                                                                         \
                                                                                                            \
  ATTR static void cell_grad_rows##SFX(const float *dh, const float *dc_next, const float *sig_i,           \
                                       const float *tanh_j, const float *sig_f, const float *sig_o,         \
                                       const float *tanh_c, const float *c_prev, int64_t rows,              \
                                       int64_t units, const int64_t *at, float *d_gates, float *dc_prev) {  \
    const int64_t w = (int64_t)(sizeof(VF) / sizeof(float));                                               \
    for (int64_t r = 0; r < rows; r++) {                                                                    \
      const int64_t o = r * units;                                                                          \
      float *dg = d_gates + 4 * o;                                                                          \
      int64_t k = 0;                                                                                        \
      for (; k + w <= units; k += w) {                                                                      \
        cell_grad_v##SFX(dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, at, o + k, k, w, dg,     \
                         dc_prev);                                                                          \
      }                                                                                                     \
      if (k < units) {                                                                                      \
        cell_grad_v##SFX(dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, at, o + k, k, units - k, \
                         dg, dc_prev);                                                                      \
      }                                                                                                     \
    }                                                                                                       \
  }

#ifdef TM_X86
VECTOR_KERNELS(16, __attribute__((target("avx512f"))), v16f, v16i)
VECTOR_KERNELS(8, __attribute__((target("avx2"))), v8f, v8i)
#endif
VECTOR_KERNELS(4, , v4f, v4i)

/* The widest kernels this CPU runs: 16 (AVX-512), 8 (AVX2) or 4. */
__attribute__((unused)) static int vector_width(void) {
#ifdef TM_X86
  if (__builtin_cpu_supports("avx512f")) {
    return 16;
  }
  if (__builtin_cpu_supports("avx2")) {
    return 8;
  }
#endif
  return 4;
}

/* Calls FN's build for this CPU's vector width (FN##16, FN##8 or FN##4) with the arguments that follow. */
#ifdef TM_X86
#define BY_WIDTH(FN, ...)                                                                                      \
  do {                                                                                                         \
    switch (vector_width()) {                                                                                  \
    case 16:                                                                                                   \
      FN##16(__VA_ARGS__);                                                                                     \
      break;                                                                                                   \
    case 8:                                                                                                    \
      FN##8(__VA_ARGS__);                                                                                      \
      break;                                                                                                   \
    default:                                                                                                   \
      FN##4(__VA_ARGS__);                                                                                      \
    }                                                                                                          \
  } while (0)
#else
#define BY_WIDTH(FN, ...) FN##4(__VA_ARGS__)
#endif

/* ``in``: ``rows`` rows of ``cols`` contiguous floats, ``stride`` floats apart (a column slice of a matrix: an
 * LSTM cell's gate, split from the gates' product); ``out``: the same, contiguous. */
void tm_tanh_f32(const float *in, float *out, int64_t rows, int64_t cols, int64_t stride) {
  BY_WIDTH(tanh_rows, in, out, rows, cols, stride);
}

/* ------------------------------------------------------------------------------------------------------------
 * The element-wise part of an LSTM cell (TF's BasicLSTMCell, and LSTMCell without peepholes or projection) and its
 * gradient, each in one pass over the rows (torchmeta/ops/lstm_cell_native.py; specialization fuses the cell's
 * ops into these). Each value is what TF's own kernels compute op by op: Sigmoid as Eigen's float logistic
 * packet function (below), Tanh as tanh_v below, SigmoidGrad dy * (y * (1 - y)), TanhGrad dy * (1 - y * y),
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

/* The first column of gates i, j, f, o in a gates row, from their blocks packed in ``order`` (2 bits each). */
static void gate_offsets(int64_t order, int64_t units, int64_t *at) {
  for (int q = 0; q < 4; q++) {
    at[q] = ((order >> (2 * q)) & 3) * units;
  }
}

/* ``gates``: [rows, 4 * units], gate i in the column block ``order & 3`` (of units columns each), j in block
 * ``(order >> 2) & 3``, f in ``(order >> 4) & 3``, o in ``(order >> 6) & 3`` (TF's cells: i, j, f, o, order 0xe4;
 * a cell written by hand may split its gates in another order), ``c_prev`` and every output [rows, units], all
 * contiguous:
 * new_c = c_prev * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j), new_h = tanh(new_c) * sigmoid(o). The gate
 * activations and tanh(new_c) (what the gradient reads) are written where ``sig_i`` is not NULL. */
void tm_lstm_cell_f32(const float *gates, const float *c_prev, float forget_bias, int64_t rows, int64_t units,
                      int64_t order, float *new_c, float *new_h, float *sig_i, float *tanh_j, float *sig_f,
                      float *sig_o, float *tanh_c) {
  FLUSH_SUBNORMALS
  int64_t at[4];
  gate_offsets(order, units, at);
  BY_WIDTH(cell_rows, gates, c_prev, forget_bias, rows, units, at, new_c, new_h, sig_i, tanh_j, sig_f, sig_o,
           tanh_c);
  RESTORE_SUBNORMALS
}

/* The column sums keep AVX2's 8 floats per vector on every target (their order of additions follows torch.sum's
 * groups of 4 vectors: see below); target_clones picks AVX2 code where the CPU has it. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

static inline __attribute__((always_inline)) v8f load8(const float *p, int64_t n) {
  v8f x = {0};
  memcpy(&x, p, (size_t)n * sizeof(float));
  return x;
}

static inline __attribute__((always_inline)) void store8(float *p, v8f x, int64_t n) {
  memcpy(p, &x, (size_t)n * sizeof(float));
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
 * ``dc_prev`` [rows, units] (c_prev's), everything contiguous, the gates' blocks in ``order`` (as the
 * forward's); where ``d_bias`` is not NULL, the gates' bias gradient [4 * units] too (d_gates' column sums:
 * BiasAddGrad, summed as torchmeta's; with subnormals kept, as torch keeps them; 4 * units a multiple of 64). */
void tm_lstm_cell_grad_f32(const float *dh, const float *dc_next, const float *sig_i, const float *tanh_j,
                           const float *sig_f, const float *sig_o, const float *tanh_c, const float *c_prev,
                           int64_t rows, int64_t units, int64_t order, float *d_gates, float *dc_prev,
                           float *d_bias) {
  FLUSH_SUBNORMALS
  int64_t at[4];
  gate_offsets(order, units, at);
  BY_WIDTH(cell_grad_rows, dh, dc_next, sig_i, tanh_j, sig_f, sig_o, tanh_c, c_prev, rows, units, at, d_gates,
           dc_prev);
  RESTORE_SUBNORMALS
  if (d_bias) {
    column_sums(d_gates, rows, 4 * units, d_bias);
  }
}
