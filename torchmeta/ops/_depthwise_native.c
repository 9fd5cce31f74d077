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
} tm_dw_args;

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

static void *run_part(void *p) {
    tm_dw_args *a = p;
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

void tm_depthwise_forward(const float *x, const float *w, const float *bias, int relu, float *y, int64_t N,
                          int64_t H, int64_t W, int64_t C, int64_t KH, int64_t KW, int64_t OH, int64_t OW,
                          int64_t sh, int64_t sw, int64_t top, int64_t left, int threads) {
    tm_dw_args a = {x, w, bias, y, NULL, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, 0, 0, relu ? 1 : 0};
    a.P = OH, a.Q = OW, a.SH = H, a.SW = W;
    gather(&a, 0, threads);
}

void tm_depthwise_backprop_input(const float *dy, const float *w, float *dx, int64_t N, int64_t H, int64_t W,
                                 int64_t C, int64_t KH, int64_t KW, int64_t OH, int64_t OW, int64_t sh,
                                 int64_t sw, int64_t top, int64_t left, int threads) {
    tm_dw_args a = {dy, w, NULL, dx, NULL, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, 0, 0, 0};
    a.P = H, a.Q = W, a.SH = OH, a.SW = OW;
    gather(&a, 1, threads);
}

/* ``work``: threads * KH * KW * C doubles. */
void tm_depthwise_backprop_filter(const float *x, const float *dy, float *dw, double *work, int64_t N, int64_t H,
                                  int64_t W, int64_t C, int64_t KH, int64_t KW, int64_t OH, int64_t OW,
                                  int64_t sh, int64_t sw, int64_t top, int64_t left, int threads) {
    const int64_t taps = KH * KW * C, rows = N * OH;
    if (threads < 1)
        threads = 1;
    if (threads > 64)
        threads = 64;
    if (threads > rows)
        threads = (int)(rows > 0 ? rows : 1);
    memset(work, 0, threads * taps * sizeof(double));
    tm_dw_args a = {x, dy, NULL, NULL, work, N, H, W, C, KH, KW, OH, OW, sh, sw, top, left, 0, 0, 0};
    run(&a, rows, threads, work);
    for (int t = 1; t < threads; ++t)
        for (int64_t k = 0; k < taps; ++k)
            work[k] += work[t * taps + k];
    for (int64_t k = 0; k < taps; ++k)
        dw[k] = (float)work[k];
}
