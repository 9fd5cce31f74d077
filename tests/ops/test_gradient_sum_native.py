"""The native ReluGrad of a two-term AddN (torchmeta.ops.gradient_sum_native, run by specialization's
``add_n_relu_grad``) against TF's AddN + ReluGrad and against the two torch kernels it replaces, bit for bit:
NaN, infinities and signed zeros included, crops of larger tensors (a padded convolution's input gradient),
written over the first input or into a new tensor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import gradient_sum_native, math_ops, nn_ops
from torchmeta.runtime import specialize

# (no subnormals: TF's threads run with denormals flushed to zero, so a subnormal feature is not > 0 there,
# for ReluGrad alone as much as for this fusion; torch's CPU kernels keep them)
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 3e38, -3e38, 1e-30], np.float32)


def _values(shape, seed, special=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    if special:
        mask = rng.random(shape) < 0.3
        x[mask] = rng.choice(SPECIAL, int(mask.sum()))
    return x


def _bits(t):
    return np.asarray(t, dtype=np.float32).view(np.int32)


def _reference(a, b, f):
    return nn_ops.relu_grad(math_ops.add_n([a, b]), f)


@pytest.fixture
def without_native():
    lib, tried = gradient_sum_native.library.lib, gradient_sum_native.library.tried
    gradient_sum_native.library.lib, gradient_sum_native.library.tried = None, True
    yield
    gradient_sum_native.library.lib, gradient_sum_native.library.tried = lib, tried


pytestmark = pytest.mark.skipif(not gradient_sum_native.available(), reason="no C compiler for the native kernel")


@pytest.mark.parametrize("shape", [(2, 5, 7, 3), (3, 4, 4, 16), (37,), (4, 9)])
@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in-place"])
def test_native_equals_the_torch_kernels_bit_for_bit(shape, in_place):
    a, b, f = (torch.from_numpy(_values(shape, s)) for s in (0, 1, 2))
    expected = _reference(a, b, f)
    first = a.clone()
    got = gradient_sum_native.add_relu_grad(first, b, f, in_place)
    assert got is not None and (got is first) == in_place
    assert got.shape == expected.shape and got.dtype == torch.float32
    np.testing.assert_array_equal(_bits(got), _bits(expected))


@pytest.mark.parametrize("cropped", ["a", "b", "features"])
def test_crops_of_larger_tensors(cropped):
    """Row-contiguous views (a stride-2 convolution's input gradient cropped out of its padded size) are read
    in place; the result is a new contiguous tensor."""
    shape = (2, 6, 6, 5)
    t = {k: torch.from_numpy(_values(shape, s)) for s, k in enumerate(("a", "b", "features"))}
    big = torch.from_numpy(_values((2, 7, 8, 5), 9))
    big[:, :6, 1:7, :] = t[cropped]
    t[cropped] = big[:, :6, 1:7, :]
    assert not t[cropped].is_contiguous()
    expected = _reference(t["a"], t["b"], t["features"])
    got = gradient_sum_native.add_relu_grad(t["a"], t["b"], t["features"], in_place=True)
    assert got.is_contiguous() and (got is t["a"]) == (cropped != "a")
    np.testing.assert_array_equal(_bits(got), _bits(expected))


def test_other_inputs_are_left_to_the_torch_kernels(without_native):
    a = torch.randn(2, 3, 4, 5)
    assert gradient_sum_native.add_relu_grad(a.double(), a.double(), a.double()) is None
    assert gradient_sum_native.add_relu_grad(a, a[:1], a) is None
    assert gradient_sum_native.add_relu_grad(a, a, a) is None  # native kernel off
    b, f = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    np.testing.assert_array_equal(
        _bits(specialize.add_n_relu_grad(a.clone(), b, f, in_place=True)), _bits(_reference(a, b, f))
    )


def _graph(tf, values):
    a, b, f = (tf.placeholder(tf.float32, v.shape) for v in values)
    out = tf.raw_ops.ReluGrad(gradients=tf.add_n([a, b]), features=f)
    with tf.Session() as sess:
        result = sess.run(out, dict(zip((a, b, f), values)))
        modules = sess._compiled_modules() if hasattr(sess, "_compiled_modules") else None
    return result, modules


@pytest.mark.parametrize("native", [True, False], ids=["native", "torch"])
def test_fused_in_a_tf_graph_equals_tf_bit_for_bit(tf1, native, without_native_if):
    without_native_if(not native)
    values = [_values((2, 5, 6, 7), s) for s in (3, 4, 5)]
    theirs, _ = _graph(tf1, values)
    ours, modules = _graph(tm, values)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(_bits(ours), _bits(theirs))
    targets = [n.target for m in modules for n in m.graph.nodes if n.op == "call_function"]
    assert targets.count(specialize.add_n_relu_grad) == 1 and math_ops.add_n not in targets


@pytest.fixture
def without_native_if(request):
    def apply(off):
        if off:
            request.getfixturevalue("without_native")

    return apply
