/* SparseSoftmaxCrossEntropyWithLogits of float32 as TensorFlow's CPU kernel computes it, in one pass per row:
 *
 *     m = max(x),  s = x - m,  e = exp(s),  sum = sum(e),
 *     loss = log(sum) - s[label],  backprop = e / sum - onehot(label).
 *
 * torch needs six or seven small kernels for the two outputs (log_softmax, gather, neg, exp, scatter_add and
 * their allocations: ~30 us on [128, 10] at one thread); this loop takes a few. expf and logf are libm's, which
 * differ from Eigen's vectorized exp and log in the last bits at most. A NaN or +inf in a row (through inf - inf)
 * makes all of its outputs NaN, as in TF.
 * Returns -1, or the first row whose label is outside [0, cols) (its outputs unwritten: the caller raises).
 * Built and loaded by torchmeta/ops/native_build.py; called by torchmeta/ops/xent_native.py. */
#include <math.h>
#include <stdint.h>

int64_t tm_sparse_xent_f32(const float *logits, const void *labels, int32_t labels64, int64_t rows, int64_t cols,
                           float *loss, float *backprop) {
  for (int64_t i = 0; i < rows; i++) {
    const int64_t label = labels64 ? ((const int64_t *)labels)[i] : ((const int32_t *)labels)[i];
    if (label < 0 || label >= cols) {
      return i;
    }
  }
  for (int64_t i = 0; i < rows; i++) {
    const float *x = logits + i * cols;
    float *e = backprop + i * cols;
    const int64_t label = labels64 ? ((const int64_t *)labels)[i] : ((const int32_t *)labels)[i];
    float m = x[0];
    for (int64_t j = 1; j < cols; j++) {
      m = x[j] > m ? x[j] : m;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; j++) {
      e[j] = expf(x[j] - m);
      sum += e[j];
    }
    loss[i] = logf(sum) - (x[label] - m);
    for (int64_t j = 0; j < cols; j++) {
      e[j] = e[j] / sum;
    }
    e[label] -= 1.0f;
  }
  return -1;
}
