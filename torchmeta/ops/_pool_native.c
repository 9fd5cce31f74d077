/* Max pooling over H and W of channels-last float32 images ([N, H, W, C], C innermost), with the argmax
 * TF's MaxPoolGrad recomputes, and that gradient.
 *
 * Forward: per output pixel, the window's valid (unpadded) positions are visited in row-major order and
 * each channel keeps its running maximum and that maximum's position (ih * W + iw), C channels side by
 * side (the loop over C vectorizes). A position replaces the running maximum only when strictly greater,
 * so ties go to the first maximum and NaN never wins. Two starts, as TF's two CPU kernels:
 *   rule 0 (oneDNN's max pooling, TF's MaxPool/MaxPoolGrad on float32 with SAME/VALID padding): the
 *     maximum starts at the lowest float (-FLT_MAX) at the window's first position, padding or not (-1
 *     when padding: the gradient is dropped); the output is max(-FLT_MAX, the non-NaN values).
 *   rule 1 (TF's SpatialMaxPoolWithArgMaxHelper: MaxPoolGradV2, EXPLICIT padding): the first valid
 *     position is taken unconditionally (a NaN or -inf there stays until a value is greater). Only the
 *     argmax is written (y may be NULL).
 * Backward: zeros, then each output's gradient added at its argmax, outputs in row-major order. Where the
 * windows tile the input exactly (stride = window, every input position in one window), each input
 * position is written once instead (gradient or zero), without the zero fill.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/pool_native.py. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef TM_CLONES
#define TM_CLONES
#endif

/* 16 channels side by side: one AVX-512 register, two AVX2 ones, four SSE ones. */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

#define load16(p)                                                                                          \
    __extension__({                                                                                        \
        v16f v_;                                                                                           \
        memcpy(&v_, (p), sizeof v_);                                                                       \
        v_;                                                                                                \
    })

/* One output pixel's channels [c0, c0 + width) (width 16, or the scalar tail), running over the window's
 * valid rows [hs, he) x columns [ws, we) of image xn. */
#define POOL_BLOCK(width)                                                                                  \
    do {                                                                                                   \
        for (; c0 + (width) <= C; c0 += (width)) {                                                         \
            v16f m;                                                                                        \
            v16i a;                                                                                        \
            int64_t h = hs, w = ws;                                                                        \
            if (rule == 0) {                                                                               \
                m = (v16f){0} - FLT_MAX;                                                                   \
                a = (v16i){0} + first;                                                                     \
            } else {                                                                                       \
                m = load16(xn + (hs * W + ws) * C + c0);                                                   \
                a = (v16i){0} + (int32_t)(hs * W + ws);                                                    \
                if (++w == we) {                                                                           \
                    w = ws;                                                                                \
                    ++h;                                                                                   \
                }                                                                                          \
            }                                                                                              \
            for (; h < he; ++h, w = ws) {                                                                  \
                for (; w < we; ++w) {                                                                      \
                    const v16f v = load16(xn + (h * W + w) * C + c0);                                      \
                    const v16i greater = v > m;                                                            \
                    m = (v16f)(((v16i)v & greater) | ((v16i)m & ~greater));                                \
                    a = (((v16i){0} + (int32_t)(h * W + w)) & greater) | (a & ~greater);                   \
                }                                                                                          \
            }                                                                                              \
            if (y) memcpy(y + o + c0, &m, sizeof m);                                                       \
            memcpy(argmax + o + c0, &a, sizeof a);                                                         \
        }                                                                                                  \
    } while (0)

TM_CLONES void tm_max_pool_forward(const float *x, int64_t N, int64_t H, int64_t W, int64_t C, int64_t kh,
                                   int64_t kw, int64_t sh, int64_t sw, int64_t top, int64_t left, int64_t OH,
                                   int64_t OW, int rule, float *y, int32_t *argmax) {
    for (int64_t n = 0; n < N; ++n) {
        const float *xn = x + n * H * W * C;
        for (int64_t oh = 0; oh < OH; ++oh) {
            const int64_t h0 = oh * sh - top;
            const int64_t hs = h0 < 0 ? 0 : h0, he = h0 + kh > H ? H : h0 + kh;
            for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t w0 = ow * sw - left;
                const int64_t ws = w0 < 0 ? 0 : w0, we = w0 + kw > W ? W : w0 + kw;
                const int64_t o = ((n * OH + oh) * OW + ow) * C;
                const int32_t first = (h0 < 0 || w0 < 0) ? -1 : (int32_t)(h0 * W + w0);
                if (rule != 0 && (hs >= he || ws >= we)) { /* no valid position (not for TF's windows) */
                    for (int64_t c = 0; c < C; ++c) argmax[o + c] = -1;
                    continue;
                }
                int64_t c0 = 0;
                POOL_BLOCK(16);
                for (; c0 < C; ++c0) { /* the channels after the last block of 16 */
                    float m;
                    int32_t a;
                    int64_t h = hs, w = ws;
                    if (rule == 0) {
                        m = -FLT_MAX;
                        a = first;
                    } else {
                        m = xn[(hs * W + ws) * C + c0];
                        a = (int32_t)(hs * W + ws);
                        if (++w == we) {
                            w = ws;
                            ++h;
                        }
                    }
                    for (; h < he; ++h, w = ws) {
                        for (; w < we; ++w) {
                            const float v = xn[(h * W + w) * C + c0];
                            if (v > m) {
                                m = v;
                                a = (int32_t)(h * W + w);
                            }
                        }
                    }
                    if (y) y[o + c0] = m;
                    argmax[o + c0] = a;
                }
            }
        }
    }
}

/* The input gradient; with ``relu_y`` (the maxima the argmax belongs to) also through the Relu whose output
 * was pooled, ReluGrad(MaxPoolGrad(...), x): a window's gradient g times (its maximum > 0) (g * 0 keeps
 * TF's sign of zero and NaN for a non-finite g), since its maximum is x at its argmax (or, for a window
 * with nothing above -FLT_MAX, is not > 0 and neither is x there). */
TM_CLONES void tm_max_pool_backward(const float *grad, const int32_t *argmax, const float *relu_y, int64_t N,
                                    int64_t H, int64_t W, int64_t C, int64_t kh, int64_t kw, int64_t sh,
                                    int64_t sw, int64_t top, int64_t left, int64_t OH, int64_t OW, float *out) {
    const int tiles = sh == kh && sw == kw && top == 0 && left == 0 && OH * sh == H && OW * sw == W;
    for (int64_t n = 0; n < N; ++n) {
        float *outn = out + n * H * W * C;
        const float *gn = grad + n * OH * OW * C;
        const int32_t *an = argmax + n * OH * OW * C;
        const float *yn = relu_y ? relu_y + n * OH * OW * C : NULL;
        if (tiles) {
            for (int64_t oh = 0; oh < OH; ++oh) {
                for (int64_t ow = 0; ow < OW; ++ow) {
                    const float *g = gn + (oh * OW + ow) * C;
                    const int32_t *a = an + (oh * OW + ow) * C;
                    const float *yo = yn ? yn + (oh * OW + ow) * C : NULL;
                    for (int64_t h = oh * sh; h < oh * sh + kh; ++h) {
                        for (int64_t w = ow * sw; w < ow * sw + kw; ++w) {
                            float *d = outn + (h * W + w) * C;
                            const int32_t pos = (int32_t)(h * W + w);
                            int64_t c = 0;
                            for (; c + 16 <= C; c += 16) {
                                v16f gv;
                                v16i av;
                                memcpy(&gv, g + c, sizeof gv);
                                memcpy(&av, a + c, sizeof av);
                                if (yo) {
                                    const v16f yv = load16(yo + c);
                                    const v16i positive = yv > (v16f){0};
                                    gv = (v16f)(((v16i)gv & positive) | ((v16i)(gv * 0.0f) & ~positive));
                                }
                                const v16i hit = av == pos;
                                const v16f dv = (v16f)((v16i)gv & hit);
                                memcpy(d + c, &dv, sizeof dv);
                            }
                            for (; c < C; ++c) {
                                const float gc = !yo || yo[c] > 0.0f ? g[c] : g[c] * 0.0f;
                                d[c] = a[c] == pos ? gc : 0.0f;
                            }
                        }
                    }
                }
            }
            continue;
        }
        memset(outn, 0, (size_t)(H * W * C) * sizeof(float));
        for (int64_t o = 0; o < OH * OW; ++o) {
            const float *g = gn + o * C;
            const int32_t *a = an + o * C;
            const float *yo = yn ? yn + o * C : NULL;
            for (int64_t c = 0; c < C; ++c) {
                if (a[c] >= 0) outn[(int64_t)a[c] * C + c] += !yo || yo[c] > 0.0f ? g[c] : g[c] * 0.0f;
            }
        }
    }
}
