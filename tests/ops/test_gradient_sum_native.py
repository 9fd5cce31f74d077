"""The native ReluGrad of a two-term AddN (torchmeta.ops.gradient_sum_native, run by specialization's
``add_n_relu_grad``) against TF's AddN + ReluGrad and against the two torch kernels it replaces, bit for bit:
NaN, infinities and signed zeros included, crops of larger tensors (a padded convolution's input gradient),
written over the first input or into a new tensor. The same for the native ReluGrad with its column sums (a
layer's bias gradient, specialization's ``relu_grad_bias_sum``): the ReluGrad as TF's, the sums as torch.sum's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta.ops import gradient_sum_native, math_ops, nn_ops
from torchmeta.runtime import specialize, specialize_conv

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
        _bits(specialize_conv.add_n_relu_grad(a.clone(), b, f, in_place=True)), _bits(_reference(a, b, f))
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
    assert targets.count(specialize_conv.add_n_relu_grad) == 1 and math_ops.add_n not in targets


@pytest.fixture
def without_native_if(request):
    def apply(off):
        if off:
            request.getfixturevalue("without_native")

    return apply


# shapes whose columns torch.sum splits every way: groups of four 8-float vectors (cascade), whole vectors and
# single columns after them (row_sum's four partial sums), fewer columns than a vector (groups of four, then
# single ones); rows below, at and past the cascade's first level step (16) and its second (256)
BIAS_SHAPES = [(128, 1024), (128, 10), (300, 17), (33, 8), (2, 5), (70, 3), (5, 7, 9, 40), (1000, 100), (4, 2)]


def _same_sums(got, expected):
    """Bit for bit, NaNs aside: which NaN a sum of two NaNs keeps (its sign) is the compiler's choice of operand
    order, in torch's kernel as in this one."""
    got, expected = np.asarray(got), np.asarray(expected)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    keep = ~np.isnan(expected)
    np.testing.assert_array_equal(_bits(got[keep]), _bits(expected[keep]))


@pytest.mark.parametrize("shape", BIAS_SHAPES, ids=str)
@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in-place"])
def test_relu_grad_bias_sum_equals_the_torch_kernels_bit_for_bit(shape, in_place):
    g, f = (torch.from_numpy(_values(shape, s)) for s in (3, 4))
    grad = nn_ops.relu_grad(g, f)
    sums = torch.sum(grad, tuple(range(len(shape) - 1)))
    first = g.clone()
    got = gradient_sum_native.relu_grad_bias_sum(first, f, in_place)
    assert got is not None and (got[0] is first) == in_place
    assert got[0].shape == grad.shape and got[1].shape == sums.shape and got[1].dtype == torch.float32
    np.testing.assert_array_equal(_bits(got[0]), _bits(grad))
    _same_sums(got[1], sums)


@pytest.mark.parametrize("shape", [(128, 1024), (300, 17), (5, 7, 9, 40)], ids=str)
def test_relu_grad_bias_sum_matches_tf(tf1, shape):
    """TF's ReluGrad bit for bit, its Sum over all axes but the last to float32 rounding (TF adds in another
    order)."""
    g, f = _values(shape, 5, special=False), _values(shape, 6, special=False)
    axes = list(range(len(shape) - 1))
    with tf1.Graph().as_default():
        grad = tf1.raw_ops.ReluGrad(gradients=tf1.constant(g), features=tf1.constant(f))
        with tf1.Session() as sess:
            their_grad, their_sums = sess.run([grad, tf1.reduce_sum(grad, axes)])
    got = gradient_sum_native.relu_grad_bias_sum(torch.from_numpy(g), torch.from_numpy(f))
    np.testing.assert_array_equal(_bits(got[0]), _bits(their_grad))
    np.testing.assert_allclose(got[1].numpy(), their_sums, rtol=1e-5, atol=1e-4)


def test_relu_grad_bias_sum_leaves_other_inputs_to_torch():
    a = torch.randn(6, 5)
    assert gradient_sum_native.relu_grad_bias_sum(a.double(), a.double()) is None
    assert gradient_sum_native.relu_grad_bias_sum(a.t(), a.t()) is None  # not contiguous
    assert gradient_sum_native.relu_grad_bias_sum(a[:, :1].contiguous(), a[:, :1].contiguous()) is None
    assert gradient_sum_native.relu_grad_bias_sum(a[0], a[0]) is None  # 1-D


def test_relu_grad_bias_sum_fallback_gives_the_same_values(without_native):
    """Without the native kernel, specialization's call runs relu_grad(_) and torch.sum."""
    g, f = (torch.from_numpy(_values((40, 24), s)) for s in (7, 8))
    grad = nn_ops.relu_grad(g, f)
    got = specialize.relu_grad_bias_sum(g.clone(), f, axes=[0], in_place=True)
    np.testing.assert_array_equal(_bits(got[0]), _bits(grad))
    _same_sums(got[1], torch.sum(grad, [0]))


def _strided_reference(compact, b, f, strides):
    """TF's AddN of the zero-filled strided input gradient and ``b``, then ReluGrad (the torch kernels)."""
    a = torch.zeros(b.shape)
    a[:, :: strides[0], :: strides[1], :] = compact
    return _reference(a, b, f)


@pytest.mark.parametrize(
    ("shape", "strides"),
    [((2, 8, 8, 16), (2, 2)), ((3, 7, 9, 5), (2, 3)), ((2, 5, 6, 11), (1, 2)), ((1, 9, 4, 3), (3, 1))],
    ids=str,
)
@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in-place"])
def test_strided_term_equals_the_zero_filled_sum_bit_for_bit(shape, strides, in_place):
    """A strided 1x1 convolution's input gradient given as its strided pixels alone: the same bits as AddN of the
    zero-filled tensor and ReluGrad, signed zeros (0 + -0 is +0), NaN and infinities included."""
    n, h, w, c = shape
    compact = torch.from_numpy(_values((n, -(-h // strides[0]), -(-w // strides[1]), c), 0))
    b, f = (torch.from_numpy(_values(shape, s)) for s in (1, 2))
    b[0, 1:, :, :] = -0.0  # where a is zero the sum is +0.0
    expected = _strided_reference(compact, b, f, strides)
    first = b.clone()
    got = gradient_sum_native.add_strided_relu_grad(compact, first, f, strides, in_place)
    assert got is not None and (got is first) == in_place
    np.testing.assert_array_equal(_bits(got), _bits(expected))


def test_strided_term_reads_cropped_features_and_gradients():
    """Row-contiguous crops (a block input kept inside its bordered copy) are read in place."""
    shape, strides = (2, 6, 6, 8), (2, 2)
    compact = torch.from_numpy(_values((2, 3, 3, 8), 3))
    big = torch.from_numpy(_values((2, 7, 7, 8), 4))
    f, b = big[:, :6, :6, :], torch.from_numpy(_values(shape, 5))
    bigger = torch.from_numpy(_values((2, 8, 7, 8), 6))
    bigger[:, 1:7, 1:7, :] = b
    cropped_b = bigger[:, 1:7, 1:7, :]
    assert not f.is_contiguous() and not cropped_b.is_contiguous()
    expected = _strided_reference(compact, b, f, strides)
    got = gradient_sum_native.add_strided_relu_grad(compact, cropped_b, f, strides, in_place=True)
    assert got is not cropped_b and got.is_contiguous()
    np.testing.assert_array_equal(_bits(got), _bits(expected))


def test_strided_term_of_other_inputs_is_left_to_the_torch_kernels(without_native):
    """Other shapes, dtypes and layouts (and no native kernel) get None; specialization's call then fills the
    zeroed tensor and runs AddN and ReluGrad: the same bits."""
    b, f = torch.randn(2, 6, 6, 4), torch.randn(2, 6, 6, 4)
    compact = torch.randn(2, 3, 3, 4)
    assert gradient_sum_native.add_strided_relu_grad(compact, b, f, (2, 2)) is None  # native kernel off
    got = specialize_conv.add_n_strided_relu_grad(compact, b.clone(), f, strides=(2, 2), in_place=True)
    np.testing.assert_array_equal(_bits(got), _bits(_strided_reference(compact, b, f, (2, 2))))


def test_strided_term_shape_checks():
    b, f = torch.randn(2, 6, 6, 4), torch.randn(2, 6, 6, 4)
    assert gradient_sum_native.add_strided_relu_grad(torch.randn(2, 3, 2, 4), b, f, (2, 2)) is None
    assert gradient_sum_native.add_strided_relu_grad(torch.randn(2, 3, 3, 4).double(), b, f, (2, 2)) is None
    assert gradient_sum_native.add_strided_relu_grad(torch.randn(2, 3, 3, 8)[..., ::2], b, f, (2, 2)) is None
