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
 * Maxima alone (rule 0, no argmax; for a MaxPool no gradient reads: inference): up to four blocks of channels
 * keep their running maxima in registers over the window; the same values as the forward's y.
 * Backward: zeros, then each output's gradient added at its argmax, outputs in row-major order. Where the
 * windows tile the input exactly (stride = window, every input position in one window), each input
 * position is written once instead (0 + gradient, or zero), without the zero fill.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/pool_native.py. */
#include <float.h>
#include <stdint.h>
#include <string.h>

/* Each kernel is compiled once per target, on the vectors that target's registers hold: 16 channels side by
 * side in one AVX-512 register, 8 in one AVX2 register, 4 in one SSE register; the entry points pick one at
 * run time. (One width for all targets does not do: GCC 12 splits a 64-byte vector through the stack where
 * the target has no 64-byte registers, and its AVX2 code then ran 3-6x slower than on 32-byte vectors.) */
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

#define LOAD(VF, p)                                                                                        \
    __extension__({                                                                                        \
        VF v_;                                                                                             \
        memcpy(&v_, (p), sizeof v_);                                                                       \
        v_;                                                                                                \
    })

/* v where v > m, else m (the maximum of the two where NaN never wins: one vmaxps) */
#define VMAX(VF, VI, v, m) ((VF)(((VI)(v) & ((v) > (m))) | ((VI)(m) & ~((v) > (m)))))

/* One output pixel's channels [c0, c0 + width) in blocks of VF's width, running over the window's valid rows
 * [hs, he) x columns [ws, we) of image xn. */
#define POOL_BLOCK(VF, VI)                                                                                 \
    do {                                                                                                   \
        for (; c0 + (int64_t)(sizeof(VF) / 4) <= C; c0 += sizeof(VF) / 4) {                                \
            VF m;                                                                                          \
            VI a;                                                                                          \
            int64_t h = hs, w = ws;                                                                        \
            if (rule == 0) {                                                                               \
                m = (VF){0} - FLT_MAX;                                                                     \
                a = (VI){0} + first;                                                                       \
            } else {                                                                                       \
                m = LOAD(VF, xn + (hs * W + ws) * C + c0);                                                 \
                a = (VI){0} + (int32_t)(hs * W + ws);                                                      \
                if (++w == we) {                                                                           \
                    w = ws;                                                                                \
                    ++h;                                                                                   \
                }                                                                                          \
            }                                                                                              \
            for (; h < he; ++h, w = ws) {                                                                  \
                for (; w < we; ++w) {                                                                      \
                    const VF v = LOAD(VF, xn + (h * W + w) * C + c0);                                      \
                    const VI greater = v > m;                                                              \
                    m = (VF)(((VI)v & greater) | ((VI)m & ~greater));                                      \
                    a = (((VI){0} + (int32_t)(h * W + w)) & greater) | (a & ~greater);                     \
                }                                                                                          \
            }                                                                                              \
            if (y) memcpy(y + o + c0, &m, sizeof m);                                                       \
            memcpy(argmax + o + c0, &a, sizeof a);                                                         \
        }                                                                                                  \
    } while (0)

/* The forward and backward kernels on vectors VF/VI: static functions max_pool_{forward,backward}_SUFFIX with
 * attributes ATTR. */
#define MAX_POOL_KERNELS(SUFFIX, ATTR, VF, VI)                                                             \
ATTR static void max_pool_forward_##SUFFIX(const float *x, int64_t N, int64_t H, int64_t W, int64_t C,     \
                                           int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t top,    \
                                           int64_t left, int64_t OH, int64_t OW, int rule, float *y,       \
                                           int32_t *argmax) {                                              \
    for (int64_t n = 0; n < N; ++n) {                                                                      \
        const float *xn = x + n * H * W * C;                                                               \
        for (int64_t oh = 0; oh < OH; ++oh) {                                                              \
            const int64_t h0 = oh * sh - top;                                                              \
            const int64_t hs = h0 < 0 ? 0 : h0, he = h0 + kh > H ? H : h0 + kh;                            \
            for (int64_t ow = 0; ow < OW; ++ow) {                                                          \
                const int64_t w0 = ow * sw - left;                                                         \
                const int64_t ws = w0 < 0 ? 0 : w0, we = w0 + kw > W ? W : w0 + kw;                        \
                const int64_t o = ((n * OH + oh) * OW + ow) * C;                                           \
                const int32_t first = (h0 < 0 || w0 < 0) ? -1 : (int32_t)(h0 * W + w0);                    \
                if (rule != 0 && (hs >= he || ws >= we)) { /* no valid position (not for TF's windows) */  \
                    for (int64_t c = 0; c < C; ++c) argmax[o + c] = -1;                                    \
                    continue;                                                                              \
                }                                                                                          \
                int64_t c0 = 0;                                                                            \
                POOL_BLOCK(VF, VI);                                                                        \
                for (; c0 < C; ++c0) { /* the channels after the last block */                             \
                    float m;                                                                               \
                    int32_t a;                                                                             \
                    int64_t h = hs, w = ws;                                                                \
                    if (rule == 0) {                                                                       \
                        m = -FLT_MAX;                                                                      \
                        a = first;                                                                         \
                    } else {                                                                               \
                        m = xn[(hs * W + ws) * C + c0];                                                    \
                        a = (int32_t)(hs * W + ws);                                                        \
                        if (++w == we) {                                                                   \
                            w = ws;                                                                        \
                            ++h;                                                                           \
                        }                                                                                  \
                    }                                                                                      \
                    for (; h < he; ++h, w = ws) {                                                          \
                        for (; w < we; ++w) {                                                              \
                            const float v = xn[(h * W + w) * C + c0];                                      \
                            if (v > m) {                                                                   \
                                m = v;                                                                     \
                                a = (int32_t)(h * W + w);                                                  \
                            }                                                                              \
                        }                                                                                  \
                    }                                                                                      \
                    if (y) y[o + c0] = m;                                                                  \
                    argmax[o + c0] = a;                                                                    \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
}                                                                                                          \
                                                                                                           \
/* The maxima alone (rule 0, no argmax: inference): per output pixel, up to four VF blocks of channels keep    \
 * their running maxima in registers over the window, so each input row is read once per block. */         \
ATTR static void max_pool_values_##SUFFIX(const float *x, int64_t N, int64_t H, int64_t W, int64_t C,      \
                                          int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t top,     \
                                          int64_t left, int64_t OH, int64_t OW, float *y) {                \
    const int64_t L = sizeof(VF) / 4;                                                                      \
    for (int64_t n = 0; n < N; ++n) {                                                                      \
        const float *xn = x + n * H * W * C;                                                               \
        for (int64_t oh = 0; oh < OH; ++oh) {                                                              \
            const int64_t h0 = oh * sh - top;                                                              \
            const int64_t hs = h0 < 0 ? 0 : h0, he = h0 + kh > H ? H : h0 + kh;                            \
            for (int64_t ow = 0; ow < OW; ++ow) {                                                          \
                const int64_t w0 = ow * sw - left;                                                         \
                const int64_t ws = w0 < 0 ? 0 : w0, we = w0 + kw > W ? W : w0 + kw;                        \
                float *yo = y + ((n * OH + oh) * OW + ow) * C;                                             \
                int64_t c0 = 0;                                                                            \
                for (; c0 + 4 * L <= C; c0 += 4 * L) {                                                     \
                    VF m0 = (VF){0} - FLT_MAX, m1 = m0, m2 = m0, m3 = m0;                                  \
                    for (int64_t h = hs; h < he; ++h) {                                                    \
                        for (int64_t w = ws; w < we; ++w) {                                                \
                            const float *p = xn + (h * W + w) * C + c0;                                    \
                            const VF v0 = LOAD(VF, p), v1 = LOAD(VF, p + L);                               \
                            const VF v2 = LOAD(VF, p + 2 * L), v3 = LOAD(VF, p + 3 * L);                   \
                            m0 = VMAX(VF, VI, v0, m0); /* NaN never wins */                                \
                            m1 = VMAX(VF, VI, v1, m1);                                                     \
                            m2 = VMAX(VF, VI, v2, m2);                                                     \
                            m3 = VMAX(VF, VI, v3, m3);                                                     \
                        }                                                                                  \
                    }                                                                                      \
                    memcpy(yo + c0, &m0, sizeof m0);                                                       \
                    memcpy(yo + c0 + L, &m1, sizeof m1);                                                   \
                    memcpy(yo + c0 + 2 * L, &m2, sizeof m2);                                               \
                    memcpy(yo + c0 + 3 * L, &m3, sizeof m3);                                               \
                }                                                                                          \
                for (; c0 + L <= C; c0 += L) {                                                             \
                    VF m = (VF){0} - FLT_MAX;                                                              \
                    for (int64_t h = hs; h < he; ++h) {                                                    \
                        for (int64_t w = ws; w < we; ++w) {                                                \
                            const VF v = LOAD(VF, xn + (h * W + w) * C + c0);                              \
                            m = VMAX(VF, VI, v, m);                                                        \
                        }                                                                                  \
                    }                                                                                      \
                    memcpy(yo + c0, &m, sizeof m);                                                         \
                }                                                                                          \
                for (; c0 < C; ++c0) {                                                                     \
                    float m = -FLT_MAX;                                                                    \
                    for (int64_t h = hs; h < he; ++h) {                                                    \
                        for (int64_t w = ws; w < we; ++w) {                                                \
                            const float v = xn[(h * W + w) * C + c0];                                      \
                            m = v > m ? v : m;                                                             \
                        }                                                                                  \
                    }                                                                                      \
                    yo[c0] = m;                                                                            \
                }                                                                                          \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
}                                                                                                          \
                                                                                                           \
ATTR static void max_pool_backward_##SUFFIX(const float *grad, const int32_t *argmax, const float *relu_y, \
                                            int64_t N, int64_t H, int64_t W, int64_t C, int64_t kh,        \
                                            int64_t kw, int64_t sh, int64_t sw, int64_t top, int64_t left, \
                                            int64_t OH, int64_t OW, float *out) {                          \
    const int tiles = sh == kh && sw == kw && top == 0 && left == 0 && OH * sh == H && OW * sw == W;       \
    for (int64_t n = 0; n < N; ++n) {                                                                      \
        float *outn = out + n * H * W * C;                                                                 \
        const float *gn = grad + n * OH * OW * C;                                                          \
        const int32_t *an = argmax + n * OH * OW * C;                                                      \
        const float *yn = relu_y ? relu_y + n * OH * OW * C : NULL;                                        \
        if (tiles) {                                                                                       \
            for (int64_t oh = 0; oh < OH; ++oh) {                                                          \
                for (int64_t ow = 0; ow < OW; ++ow) {                                                      \
                    const float *g = gn + (oh * OW + ow) * C;                                              \
                    const int32_t *a = an + (oh * OW + ow) * C;                                            \
                    const float *yo = yn ? yn + (oh * OW + ow) * C : NULL;                                 \
                    for (int64_t h = oh * sh; h < oh * sh + kh; ++h) {                                     \
                        for (int64_t w = ow * sw; w < ow * sw + kw; ++w) {                                 \
                            float *d = outn + (h * W + w) * C;                                             \
                            const int32_t pos = (int32_t)(h * W + w);                                      \
                            int64_t c = 0;                                                                 \
                            for (; c + (int64_t)(sizeof(VF) / 4) <= C; c += sizeof(VF) / 4) {              \
                                VF gv;                                                                     \
                                VI av;                                                                     \
                                memcpy(&gv, g + c, sizeof gv);                                             \
                                memcpy(&av, a + c, sizeof av);                                             \
                                gv = gv + 0.0f; /* TF adds to zeros: -0 becomes +0 */                      \
                                if (yo) {                                                                  \
                                    const VF yv = LOAD(VF, yo + c);                                        \
                                    const VI positive = yv > (VF){0};                                      \
                                    gv = (VF)(((VI)gv & positive) | ((VI)(gv * 0.0f) & ~positive));        \
                                }                                                                          \
                                const VI hit = av == pos;                                                  \
                                const VF dv = (VF)((VI)gv & hit);                                          \
                                memcpy(d + c, &dv, sizeof dv);                                             \
                            }                                                                              \
                            for (; c < C; ++c) {                                                           \
                                const float sum = g[c] + 0.0f;                                             \
                                const float gc = !yo || yo[c] > 0.0f ? sum : sum * 0.0f;                   \
                                d[c] = a[c] == pos ? gc : 0.0f;                                            \
                            }                                                                              \
                        }                                                                                  \
                    }                                                                                      \
                }                                                                                          \
            }                                                                                              \
            continue;                                                                                      \
        }                                                                                                  \
        memset(outn, 0, (size_t)(H * W * C) * sizeof(float));                                              \
        for (int64_t o = 0; o < OH * OW; ++o) {                                                            \
            const float *g = gn + o * C;                                                                   \
            const int32_t *a = an + o * C;                                                                 \
            for (int64_t c = 0; c < C; ++c) {                                                              \
                if (a[c] >= 0) outn[(int64_t)a[c] * C + c] += g[c];                                        \
            }                                                                                              \
        }                                                                                                  \
        if (!yn) continue;                                                                                 \
        /* ReluGrad after the sums, as TF's separate op: a position's windows all have its value as        \
         * their maximum, so one window's (max > 0) is the position's (x > 0); multiplying twice           \
         * changes nothing */                                                                              \
        for (int64_t o = 0; o < OH * OW; ++o) {                                                            \
            const float *yo = yn + o * C;                                                                  \
            const int32_t *a = an + o * C;                                                                 \
            for (int64_t c = 0; c < C; ++c) {                                                              \
                if (a[c] >= 0 && !(yo[c] > 0.0f)) outn[(int64_t)a[c] * C + c] *= 0.0f;                     \
            }                                                                                              \
        }                                                                                                  \
    }                                                                                                      \
}

#ifdef TM_X86
MAX_POOL_KERNELS(16, __attribute__((target("avx512f"))), v16f, v16i)
MAX_POOL_KERNELS(8, __attribute__((target("avx2"))), v8f, v8i)
#endif
MAX_POOL_KERNELS(4, , v4f, v4i)

void tm_max_pool_forward(const float *x, int64_t N, int64_t H, int64_t W, int64_t C, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t top, int64_t left, int64_t OH, int64_t OW, int rule,
                         float *y, int32_t *argmax) {
#ifdef TM_X86
    if (__builtin_cpu_supports("avx512f")) {
        max_pool_forward_16(x, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, rule, y, argmax);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        max_pool_forward_8(x, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, rule, y, argmax);
        return;
    }
#endif
    max_pool_forward_4(x, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, rule, y, argmax);
}

/* The maxima of rule 0 alone (what tm_max_pool_forward writes to y with rule 0, without the argmax). */
void tm_max_pool_values(const float *x, int64_t N, int64_t H, int64_t W, int64_t C, int64_t kh, int64_t kw,
                        int64_t sh, int64_t sw, int64_t top, int64_t left, int64_t OH, int64_t OW, float *y) {
#ifdef TM_X86
    if (__builtin_cpu_supports("avx512f")) {
        max_pool_values_16(x, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, y);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        max_pool_values_8(x, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, y);
        return;
    }
#endif
    max_pool_values_4(x, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, y);
}

/* The input gradient; with ``relu_y`` (the maxima the argmax belongs to) also through the Relu whose output
 * was pooled, ReluGrad(MaxPoolGrad(...), x): a position's summed gradient times (x > 0) (s * 0 keeps TF's
 * sign of zero and NaN for a non-finite s), where x > 0 is its windows' (maximum > 0), since a window's
 * maximum is x at its argmax (or, for a window with nothing above -FLT_MAX, is not > 0, nor is x there). */
void tm_max_pool_backward(const float *grad, const int32_t *argmax, const float *relu_y, int64_t N, int64_t H,
                          int64_t W, int64_t C, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t top,
                          int64_t left, int64_t OH, int64_t OW, float *out) {
#ifdef TM_X86
    if (__builtin_cpu_supports("avx512f")) {
        max_pool_backward_16(grad, argmax, relu_y, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, out);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        max_pool_backward_8(grad, argmax, relu_y, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, out);
        return;
    }
#endif
    max_pool_backward_4(grad, argmax, relu_y, N, H, W, C, kh, kw, sh, sw, top, left, OH, OW, out);
}
