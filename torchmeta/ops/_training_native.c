/* Dense optimizer updates over a list of variables in one call: TF's CPU functors of training_ops.cc
 * (ApplyGradientDescent, ApplyMomentum with or without Nesterov, ApplyAdam with or without Nesterov), the
 * same operations in the same order on every element, in the variable's type (float or double). Built
 * with -ffp-contract=off: no fused multiply-adds, so every element rounds as Eigen's packet code does.
 *
 * Member k is a variable (and its slots) of numel[k] contiguous elements and a gradient of the same shape:
 * its data pointer and, where it is not contiguous (a filter gradient permuted from torch's layout), its
 * sizes and element strides: meta[k * META] = ndim (0: contiguous), then MAXDIM sizes, then MAXDIM
 * strides. The variable's elements are visited in row-major order, the gradient's through its strides, one
 * innermost row at a time.
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/training_native.py. */
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

#define MAXDIM 8
#define META (1 + 2 * MAXDIM)

/* The innermost rows of one member: row r covers the variable's elements [r * inner, (r + 1) * inner)
 * and the gradient's from goff with stride gstride. */
typedef struct {
    int64_t nd, inner, gstride, goff, idx[MAXDIM];
    const int64_t *size, *stride;
} rows_t;

static void rows_init(rows_t *r, const int64_t *meta, int64_t numel) {
    r->nd = meta[0];
    r->goff = 0;
    r->size = r->stride = 0;
    if (r->nd == 0) {
        r->inner = numel;
        r->gstride = 1;
        return;
    }
    r->size = meta + 1;
    r->stride = meta + 1 + MAXDIM;
    r->inner = r->size[r->nd - 1];
    r->gstride = r->stride[r->nd - 1];
    for (int64_t d = 0; d < r->nd; ++d) r->idx[d] = 0;
}

/* Moves goff to the next row's first gradient element (an odometer over the outer dimensions). */
static void rows_next(rows_t *r) {
    for (int64_t d = r->nd - 2; d >= 0; --d) {
        if (++r->idx[d] < r->size[d]) {
            r->goff += r->stride[d];
            return;
        }
        r->goff -= (r->idx[d] - 1) * r->stride[d];
        r->idx[d] = 0;
    }
}

/* var -= grad * alpha */
#define GD_ROW(T)                                                                                          \
    TM_CLONES static void gd_row_##T(T *v, const T *g, int64_t n, int64_t gs, T alpha) {                   \
        if (gs == 1)                                                                                       \
            for (int64_t i = 0; i < n; ++i) v[i] = v[i] - g[i] * alpha;                                    \
        else                                                                                               \
            for (int64_t i = 0; i < n; ++i) v[i] = v[i] - g[i * gs] * alpha;                               \
    }

/* accum = accum * momentum + grad; var -= accum * lr (Nesterov: var -= grad * lr + accum * momentum * lr) */
#define MOMENTUM_ROW(T)                                                                                    \
    TM_CLONES static void momentum_row_##T(T *v, T *a, const T *g, int64_t n,                              \
                                           int64_t gs, T lr, T mom, int nesterov) {                        \
        if (nesterov) {                                                                                    \
            for (int64_t i = 0; i < n; ++i) {                                                              \
                T gi = g[i * gs], ai = a[i] * mom + gi;                                                    \
                a[i] = ai;                                                                                 \
                v[i] = v[i] - (gi * lr + ai * mom * lr);                                                   \
            }                                                                                              \
        } else if (gs == 1) {                                                                              \
            for (int64_t i = 0; i < n; ++i) {                                                              \
                T ai = a[i] * mom + g[i];                                                                  \
                a[i] = ai;                                                                                 \
                v[i] = v[i] - ai * lr;                                                                     \
            }                                                                                              \
        } else {                                                                                           \
            for (int64_t i = 0; i < n; ++i) {                                                              \
                T ai = a[i] * mom + g[i * gs];                                                             \
                a[i] = ai;                                                                                 \
                v[i] = v[i] - ai * lr;                                                                     \
            }                                                                                              \
        }                                                                                                  \
    }

/* Adam's square root does not vectorize by itself (sqrtf may set errno), so its rows are written on vectors:
 * element-wise IEEE arithmetic as the scalar code, the root by the correctly rounded vector sqrt. Each row
 * function is compiled per target on the vectors its registers hold (AVX2: 32 bytes, otherwise SSE's 16),
 * the row picking one at run time: the 16-byte code in an AVX2 clone took 3.2 ms for 3.2M floats on an
 * AVX2-only EPYC, the 32-byte code 2.0 ms. */
typedef float vec_float __attribute__((vector_size(16)));
typedef double vec_double __attribute__((vector_size(16)));
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target)
#define TM_X86
#endif
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define vsqrt_float(x) ((vec_float)_mm_sqrt_ps((__m128)(x)))
#define vsqrt_double(x) ((vec_double)_mm_sqrt_pd((__m128d)(x)))
#else
static inline vec_float vsqrt_float(vec_float x) {
    for (int j = 0; j < 4; ++j) x[j] = sqrtf(x[j]);
    return x;
}
static inline vec_double vsqrt_double(vec_double x) {
    for (int j = 0; j < 2; ++j) x[j] = sqrt(x[j]);
    return x;
}
#endif
#ifdef TM_X86
typedef float vec8_float __attribute__((vector_size(32)));
typedef double vec4_double __attribute__((vector_size(32)));
#define vsqrt8_float(x) ((vec8_float)_mm256_sqrt_ps((__m256)(x)))
#define vsqrt4_double(x) ((vec4_double)_mm256_sqrt_pd((__m256d)(x)))
#endif

/* m += (grad - m) * (1 - beta1); v += (grad * grad - v) * (1 - beta2);
 * var -= (m * alpha) / (sqrt(v) + epsilon)
 * (Nesterov: var -= ((grad * (1 - beta1) + beta1 * m) * alpha) / (sqrt(v) + epsilon))
 * on vectors VEC (rooted by VSQRT), the tail by SQRT. */
#define ADAM_ROW(NAME, ATTR, T, VEC, VSQRT, SQRT)                                                          \
    ATTR static void NAME(T *var, T *m, T *v, const T *g, int64_t n, int64_t gs, T alpha, T beta1, T omb1, \
                          T omb2, T eps, int nesterov) {                                                   \
        enum { W = sizeof(VEC) / sizeof(T) };                                                              \
        int64_t i = 0;                                                                                     \
        for (; i + W <= n; i += W) {                                                                       \
            VEC gi, mi, vi, xi, step;                                                                      \
            if (gs == 1)                                                                                   \
                memcpy(&gi, g + i, sizeof gi);                                                             \
            else                                                                                           \
                for (int j = 0; j < W; ++j) gi[j] = g[(i + j) * gs];                                       \
            memcpy(&mi, m + i, sizeof mi);                                                                 \
            memcpy(&vi, v + i, sizeof vi);                                                                 \
            memcpy(&xi, var + i, sizeof xi);                                                               \
            mi = mi + (gi - mi) * omb1;                                                                    \
            vi = vi + (gi * gi - vi) * omb2;                                                               \
            step = nesterov ? (gi * omb1 + beta1 * mi) * alpha : mi * alpha;                               \
            xi = xi - step / (VSQRT(vi) + eps);                                                            \
            memcpy(m + i, &mi, sizeof mi);                                                                 \
            memcpy(v + i, &vi, sizeof vi);                                                                 \
            memcpy(var + i, &xi, sizeof xi);                                                               \
        }                                                                                                  \
        for (; i < n; ++i) {                                                                               \
            T gi = g[i * gs];                                                                              \
            T mi = m[i] + (gi - m[i]) * omb1;                                                              \
            T vi = v[i] + (gi * gi - v[i]) * omb2;                                                         \
            T step = nesterov ? (gi * omb1 + beta1 * mi) * alpha : mi * alpha;                             \
            m[i] = mi;                                                                                     \
            v[i] = vi;                                                                                     \
            var[i] = var[i] - step / (SQRT(vi) + eps);                                                     \
        }                                                                                                  \
    }

ADAM_ROW(adam_row_sse_float, , float, vec_float, vsqrt_float, sqrtf)
ADAM_ROW(adam_row_sse_double, , double, vec_double, vsqrt_double, sqrt)
#ifdef TM_X86
ADAM_ROW(adam_row_avx2_float, __attribute__((target("avx2"))), float, vec8_float, vsqrt8_float, sqrtf)
ADAM_ROW(adam_row_avx2_double, __attribute__((target("avx2"))), double, vec4_double, vsqrt4_double, sqrt)
#define ADAM_AVX2(T) __builtin_cpu_supports("avx2") ? adam_row_avx2_##T :
#else
#define ADAM_AVX2(T)
#endif

/* The entry points: ``count`` members; hyper-parameters as doubles holding the variable type's values. */
#define ENTRY_POINTS(T, SUFFIX)                                                                            \
    GD_ROW(T)                                                                                              \
    MOMENTUM_ROW(T)                                                                                        \
    void tm_gradient_descent_##SUFFIX(int64_t count, void **var, void **grad, const int64_t *numel,        \
                                      const int64_t *meta, double alpha) {                                 \
        for (int64_t k = 0; k < count; ++k) {                                                              \
            T *vk = (T *)var[k];                                                                           \
            const T *gk = (const T *)grad[k];                                                              \
            rows_t r;                                                                                      \
            rows_init(&r, meta + k * META, numel[k]);                                                      \
            for (int64_t off = 0; off < numel[k]; off += r.inner, rows_next(&r))                           \
                gd_row_##T(vk + off, gk + r.goff, r.inner, r.gstride, (T)alpha);                           \
        }                                                                                                  \
    }                                                                                                      \
    void tm_momentum_##SUFFIX(int64_t count, void **var, void **accum, void **grad, const int64_t *numel,  \
                              const int64_t *meta, double lr, double momentum, int nesterov) {             \
        for (int64_t k = 0; k < count; ++k) {                                                              \
            T *vk = (T *)var[k], *ak = (T *)accum[k];                                                      \
            const T *gk = (const T *)grad[k];                                                              \
            rows_t r;                                                                                      \
            rows_init(&r, meta + k * META, numel[k]);                                                      \
            for (int64_t off = 0; off < numel[k]; off += r.inner, rows_next(&r))                           \
                momentum_row_##T(vk + off, ak + off, gk + r.goff, r.inner, r.gstride, (T)lr, (T)momentum,  \
                                 nesterov);                                                                \
        }                                                                                                  \
    }                                                                                                      \
    void tm_adam_##SUFFIX(int64_t count, void **var, void **m, void **v, void **grad, const int64_t *numel, \
                          const int64_t *meta, double alpha, double beta1, double one_minus_beta1,         \
                          double one_minus_beta2, double epsilon, int nesterov) {                          \
        for (int64_t k = 0; k < count; ++k) {                                                              \
            T *vark = (T *)var[k], *mk = (T *)m[k], *vk = (T *)v[k];                                       \
            void (*adam_row)(T *, T *, T *, const T *, int64_t, int64_t, T, T, T, T, T, int) =             \
                ADAM_AVX2(T) adam_row_sse_##T;                                                             \
            const T *gk = (const T *)grad[k];                                                              \
            rows_t r;                                                                                      \
            rows_init(&r, meta + k * META, numel[k]);                                                      \
            for (int64_t off = 0; off < numel[k]; off += r.inner, rows_next(&r))                           \
                adam_row(vark + off, mk + off, vk + off, gk + r.goff, r.inner, r.gstride, (T)alpha,        \
                             (T)beta1, (T)one_minus_beta1, (T)one_minus_beta2, (T)epsilon, nesterov);      \
        }                                                                                                  \
    }

ENTRY_POINTS(float, f32)
ENTRY_POINTS(double, f64)
