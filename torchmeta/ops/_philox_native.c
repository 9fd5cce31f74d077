/* Philox4x32-10 blocks for torchmeta's CPU random ops (the numbers of torchmeta/ops/philox.py, faster).

   Compiled on first use by torchmeta/ops/philox_native.py with the system C compiler and loaded with
   ctypes; without a compiler torchmeta uses its numpy implementation (the same numbers). */

#include <math.h>
#include <stdint.h>

static void philox_block(uint64_t key, uint64_t lo, uint64_t hi, uint32_t *out) {
  uint32_t c0 = (uint32_t)lo, c1 = (uint32_t)(lo >> 32), c2 = (uint32_t)hi, c3 = (uint32_t)(hi >> 32);
  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
  for (int r = 0; r < 10; r++) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* Blocks counter + first .. counter + first + n - 1 (128-bit counter: lo, hi), or counter + offsets[i]. */
void tm_philox_blocks(uint64_t key, uint64_t lo, uint64_t hi, int64_t first, int64_t n, const uint64_t *offsets,
                      uint32_t *out) {
  for (int64_t i = 0; i < n; i++) {
    uint64_t off = offsets ? offsets[i] : (uint64_t)(first + i);
    uint64_t l = lo + off;
    uint64_t h = hi + (l < off);
    philox_block(key, l, h, out + 4 * i);
  }
}

/* TF's UniformDistribution<float>: 4 floats per block from the low 23 bits of each word. */
void tm_philox_uniform_float(uint64_t key, uint64_t lo, uint64_t hi, int64_t first, int64_t n, float *out) {
  uint32_t w[4];
  for (int64_t i = 0; i < n; i++) {
    uint64_t off = (uint64_t)(first + i);
    uint64_t l = lo + off;
    uint64_t h = hi + (l < off);
    philox_block(key, l, h, w);
    for (int j = 0; j < 4; j++) {
      union {
        uint32_t u;
        float f;
      } v;
      v.u = (w[j] & 0x7fffffu) | 0x3f800000u;
      out[4 * i + j] = v.f - 1.0f;
    }
  }
}

/* ---- glibc's logf and sincosf (ARM optimized-routines algorithms, as torchmeta/ops/glibc_math.py) ---- */

static const double kLogfInvc[16] = {
    0x1.661ec79f8f3bep+0, 0x1.571ed4aaf883dp+0, 0x1.49539f0f010bp+0,  0x1.3c995b0b80385p+0,
    0x1.30d190c8864a5p+0, 0x1.25e227b0b8eap+0,  0x1.1bb4a4a1a343fp+0, 0x1.12358f08ae5bap+0,
    0x1.0953f419900a7p+0, 0x1p+0,               0x1.e608cfd9a47acp-1, 0x1.ca4b31f026aap-1,
    0x1.b2036576afce6p-1, 0x1.9c2d163a1aa2dp-1, 0x1.886e6037841edp-1, 0x1.767dcf5534862p-1};
static const double kLogfLogc[16] = {
    -0x1.57bf7808caadep-2, -0x1.2bef0a7c06ddbp-2, -0x1.01eae7f513a67p-2, -0x1.b31d8a68224e9p-3,
    -0x1.6574f0ac07758p-3, -0x1.1aa2bc79c81p-3,   -0x1.a4e76ce8c0e5ep-4, -0x1.1973c5a611cccp-4,
    -0x1.252f438e10c1ep-5, 0x0p+0,                0x1.aa5aa5df25984p-5,  0x1.c5e53aa362eb4p-4,
    0x1.526e57720db08p-3,  0x1.bc2860d22477p-3,   0x1.1058bc8a07ee1p-2,  0x1.4043057b6ee09p-2};

static uint32_t bits_of(float f) {
  union {
    float f;
    uint32_t u;
  } v;
  v.f = f;
  return v.u;
}

static float float_of(uint32_t u) {
  union {
    uint32_t u;
    float f;
  } v;
  v.u = u;
  return v.f;
}

/* For positive normal x (Box-Muller's u1 in [1e-7, 1)). */
static float tm_logf(float x) {
  uint32_t ix = bits_of(x);
  uint32_t tmp = ix - 0x3f330000u;
  int i = (tmp >> 19) % 16;
  int k = (int32_t)tmp >> 23;
  uint32_t iz = ix - (tmp & 0xff800000u);
  double z = (double)float_of(iz);
  double r = z * kLogfInvc[i] - 1.0;
  double y0 = kLogfLogc[i] + (double)k * 0x1.62e42fefa39efp-1;
  double r2 = r * r;
  double y = 0x1.5575b0be00b6ap-2 * r + -0x1.ffffef20a4123p-2;
  y = -0x1.00ea348b88334p-2 * r2 + y;
  y = y * r2 + (y0 + r);
  return (float)y;
}

/* For 0 <= v < 120 (Box-Muller's 2 pi u). */
static void tm_sincosf(float v, float *sinp, float *cosp) {
  uint32_t top = (bits_of(v) >> 20) & 0x7ff;
  double x = v;
  if (top < 0x398) { /* |v| < 2^-12 */
    *sinp = v;
    *cosp = 1.0f;
    return;
  }
  int n = 0;
  double xr = x;
  if (top >= 0x3f4) { /* not below pi/4 (by the top 12 bits): reduce */
    double r = x * 0x1.45F306DC9C883p+23;
    n = ((int32_t)r + 0x800000) >> 24;
    xr = x - n * 0x1.921FB54442D18p0;
  }
  double sign = ((n + 1) >> 1) & 1 ? -1.0 : 1.0;
  double cs = (n >> 1) & 1 ? -1.0 : 1.0;
  double xs = xr * sign;
  double x2 = xr * xr;
  double x4 = x2 * x2;
  double x3 = x2 * xs;
  double c2 = cs * -0x1.6c087e89a359dp-10 + x2 * (cs * 0x1.99343027bf8c3p-16);
  double s1 = 0x1.1107605230bc4p-7 + x2 * -0x1.994eb3774cf24p-13;
  double c1 = cs * 0x1p0 + x2 * (cs * -0x1.ffffffd0c621cp-2);
  double x5 = x3 * x2;
  double x6 = x4 * x2;
  double s = xs + x3 * -0x1.555545995a603p-3;
  double c = c1 + x4 * (cs * 0x1.55553e1068f19p-5);
  float sin_poly = (float)(s + x5 * s1);
  float cos_poly = (float)(c + x6 * c2);
  if (n & 1) {
    *sinp = cos_poly;
    *cosp = sin_poly;
  } else {
    *sinp = sin_poly;
    *cosp = cos_poly;
  }
}

static float uniform_of(uint32_t w) { return float_of((w & 0x7fffffu) | 0x3f800000u) - 1.0f; }

static void box_muller(uint32_t x0, uint32_t x1, float *f0, float *f1) {
  float u1 = uniform_of(x0);
  if (u1 < 1.0e-7f) u1 = 1.0e-7f;
  float v1 = (float)(2.0 * 3.14159265358979323846 * (double)uniform_of(x1));
  float u2 = sqrtf(-2.0f * tm_logf(u1));
  float s, c;
  tm_sincosf(v1, &s, &c);
  *f0 = s * u2;
  *f1 = c * u2;
}

/* TF's NormalDistribution<float>: 4 normals per block. */
void tm_philox_normal_float(uint64_t key, uint64_t lo, uint64_t hi, int64_t first, int64_t n, float *out) {
  uint32_t w[4];
  for (int64_t i = 0; i < n; i++) {
    uint64_t off = (uint64_t)(first + i);
    uint64_t l = lo + off;
    philox_block(key, l, hi + (l < off), w);
    box_muller(w[0], w[1], out + 4 * i, out + 4 * i + 1);
    box_muller(w[2], w[3], out + 4 * i + 2, out + 4 * i + 3);
  }
}

/* TF's TruncatedNormalDistribution<float> (groups of 4, each reading words from block 256 * group on). */
void tm_philox_truncated_normal_float(uint64_t key, uint64_t lo, uint64_t hi, int64_t first, int64_t n, float *out) {
  uint32_t w[4];
  for (int64_t g = first; g < first + n; g++) {
    uint64_t block = (uint64_t)g * 256u;
    int used = 4, got = 0;
    while (got < 4) {
      uint32_t x[2];
      for (int j = 0; j < 2; j++) {
        if (used == 4) {
          uint64_t l = lo + block;
          philox_block(key, l, hi + (l < block), w);
          block++;
          used = 0;
        }
        x[j] = w[used++];
      }
      float f[2];
      box_muller(x[0], x[1], &f[0], &f[1]);
      for (int j = 0; j < 2 && got < 4; j++) {
        if (fabsf(f[j]) < 2.0f) out[4 * (g - first) + got++] = f[j];
      }
    }
  }
}
