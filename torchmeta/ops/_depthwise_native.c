/* Depthwise 2-D convolution (channel multiplier 1) on NHWC float32 tensors, C innermost, as TF's
 * DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter give it.
 *
 * The channel axis is contiguous: each output pixel's channels are computed 8 at a time in vector registers
 * (up to 64 channels' accumulators held across the pixel's taps), and windows that reach into the padding
 * skip those taps: no padded copy of the input, whatever the padding (TF's SAME padding of a stride-2 window
 * is asymmetric, which torch's convolutions cannot take without one).
 *   forward:        y[n,oh,ow,c] = sum_{i,j} x[n, oh*sh - top + i, ow*sw - left + j, c] * w[i,j,c]
 *                   (+ bias[c], Relu optional), taps summed in row-major order from 0
 *   input gradient: dx[n,ih,iw,c] = sum over the taps (i,j) whose window covers (ih,iw) of dy[n,oh,ow,c] * w[i,j,c]
 *                   (gathered per input pixel, taps in row-major order: each dx row written once)
 *   filter gradient: dw[i,j,c] = sum_{n,oh,ow} x[n, oh*sh - top + i, ow*sw - left + j, c] * dy[n,oh,ow,c],
 *                   one output row in float, the rows added up in double
 * The rows of all images are split into ``threads`` parts run on POSIX threads (each part its own rows; the
 * filter gradient's parts their own double sums, added in part order).
 * target_clones picks AVX2 code at run time where the CPU has it (an AVX-512 clone of the same code measured
 * slower); -ffp-contract=off keeps the arithmetic the same on every instruction set.
 * Stride-1 3x3 SAME layers (MobileNet's) have their own AVX-512 code below (TM_S1): the forward and input
 * gradient as register-blocked row sweeps, both gradients in one pass over out_backprop.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/depthwise_native.py. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

typedef struct {
    const float *x;  /* forward, filter gradient: the input; input gradient: out_backprop */
    const float *w;  /* forward, input gradient: the [KH, KW, C] filter; filter gradient: out_backprop */
    const float *bias;
    float *out;
    double *acc; /* filter gradient: this part's [KH, KW, C] sums */
    int64_t N, H, W, C, KH, KW, OH, OW, sh, sw, top, left;
    int64_t begin, end; /* this part's rows: images * output (or input) rows */
    int relu;
    /* the gather (forward, input gradient): P x Q result pixels per image from an SH x SW source, and the
     * taps of each result row and column (tap_lists) */
    int64_t P, Q, SH, SW;
    const int32_t *row_tap, *row_at, *row_count, *col_tap, *col_at, *col_count;
    /* the stride-1 3x3 kernels: out_backprop and the input gradient (TM_S1_BACKWARD) */
    int mode;
    const float *dy;
    float *dx;
} tm_dw_args;

enum { TM_GATHER, TM_FILTER, TM_S1_FORWARD, TM_S1_BACKWARD };

/* 8 floats; the unaligned variant loads and stores at any float address. (8, not 16: GCC splits a 64-byte
 * generic vector badly in the AVX2 clone.) */
typedef float v8f __attribute__((vector_size(32)));
typedef float v8fu __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t v8i __attribute__((vector_size(32)));
#define LOAD(p) (*(const v8fu *)(p))
#define STORE(p, v) (*(v8fu *)(p) = (v))
#define CHUNK 8 /* vectors of accumulators held in registers: 64 channels at a time */

/* Relu of 8 floats, keeping a NaN; a macro, so that no vector crosses a call (the AVX ABI). */
#define RELU8(v)                                                                                           \
    __extension__({                                                                                        \
        v8f v_ = (v), zero_ = {0};                                                                         \
        v8i keep_ = (v_ > zero_) | (v_ != v_);                                                             \
        (v8f)((v8i)v_ & keep_);                                                                            \
    })

/* Channels c0 .. c0 + 8 * nb of one output pixel: out[c] = sum over the taps (rows ri[0..nr) x columns
 * cj[0..nc), row-major) of src[(ra[r] * SW + cb[q]) * C + c] * w[(ri[r] * KW + cj[q]) * C + c], then + bias[c]
 * and Relu when given. ``nb`` is a constant at each call: the nb accumulators stay in registers. */
static inline __attribute__((always_inline)) void chunk(float *restrict out, const float *src, int64_t SW,
                                                        const int32_t *ri, const int32_t *ra, int nr,
                                                        const int32_t *cj, const int32_t *cb, int nc,
                                                        const float *w, int64_t KW, int64_t C, const float *bias,
                                                        int relu, int64_t c0, const int nb) {
    v8f acc[CHUNK] = {{0}};
    for (int r = 0; r < nr; ++r) {
        const float *srow = src + ra[r] * SW * C + c0, *wrow = w + ri[r] * KW * C + c0;
        for (int q = 0; q < nc; ++q) {
            const float *sp = srow + cb[q] * C, *wp = wrow + cj[q] * C;
            for (int k = 0; k < nb; ++k)
                acc[k] += LOAD(sp + 8 * k) * LOAD(wp + 8 * k);
        }
    }
    for (int k = 0; k < nb; ++k) {
        v8f v = acc[k];
        if (bias)
            v += LOAD(bias + c0 + 8 * k);
        STORE(out + c0 + 8 * k, relu ? RELU8(v) : v);
    }
}

/* One output pixel, all channels: 64 at a time, then 32, 16, 8, then one by one. */
static inline __attribute__((always_inline)) void pixel(float *restrict out, const float *src, int64_t SW,
                                                        const int32_t *ri, const int32_t *ra, int nr,
                                                        const int32_t *cj, const int32_t *cb, int nc,
                                                        const float *w, int64_t KW, int64_t C, const float *bias,
                                                        int relu) {
    int64_t c0 = 0;
    for (; c0 + 64 <= C; c0 += 64)
        chunk(out, src, SW, ri, ra, nr, cj, cb, nc, w, KW, C, bias, relu, c0, 8);
    if (c0 + 32 <= C) {
        chunk(out, src, SW, ri, ra, nr, cj, cb, nc, w, KW, C, bias, relu, c0, 4);
        c0 += 32;
    }
    if (c0 + 16 <= C) {
        chunk(out, src, SW, ri, ra, nr, cj, cb, nc, w, KW, C, bias, relu, c0, 2);
        c0 += 16;
    }
    if (c0 + 8 <= C) {
        chunk(out, src, SW, ri, ra, nr, cj, cb, nc, w, KW, C, bias, relu, c0, 1);
        c0 += 8;
    }
    for (; c0 < C; ++c0) {
        float acc = 0.0f;
        for (int r = 0; r < nr; ++r)
            for (int q = 0; q < nc; ++q)
                acc += src[(ra[r] * SW + cb[q]) * C + c0] * w[(ri[r] * KW + cj[q]) * C + c0];
        if (bias)
            acc += bias[c0];
        if (relu && !(acc > 0.0f) && acc == acc)
            acc = 0.0f;
        out[c0] = acc;
    }
}

/* The taps of each output index p in [0, P) along one axis: kernel offsets tap[p * K + k] and source indices
 * at[p * K + k] for k < count[p], kernel offsets ascending. Forward (``transposed`` 0): source index
 * p * s - pad + k within [0, size). Input gradient (1): the output indices o with o * s - pad + k == p, within
 * [0, size). */
static void tap_lists(int64_t P, int64_t K, int64_t s, int64_t pad, int64_t size, int transposed, int32_t *tap,
                      int32_t *at, int32_t *count) {
    for (int64_t p = 0; p < P; ++p) {
        int n = 0;
        for (int64_t k = 0; k < K; ++k) {
            int64_t src;
            if (transposed) {
                const int64_t t = p + pad - k;
                if (t < 0 || t % s)
                    continue;
                src = t / s;
            } else {
                src = p * s - pad + k;
            }
            if (src < 0 || src >= size)
                continue;
            tap[p * K + n] = (int32_t)k;
            at[p * K + n] = (int32_t)src;
            ++n;
        }
        count[p] = n;
    }
}

/* The rows [begin, end) of the (n * P + p) rows of the gather: the forward (src = x, P = OH, Q = OW) or the
 * input gradient (src = dy, P = H, Q = W). */
TM_CLONES static void gather_rows(const tm_dw_args *a) {
    const int64_t C = a->C, KH = a->KH, KW = a->KW;
    const int64_t P = a->P, Q = a->Q, SH = a->SH, SW = a->SW;
    for (int64_t r = a->begin; r < a->end; ++r) {
        const int64_t n = r / P, p = r % P;
        const float *src = a->x + n * SH * SW * C;
        const int32_t *ri = a->row_tap + p * KH, *ra = a->row_at + p * KH;
        const int nr = a->row_count[p];
        for (int64_t q = 0; q < Q; ++q)
            pixel(a->out + (r * Q + q) * C, src, SW, ri, ra, nr, a->col_tap + q * KW, a->col_at + q * KW,
                  a->col_count[q], a->w, KW, C, a->bias, a->relu);
    }
}

/* The first output index o >= 0 whose tap at offset ``k`` (input index o * s - pad + k) is >= 0, and the
 * end of those whose input index is < size. */
static inline int64_t first_out(int64_t pad, int64_t k, int64_t s) {
    const int64_t t = pad - k;
    return t <= 0 ? 0 : (t + s - 1) / s;
}
static inline int64_t end_out(int64_t size, int64_t pad, int64_t k, int64_t s, int64_t out) {
    int64_t t = size - 1 + pad - k;
    if (t < 0)
        return 0;
    t = t / s + 1;
    return t < out ? t : out;
}

/* Channels c .. c + 8 * nb of one tap over one output row: the ``count`` products of x (step ``xstep``) and
 * dy (step C) summed in float, then added to out (double). */
static inline __attribute__((always_inline)) void filter_chunk(double *restrict out, const float *x0,
                                                               const float *d0, int64_t xstep, int64_t C,
                                                               int64_t count, int64_t c, const int nb) {
    v8f s[CHUNK] = {{0}};
    const float *xp = x0 + c, *dp = d0 + c;
    for (int64_t o = 0; o < count; ++o, xp += xstep, dp += C)
        for (int k = 0; k < nb; ++k)
            s[k] += LOAD(xp + 8 * k) * LOAD(dp + 8 * k);
    for (int k = 0; k < nb; ++k)
        for (int e = 0; e < 8; ++e)
            out[c + 8 * k + e] += s[k][e];
}

/* The output rows [begin, end) of the filter gradient's sum, added into a->acc (double): per row and tap,
 * the products of its OW windows summed in float, then added in double. */
TM_CLONES static void filter_rows(const tm_dw_args *a) {
    const int64_t H = a->H, W = a->W, C = a->C, KH = a->KH, KW = a->KW, OH = a->OH, OW = a->OW;
    const int64_t sw = a->sw;
    double *restrict acc = a->acc;
    for (int64_t r = a->begin; r < a->end; ++r) {
        const int64_t n = r / OH, oh = r % OH;
        const float *dyr = a->w + r * OW * C;
        for (int64_t i = 0; i < KH; ++i) {
            const int64_t ih = oh * a->sh - a->top + i;
            if (ih < 0 || ih >= H)
                continue;
            const float *xr = a->x + (n * H + ih) * W * C;
            for (int64_t j = 0; j < KW; ++j) {
                const int64_t lo = first_out(a->left, j, sw), hi = end_out(W, a->left, j, sw, OW);
                if (lo >= hi)
                    continue;
                double *restrict out = acc + (i * KW + j) * C;
                const float *x0 = xr + (lo * sw - a->left + j) * C, *d0 = dyr + lo * C;
                const int64_t xstep = sw * C;
                int64_t c = 0;
                for (; c + 64 <= C; c += 64)
                    filter_chunk(out, x0, d0, xstep, C, hi - lo, c, 8);
                if (c + 32 <= C) {
                    filter_chunk(out, x0, d0, xstep, C, hi - lo, c, 4);
                    c += 32;
                }
                if (c + 16 <= C) {
                    filter_chunk(out, x0, d0, xstep, C, hi - lo, c, 2);
                    c += 16;
                }
                if (c + 8 <= C) {
                    filter_chunk(out, x0, d0, xstep, C, hi - lo, c, 1);
                    c += 8;
                }
                for (; c < C; ++c) {
                    float s = 0.0f;
                    const float *xp = x0 + c, *dp = d0 + c;
                    for (int64_t ow = lo; ow < hi; ++ow, xp += xstep, dp += C)
                        s += *xp * *dp;
                    out[c] += s;
                }
            }
        }
    }
}

/* Stride 1, 3x3 window, one row and column of padding on each side (SAME), on AVX-512: 16 channels at a time
 * with the nine filter vectors held in registers while a whole row is swept, four pixels a step, each source
 * row's six columns of a step loaded once (no padded copy, no tap lists); the taps outside the input are left
 * out by the border rows' and columns' own code. The forward's interior goes 32 channels (two blocks, 18
 * filter vectors) and two pixels a step, so that each pixel's two cache lines are read and written together
 * (at batch 32 the row sweeps are memory-bound: 0.85-0.90x the one-block sweep's time for 128 channels). The
 * input gradient is the same sweep over out_backprop with the taps backwards; the filter gradient's nine sums
 * of a row and block stay in registers (float, then added into the double sums as filter_rows does) and run
 * in the same pass as the input gradient. Taps are taken in the gather's order (row-major), with fused
 * multiply-adds as oneDNN's kernels (torch's and TF's) use: the forward measured the same bits as torch's;
 * against the gather above, float32 rounding.
 * Per call against torch's oneDNN path (1 thread, batch 32, [32,32,32,32] and [32,16,16,128], load ~5-8):
 * the gradients 0.59-0.79x, the forward 0.81-0.92x. (The same code at stride 2 measured slower than the
 * gather above at batch 32, 1.07-1.19x: stride-2 layers keep the gather.) */
#if defined(__x86_64__) && defined(__GNUC__)
#define TM_S1 1
#include <immintrin.h>
#define TM_WIDE __attribute__((target("avx512f")))
#define TM_INLINE_WIDE static inline __attribute__((always_inline, target("avx512f")))

/* acc + the products of one source row's three taps at p - step, p, p + step (left out: b0 0 or b2 0) */
TM_INLINE_WIDE __m512 taps3(__m512 acc, const float *p, int64_t step, __m512 w0, __m512 w1, __m512 w2,
                            __mmask16 m, const int b0, const int b2) {
    if (b0)
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p - step), w0, acc);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p), w1, acc);
    if (b2)
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p + step), w2, acc);
    return acc;
}

/* 16 floats at p: all of them (``full``, a load an FMA can take as its operand) or the lanes of m */
TM_INLINE_WIDE __m512 load16(const float *p, __mmask16 m, const int full) {
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

TM_INLINE_WIDE void store16(float *p, __m512 v, __mmask16 m, const int full) {
    if (full)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, m, v);
}

TM_INLINE_WIDE __m512 relu16(__m512 v) { /* keeps a NaN; -0 becomes +0, as RELU8 */
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
}

/* One result pixel's 16 channels: the taps of the source rows s0, s1, s2 (s0 left out unless r0, s2 unless
 * r2) at p - step, p, p + step (left out: b0, b2 0). */
TM_INLINE_WIDE __m512 pixel3(const float *s0, const float *s1, const float *s2, int64_t at, int64_t step,
                             const __m512 *wv, __mmask16 m, const int r0, const int r2, const int b0,
                             const int b2) {
    __m512 acc = _mm512_setzero_ps();
    if (r0)
        acc = taps3(acc, s0 + at, step, wv[0], wv[1], wv[2], m, b0, b2);
    acc = taps3(acc, s1 + at, step, wv[3], wv[4], wv[5], m, b0, b2);
    if (r2)
        acc = taps3(acc, s2 + at, step, wv[6], wv[7], wv[8], m, b0, b2);
    return acc;
}

/* U result pixels q .. q + U - 1 whose taps all lie inside the row: each source row's U + 2 columns
 * q - 1 .. q + U loaded once (a sliding window) and multiplied into the U sums, tap b of pixel q + k reading
 * window column k + b (dir 1) or k + 2 - b (dir -1); every sum still takes its taps in row-major order. */
TM_INLINE_WIDE void run3(float *out, const float *s0, const float *s1, const float *s2, int64_t at, int64_t C,
                         const __m512 *wv, __m512 bv, const int biased, int relu, __mmask16 m, const int full,
                         const int dir, const int r0, const int r2, const int U) {
    __m512 acc[4];
    for (int k = 0; k < U; ++k)
        acc[k] = _mm512_setzero_ps();
    const float *src[3] = {s0, s1, s2};
    for (int a = 0; a < 3; ++a) {
        if ((a == 0 && !r0) || (a == 2 && !r2))
            continue;
        __m512 xv[6];
        for (int k = 0; k < U + 2; ++k)
            xv[k] = load16(src[a] + at + (k - 1) * C, m, full);
        for (int k = 0; k < U; ++k)
            for (int b = 0; b < 3; ++b)
                acc[k] = _mm512_fmadd_ps(xv[dir > 0 ? k + b : k + 2 - b], wv[3 * a + b], acc[k]);
    }
    for (int k = 0; k < U; ++k) {
        const __m512 v = biased ? _mm512_add_ps(acc[k], bv) : acc[k];
        store16(out + at + k * C, relu ? relu16(v) : v, m, full);
    }
}

/* One result row, channels c0 .. c0 + 16 (mask m; ``full``: all 16): out[q] = pixel3 at column q, tap b
 * reading column q + (b - 1) * dir (dir 1: the forward; -1: the input gradient, whose taps run backwards). */
TM_INLINE_WIDE void row3(float *out, const float *s0, const float *s1, const float *s2, int64_t W, int64_t C,
                         const __m512 *wv, __m512 bv, int relu, __mmask16 m, const int full, const int dir,
                         const int r0, const int r2, const int own) {
    const int64_t step = dir * C;
#define TM_PUT(q, b0, b2)                                                                                  \
    do {                                                                                                   \
        __m512 v_ = _mm512_add_ps(pixel3(s0, s1, s2, (q) * C, step, wv, m, r0, r2, b0, b2), bv);           \
        _mm512_mask_storeu_ps(out + (q) * C, m, relu ? relu16(v_) : v_);                                   \
    } while (0)
    if (W == 1) {
        TM_PUT(0, 0, 0);
        return;
    }
    /* column 0 has no tap reading column -1: b = 0 forward, b = 2 backward; column W - 1 the other */
    TM_PUT(0, dir < 0, dir > 0);
    int64_t q = 1;
    if (own) /* else the caller's pairs of pixels (s1_forward_rows) */
        for (; q + 4 <= W - 1; q += 4)
            run3(out, s0, s1, s2, q * C, C, wv, bv, 1, relu, m, full, dir, r0, r2, 4);
    else
        q += (W - 2) / 2 * 2;
    for (; q < W - 1; ++q)
        TM_PUT(q, 1, 1);
    TM_PUT(W - 1, dir > 0, dir < 0);
#undef TM_PUT
}

static inline __mmask16 lanes(int64_t left) { return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1); }

/* The forward's rows [begin, end) of the N * H result rows (+ bias, Relu). Without a bias, -0 is added: the
 * identity for every float (+0 stays +0, -0 stays -0). */
/* Two interior result pixels (at: the first's column * C) of 32 channels (two blocks: filters wa, wb; biases
 * ba, bb): each pixel's two cache lines read and written together. */
TM_INLINE_WIDE void pair32(float *out, const float *s0, const float *s1, const float *s2, int64_t at, int64_t C,
                           const __m512 *wa, const __m512 *wb, __m512 ba, __m512 bb, int relu, const int r0,
                           const int r2) {
    __m512 acc[2][2] = {{_mm512_setzero_ps(), _mm512_setzero_ps()}, {_mm512_setzero_ps(), _mm512_setzero_ps()}};
    const float *src[3] = {s0, s1, s2};
    for (int a = 0; a < 3; ++a) {
        if ((a == 0 && !r0) || (a == 2 && !r2))
            continue;
        for (int h = 0; h < 2; ++h) {
            const __m512 *wr = (h ? wb : wa) + 3 * a;
            __m512 xv[4];
            for (int k = 0; k < 4; ++k)
                xv[k] = _mm512_loadu_ps(src[a] + at + (k - 1) * C + 16 * h);
            for (int k = 0; k < 2; ++k)
                for (int b = 0; b < 3; ++b)
                    acc[h][k] = _mm512_fmadd_ps(xv[k + b], wr[b], acc[h][k]);
        }
    }
    for (int k = 0; k < 2; ++k)
        for (int h = 0; h < 2; ++h) {
            const __m512 v = _mm512_add_ps(acc[h][k], h ? bb : ba);
            _mm512_storeu_ps(out + at + k * C + 16 * h, relu ? relu16(v) : v);
        }
}

TM_WIDE static void s1_forward_rows(const tm_dw_args *a) {
    const int64_t H = a->H, W = a->W, C = a->C;
    const __mmask16 all = 0xFFFF;
    for (int64_t r = a->begin; r < a->end; ++r) {
        const int64_t h = r % H;
        const float *s1 = a->x + r * W * C, *s0 = s1 - W * C, *s2 = s1 + W * C;
        float *out = a->out + r * W * C;
        const int up = h > 0, down = h + 1 < H;
        int64_t c0 = 0;
        for (; c0 + 32 <= C; c0 += 32) { /* 32 channels at a time: the row's ends by block, then pixel pairs */
            __m512 wa[9], wb[9];
            for (int k = 0; k < 9; ++k) {
                wa[k] = _mm512_loadu_ps(a->w + k * C + c0);
                wb[k] = _mm512_loadu_ps(a->w + k * C + c0 + 16);
            }
            const __m512 ba = a->bias ? _mm512_loadu_ps(a->bias + c0) : _mm512_set1_ps(-0.0f);
            const __m512 bb = a->bias ? _mm512_loadu_ps(a->bias + c0 + 16) : _mm512_set1_ps(-0.0f);
            const float *t0 = s0 + c0, *t1 = s1 + c0, *t2 = s2 + c0;
            row3(out + c0, t0, t1, t2, W, C, wa, ba, a->relu, all, 1, 1, up, down, 0);
            row3(out + c0 + 16, t0 + 16, t1 + 16, t2 + 16, W, C, wb, bb, a->relu, all, 1, 1, up, down, 0);
            for (int64_t q = 1; q + 2 <= W - 1; q += 2) {
                if (up && down)
                    pair32(out + c0, t0, t1, t2, q * C, C, wa, wb, ba, bb, a->relu, 1, 1);
                else
                    pair32(out + c0, t0, t1, t2, q * C, C, wa, wb, ba, bb, a->relu, up, down);
            }
        }
        for (; c0 < C; c0 += 16) {
            const __mmask16 m = lanes(C - c0);
            __m512 wv[9];
            for (int k = 0; k < 9; ++k)
                wv[k] = _mm512_maskz_loadu_ps(m, a->w + k * C + c0);
            const __m512 bv = a->bias ? _mm512_maskz_loadu_ps(m, a->bias + c0) : _mm512_set1_ps(-0.0f);
            const float *t0 = s0 + c0, *t1 = s1 + c0, *t2 = s2 + c0;
            if (C - c0 >= 16 && up && down)
                row3(out + c0, t0, t1, t2, W, C, wv, bv, a->relu, m, 1, 1, 1, 1, 1);
            else if (C - c0 >= 16)
                row3(out + c0, t0, t1, t2, W, C, wv, bv, a->relu, m, 1, 1, up, down, 1);
            else
                row3(out + c0, t0, t1, t2, W, C, wv, bv, a->relu, m, 0, 1, up, down, 1);
        }
    }
}

#define TM_BACK_RUN 4 /* interior pixels per step of the gradients' row sweep */

/* acc[0..2] + the products of one input row's three taps at p - C, p, p + C with d (left out: lo, hi 0) */
TM_INLINE_WIDE void grad3(__m512 *acc, const float *p, int64_t C, __m512 d, __mmask16 m, const int lo,
                          const int hi) {
    if (lo)
        acc[0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p - C), d, acc[0]);
    acc[1] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p), d, acc[1]);
    if (hi)
        acc[2] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p + C), d, acc[2]);
}

/* One row h of both gradients, channels c0 .. c0 + 16 (mask m): the input gradient's row (from out_backprop
 * rows h + 1, h, h - 1: d0, d1, d2, taps backwards) and the filter gradient's float sums over this
 * out_backprop row (x rows h - 1, h, h + 1: x0, x1, x2, into facc[9]). ``up``: rows h - 1 exist;
 * ``down``: rows h + 1. */
TM_INLINE_WIDE void back_row(float *dxr, const float *d0, const float *d1, const float *d2, const float *x0,
                             const float *x1, const float *x2, int64_t W, int64_t C, const __m512 *wv,
                             __m512 *facc, __mmask16 m, const int full, const int up, const int down,
                             const int want_dx, const int want_dw) {
    /* lo: column q - 1 exists; hi: column q + 1 */
#define TM_BACK(q, lo, hi)                                                                                 \
    do {                                                                                                   \
        if (want_dx)                                                                                       \
            _mm512_mask_storeu_ps(dxr + (q) * C, m,                                                        \
                                  pixel3(d0, d1, d2, (q) * C, -C, wv, m, down, up, hi, lo));               \
        if (want_dw) {                                                                                     \
            const __m512 d_ = _mm512_maskz_loadu_ps(m, d1 + (q) * C);                                      \
            if (up)                                                                                        \
                grad3(facc, x0 + (q) * C, C, d_, m, lo, hi);                                               \
            grad3(facc + 3, x1 + (q) * C, C, d_, m, lo, hi);                                               \
            if (down)                                                                                      \
                grad3(facc + 6, x2 + (q) * C, C, d_, m, lo, hi);                                           \
        }                                                                                                  \
    } while (0)
    if (W == 1) {
        TM_BACK(0, 0, 0);
        return;
    }
    TM_BACK(0, 0, 1);
    int64_t q = 1;
    const __m512 none = _mm512_setzero_ps();
    const float *xs[3] = {x0, x1, x2};
    for (; q + TM_BACK_RUN <= W - 1; q += TM_BACK_RUN) {
        /* TM_BACK_RUN interior pixels: the input gradient's sums as the forward's (taps backwards), then the
         * filter gradient's, each x row's window loaded once */
        const int64_t at = q * C;
        if (want_dx)
            run3(dxr, d0, d1, d2, at, C, wv, none, 0, 0, m, full, -1, down, up, TM_BACK_RUN);
        if (want_dw) {
            __m512 dv[TM_BACK_RUN];
            for (int k = 0; k < TM_BACK_RUN; ++k)
                dv[k] = load16(d1 + at + k * C, m, full);
            for (int i = 0; i < 3; ++i) {
                if ((i == 0 && !up) || (i == 2 && !down))
                    continue;
                __m512 xv[TM_BACK_RUN + 2];
                for (int k = 0; k < TM_BACK_RUN + 2; ++k)
                    xv[k] = load16(xs[i] + at + (k - 1) * C, m, full);
                for (int k = 0; k < TM_BACK_RUN; ++k)
                    for (int j = 0; j < 3; ++j)
                        facc[3 * i + j] = _mm512_fmadd_ps(xv[k + j], dv[k], facc[3 * i + j]);
            }
        }
    }
    for (; q < W - 1; ++q)
        TM_BACK(q, 1, 1);
    TM_BACK(W - 1, 1, 0);
#undef TM_BACK
}

/* The rows [begin, end) of the N * H rows of the input gradient (into a->dx) and/or the filter gradient
 * (each row's float sums added into a->acc in double, as filter_rows). */
TM_INLINE_WIDE void s1_backward_body(const tm_dw_args *a, const int want_dx, const int want_dw) {
    const int64_t H = a->H, W = a->W, C = a->C, row = W * C;
    for (int64_t r = a->begin; r < a->end; ++r) {
        const int64_t h = r % H;
        const float *d1 = a->dy + r * row, *x1 = a->x + r * row;
        float *dxr = want_dx ? a->dx + r * row : NULL;
        const int up = h > 0, down = h + 1 < H;
        for (int64_t c0 = 0; c0 < C; c0 += 16) {
            const __mmask16 m = lanes(C - c0);
            __m512 wv[9], facc[9];
            for (int k = 0; k < 9; ++k) {
                wv[k] = want_dx ? _mm512_maskz_loadu_ps(m, a->w + k * C + c0) : _mm512_setzero_ps();
                facc[k] = _mm512_setzero_ps();
            }
            float *dxc = want_dx ? dxr + c0 : NULL;
            const float *d = d1 + c0, *x = x1 + c0;
            if (C - c0 >= 16 && up && down)
                back_row(dxc, d + row, d, d - row, x - row, x, x + row, W, C, wv, facc, m, 1, 1, 1, want_dx,
                         want_dw);
            else if (C - c0 >= 16)
                back_row(dxc, d + row, d, d - row, x - row, x, x + row, W, C, wv, facc, m, 1, up, down, want_dx,
                         want_dw);
            else
                back_row(dxc, d + row, d, d - row, x - row, x, x + row, W, C, wv, facc, m, 0, up, down, want_dx,
                         want_dw);
            if (!want_dw)
                continue;
            const __mmask8 lo8 = (__mmask8)(m & 0xFF), hi8 = (__mmask8)(m >> 8);
            for (int k = 0; k < 9; ++k) {
                if ((k < 3 && !up) || (k >= 6 && !down))
                    continue; /* filter_rows adds nothing for an input row outside */
                double *out = a->acc + k * C + c0;
                const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(facc[k]));
                const __m512d hi = _mm512_cvtps_pd(
                    _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(facc[k]), 1)));
                _mm512_mask_storeu_pd(out, lo8, _mm512_add_pd(_mm512_maskz_loadu_pd(lo8, out), lo));
                if (hi8)
                    _mm512_mask_storeu_pd(out + 8, hi8, _mm512_add_pd(_mm512_maskz_loadu_pd(hi8, out + 8), hi));
            }
        }
    }
}

TM_WIDE static void s1_backward_rows(const tm_dw_args *a) {
    if (a->dx && a->acc)
        s1_backward_body(a, 1, 1);
    else if (a->dx)
        s1_backward_body(a, 1, 0);
    else
        s1_backward_body(a, 0, 1);
}
#endif

static void *run_part(void *p) {
    tm_dw_args *a = p;
#ifdef TM_S1
    if (a->mode == TM_S1_FORWARD)
        s1_forward_rows(a);
    else if (a->mode == TM_S1_BACKWARD)
        s1_backward_rows(a);
    else
#endif
    if (a->acc)
        filter_rows(a);
    else
        gather_rows(a);
    return NULL;
}

/* Splits rows [0, rows) into ``threads`` parts run side by side (the calling thread takes the first). */
static void run(tm_dw_args *base, int64_t rows, int threads, double *acc) {
    if (threads < 1)
        threads = 1;
    if (threads > rows)
        threads = (int)(rows > 0 ? rows : 1);
    tm_dw_args parts[64];
    pthread_t ids[64];
    int started[64] = {0};
    if (threads > 64)
        threads = 64;
    const int64_t taps = base->KH * base->KW * base->C;
    for (int t = 0; t < threads; ++t) {
        parts[t] = *base;
        parts[t].begin = rows * t / threads;
        parts[t].end = rows * (t + 1) / threads;
        parts[t].acc = acc ? acc + t * taps : NULL;
    }
    for (int t = 1; t < threads; ++t)
        started[t] = pthread_create(&ids[t], NULL, run_part, &parts[t]) == 0;
    run_part(&parts[0]);
    for (int t = 1; t < threads; ++t) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            run_part(&parts[t]); /* no thread: run it here */
    }
}

/* The gather of forward (transposed 0) or input gradient (1): P x Q pixels per image from SH x SW ones. */
static void gather(tm_dw_args *a, int transposed, int threads) {
    const int64_t P = a->P, Q = a->Q, KH = a->KH, KW = a->KW;
    int32_t *lists = malloc((2 * P * KH + P + 2 * Q * KW + Q) * sizeof(int32_t));
    if (!lists)
        abort();
    int32_t *row_tap = lists, *row_at = row_tap + P * KH, *row_count = row_at + P * KH;
    int32_t *col_tap = row_count + P, *col_at = col_tap + Q * KW, *col_count = col_at + Q * KW;
    /* forward: the source row of output row p and tap i is p * sh - top + i; input gradient: tap i of input
     * row p reads output row (p + top - i) / sh */
    tap_lists(P, KH, a->sh, a->top, a->SH, transposed, row_tap, row_at, row_count);
    tap_lists(Q, KW, a->sw, a->left, a->SW, transposed, col_tap, col_at, col_count);
    a->row_tap = row_tap, a->row_at = row_at, a->row_count = row_count;
    a->col_tap = col_tap, a->col_at = col_at, a->col_count = col_count;
    run(a, a->N * P, threads, NULL);
    free(lists);
}

/* Whether the stride-1 3x3 kernels run here (AVX-512; tm_depthwise_use_stride1(0) turns them off, for tests
 * and measurements), and whether they apply to a geometry: 3x3, stride 1, one row and column of padding
 * before (and, the output being the input's size, after). */
static int use_stride1 = 1;

int tm_depthwise_stride1(void) {
#ifdef TM_S1
    return use_stride1 && __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

void tm_depthwise_use_stride1(int on) { use_stride1 = on; }

static int stride1(int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t OH, int64_t OW, int64_t sh, int64_t sw,
                   int64_t top, int64_t left) {
    return KH == 3 && KW == 3 && sh == 1 && sw == 1 && top == 1 && left == 1 && OH == H && OW == W &&
           tm_depthwise_stride1();
}

static int clamp_threads(int threads, int64_t rows) {
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    if (threads > rows)
        threads = (int)(rows > 0 ? rows : 1);
    return threads;
}

void tm_depthwise_forward(const float *x, const float *w, const float *bias, int relu, float *y, int64_t N,
                          int64_t H, int64_t W, int64_t C, int64_t KH, int64_t KW, int64_t OH, int64_t OW,
                          int64_t sh, int64_t sw, int64_t top, int64_t left, int threads) {
    tm_dw_args a = {x, w, bias, y, NULL, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, 0, 0, relu ? 1 : 0};
    if (stride1(H, W, KH, KW, OH, OW, sh, sw, top, left)) {
        a.mode = TM_S1_FORWARD;
        run(&a, N * H, threads, NULL);
        return;
    }
    a.P = OH, a.Q = OW, a.SH = H, a.SW = W;
    gather(&a, 0, threads);
}

/* The stride-1 3x3 input gradient (dx) and/or filter gradient (dw; ``work``: threads * 9 * C doubles). */
static void stride1_backward(const float *x, const float *dy, const float *w, float *dx, float *dw, double *work,
                             int64_t N, int64_t H, int64_t W, int64_t C, int threads) {
    tm_dw_args a = {x, w, NULL, NULL, NULL, N, H, W, C, 3, 3, H, W, 1, 1, 1, 1, 0, 0, 0};
    a.mode = TM_S1_BACKWARD, a.dy = dy, a.dx = dx;
    const int64_t taps = 9 * C, rows = N * H;
    threads = clamp_threads(threads, rows);
    if (dw)
        memset(work, 0, threads * taps * sizeof(double));
    run(&a, rows, threads, dw ? work : NULL);
    if (!dw)
        return;
    for (int t = 1; t < threads; ++t)
        for (int64_t k = 0; k < taps; ++k)
            work[k] += work[t * taps + k];
    for (int64_t k = 0; k < taps; ++k)
        dw[k] = (float)work[k];
}

void tm_depthwise_backprop_input(const float *dy, const float *w, float *dx, int64_t N, int64_t H, int64_t W,
                                 int64_t C, int64_t KH, int64_t KW, int64_t OH, int64_t OW, int64_t sh,
                                 int64_t sw, int64_t top, int64_t left, int threads) {
    if (stride1(H, W, KH, KW, OH, OW, sh, sw, top, left)) {
        stride1_backward(NULL, dy, w, dx, NULL, NULL, N, H, W, C, threads);
        return;
    }
    tm_dw_args a = {dy, w, NULL, dx, NULL, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, 0, 0, 0};
    a.P = H, a.Q = W, a.SH = OH, a.SW = OW;
    gather(&a, 1, threads);
}

/* ``work``: threads * KH * KW * C doubles. */
void tm_depthwise_backprop_filter(const float *x, const float *dy, float *dw, double *work, int64_t N, int64_t H,
                                  int64_t W, int64_t C, int64_t KH, int64_t KW, int64_t OH, int64_t OW,
                                  int64_t sh, int64_t sw, int64_t top, int64_t left, int threads) {
    if (stride1(H, W, KH, KW, OH, OW, sh, sw, top, left)) {
        stride1_backward(x, dy, NULL, NULL, dw, work, N, H, W, C, threads);
        return;
    }
    const int64_t taps = KH * KW * C, rows = N * OH;
    threads = clamp_threads(threads, rows);
    memset(work, 0, threads * taps * sizeof(double));
    tm_dw_args a = {x, dy, NULL, NULL, work, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, 0, 0, 0};
    run(&a, rows, threads, work);
    for (int t = 1; t < threads; ++t)
        for (int64_t k = 0; k < taps; ++k)
            work[k] += work[t * taps + k];
    for (int64_t k = 0; k < taps; ++k)
        dw[k] = (float)work[k];
}

/* Both gradients of one convolution: one pass over out_backprop where the stride-1 kernels apply. */
void tm_depthwise_backprop_both(const float *x, const float *dy, const float *w, float *dx, float *dw,
                                double *work, int64_t N, int64_t H, int64_t W, int64_t C, int64_t KH, int64_t KW,
                                int64_t OH, int64_t OW, int64_t sh, int64_t sw, int64_t top, int64_t left,
                                int threads) {
    if (stride1(H, W, KH, KW, OH, OW, sh, sw, top, left)) {
        stride1_backward(x, dy, w, dx, dw, work, N, H, W, C, threads);
        return;
    }
    tm_depthwise_backprop_input(dy, w, dx, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, threads);
    tm_depthwise_backprop_filter(x, dy, dw, work, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, threads);
}
