"""Asymmetric padding (TF's SAME padding of a stride-2 window over an even size, asymmetric EXPLICIT padding):
torch's convolutions take it only as a zero-padded copy of the input. A forward convolution that specialization
marks (``conv2d_keeping_padded``, a fusion's ``keep_padded``: its input is computed afresh in the run) keeps its
copy on the input tensor (conv_ops.padded_input), and the gradients TF's graph computes later from the same
input reuse it; a changed input (its version) or other paddings make a new one, and an unmarked convolution (of a
fed tensor, which may change outside torch between runs) keeps nothing. Values against TF: the op sample and
gradient tests and tests/runtime/test_specialize_conv.py's downsampling blocks."""

import pytest
import torch

from torchmeta.ops import conv_grad_ops, conv_ops

CONV = dict(strides=[1, 2, 2, 1], padding="SAME", explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])


@pytest.fixture
def pads(monkeypatch):
    calls = []
    pad = conv_ops._pad
    monkeypatch.setattr(conv_ops, "_pad", lambda x, *p: calls.append(p) or pad(x, *p))
    return calls


def _fresh(t):
    """The same values in a new tensor (nothing kept on it)."""
    return t.detach().clone()


def test_gradients_reuse_the_marked_forward_copy(pads):
    x, w, dy = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4), torch.randn(2, 4, 4, 4)
    y = conv_ops.conv2d_keeping_padded(x, w, **CONV)
    dx, dw = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **CONV)
    dw2 = conv_grad_ops.conv2d_backprop_filter_static(x, dy, filter_sizes=(3, 3, 3, 4), **CONV)
    assert pads == [(0, 1, 0, 1)]
    torch.testing.assert_close(y, conv_ops.conv2d(_fresh(x), w, **CONV), rtol=0, atol=0)
    ref_dx, ref_dw = conv_grad_ops.conv2d_backprop_input_and_filter(_fresh(x), w, dy, **CONV)
    torch.testing.assert_close(dx, ref_dx, rtol=0, atol=0)
    torch.testing.assert_close(dw, ref_dw, rtol=0, atol=0)
    torch.testing.assert_close(dw2, ref_dw, rtol=0, atol=0)


def test_fused_forward_keeps_its_copy_too(pads):
    x, w, dy = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4), torch.randn(2, 4, 4, 4)
    conv_ops.conv2d_bias_relu(x, w, torch.randn(4), relu=True, keep_padded=True, **CONV)
    conv_ops.conv2d_add_relu(x, w, torch.randn(2, 4, 4, 4), relu=True, keep_padded=True, **CONV)
    conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **CONV)
    assert pads == [(0, 1, 0, 1)]


def test_unmarked_convolutions_keep_nothing(pads):
    """A fed tensor may be refilled outside torch (through a numpy view: no version change) between runs."""
    x, w = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4)
    conv_ops.conv2d(x, w, **CONV)
    x.numpy()[:] = torch.randn(2, 8, 8, 3).numpy()
    y = conv_ops.conv2d(x, w, **CONV)
    conv_grad_ops.conv2d_backprop_filter_static(x, torch.randn(2, 4, 4, 4), filter_sizes=(3, 3, 3, 4), **CONV)
    assert len(pads) == 3 and not hasattr(x, "_tm_padded")
    torch.testing.assert_close(y, conv_ops.conv2d(_fresh(x), w, **CONV), rtol=0, atol=0)


def test_an_input_changed_in_place_is_padded_again(pads):
    x, w = torch.randn(2, 8, 8, 3), torch.randn(3, 3, 3, 4)
    conv_ops.conv2d_keeping_padded(x, w, **CONV)
    x.mul_(-2.0)
    y = conv_ops.conv2d_keeping_padded(x, w, **CONV)
    assert len(pads) == 2
    torch.testing.assert_close(y, conv_ops.conv2d(_fresh(x), w, **CONV), rtol=0, atol=0)


def test_other_paddings_of_the_same_input_get_their_own_copy(pads):
    x, w = torch.randn(2, 9, 9, 3), torch.randn(4, 4, 3, 4)
    explicit = dict(CONV, padding="EXPLICIT", explicit_paddings=[0, 0, 2, 1, 0, 3, 0, 0])
    a = conv_ops.conv2d_keeping_padded(x, w, **CONV)  # 4x4 over 9: one row/column before, two after
    b = conv_ops.conv2d_keeping_padded(x, w, **explicit)
    assert conv_ops.conv2d(x, w, **CONV).equal(a) and conv_ops.conv2d(x, w, **explicit).equal(b)
    assert pads == [(1, 2, 1, 2), (0, 3, 2, 1)]
    torch.testing.assert_close(b, conv_ops.conv2d(_fresh(x), w, **explicit), rtol=0, atol=0)


def test_autograd_inputs_keep_nothing(pads):
    x = torch.randn(2, 8, 8, 3, requires_grad=True)
    conv_ops.conv2d_keeping_padded(x, torch.randn(3, 3, 3, 4), **CONV)
    conv_ops.conv2d_keeping_padded(x, torch.randn(3, 3, 3, 4), **CONV)
    assert len(pads) == 2 and not hasattr(x, "_tm_padded")


# Symmetric padding of a 5x5 window with 32 or more output channels: on an AVX2 CPU without AVX-512 torch's
# oneDNN convolution runs faster on a zero-padded copy (conv_ops._pads_first), so the forward convolution pads
# its input and the input gradient is a convolution of a padded copy of out_backprop. CPU_FLAGS is set to such a
# CPU's here, so every machine runs these paths; the values are TF's.

SAME5 = dict(strides=[1, 1, 1, 1], padding="SAME", explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])
EXPLICIT5 = dict(SAME5, padding="EXPLICIT", explicit_paddings=[0, 0, 1, 1, 2, 2, 0, 0])


@pytest.fixture
def avx2(monkeypatch):
    monkeypatch.setattr(conv_ops, "CPU_FLAGS", frozenset({"avx2", "fma"}))


def _tf_conv(tf1, x, w, dy, attrs):
    padding = attrs["padding"]
    kw = dict(strides=attrs["strides"], padding=padding, explicit_paddings=attrs["explicit_paddings"])
    xs, ws, dys = (tf1.constant(t.numpy()) for t in (x, w, dy))
    y = tf1.raw_ops.Conv2D(input=xs, filter=ws, **kw)
    dx = tf1.raw_ops.Conv2DBackpropInput(input_sizes=list(x.shape), filter=ws, out_backprop=dys, **kw)
    dw = tf1.raw_ops.Conv2DBackpropFilter(input=xs, filter_sizes=list(w.shape), out_backprop=dys, **kw)
    with tf1.Session() as sess:
        return [torch.from_numpy(v) for v in sess.run([y, dx, dw])]


@pytest.mark.parametrize("attrs", [SAME5, EXPLICIT5], ids=["same", "explicit"])
@pytest.mark.parametrize("in_depth", [1, 32])
def test_padded_first_convolutions_match_tf(tf1, avx2, pads, attrs, in_depth):
    torch.manual_seed(0)
    x, w = torch.randn(3, 9, 10, in_depth), torch.randn(5, 5, in_depth, 32)
    out_h, out_w = (9, 10) if attrs is SAME5 else (7, 10)
    dy = torch.randn(3, out_h, out_w, 32)
    y_ref, dx_ref, dw_ref = _tf_conv(tf1, x, w, dy, attrs)
    y = conv_ops.conv2d(x, w, **attrs)
    fused = conv_ops.conv2d_bias_relu(x, w, torch.zeros(32), relu=False, **attrs)
    dx = conv_grad_ops.conv2d_backprop_input(torch.tensor(list(x.shape)), w, dy, **attrs)
    dx2, dw = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs)
    dw2 = conv_grad_ops.conv2d_backprop_filter_static(x, dy, filter_sizes=tuple(w.shape), **attrs)
    before = (2, 2, 2, 2) if attrs is SAME5 else (2, 2, 1, 1)  # the forward's (left, right, top, bottom)
    after = (2, 2, 2, 2) if attrs is SAME5 else (2, 2, 3, 3)  # out_backprop's: the window less one, less those
    # the forward pads (twice); the input gradient pads out_backprop where its result has 32 channels (twice)
    assert pads == [before] * 2 + ([after] * 2 if in_depth >= 32 else [])
    assert all(t.is_contiguous() for t in (y, fused, dx, dx2))  # NHWC, as the other kernels give them
    for ours, theirs in [(y, y_ref), (fused, y_ref), (dx, dx_ref), (dx2, dx_ref), (dw, dw_ref), (dw2, dw_ref)]:
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


def test_padded_first_convolutions_under_torch_compile(avx2):
    """A step traced by torch.compile pads first too (inductor writes the padded copy in the producer's loop): the
    forward convolution and the input gradient's run on padded copies (F.pad in the traced graph, each
    convolution without padding of its own), with the eager values, which are TF's (the test above)."""
    torch.manual_seed(0)
    x, w, dy = torch.randn(3, 9, 10, 32), torch.randn(5, 5, 32, 32), torch.randn(3, 9, 10, 32)
    traced = []

    def backend(gm, example_inputs):
        traced.extend(n for n in gm.graph.nodes if n.op == "call_function")
        return torch._dynamo.lookup_backend("aot_eager")(gm, example_inputs)

    def step(x, w, dy):
        return (conv_ops.conv2d(x, w, **SAME5), *conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **SAME5))

    want = step(x, w, dy)
    torch._dynamo.reset()
    got = torch.compile(step, fullgraph=True, backend=backend, dynamic=False)(x, w, dy)
    convs = [n for n in traced if n.target is torch.nn.functional.conv2d]
    assert len(convs) == 2, traced  # the forward's and the input gradient's
    for conv in convs:  # each on a padded copy, with no padding of its own
        assert "pad" in str(conv.args[0].target), conv.args
        assert len(conv.args) < 5 or tuple(conv.args[4]) == (0, 0), conv.args
    for ours, eager in zip(got, want):
        torch.testing.assert_close(ours, eager, rtol=0, atol=0)


def test_other_convolutions_are_not_padded_first(avx2, pads):
    x, dy = torch.randn(2, 8, 8, 32), torch.randn(2, 8, 8, 32)
    conv_ops.conv2d(x, torch.randn(3, 3, 32, 32), **SAME5)  # a 3x3 window
    conv_ops.conv2d(x, torch.randn(5, 5, 32, 16), **SAME5)  # 16 output channels
    conv_ops.conv2d(x.double(), torch.randn(5, 5, 32, 32).double(), **SAME5)  # float64
    conv_grad_ops.conv2d_backprop_input(torch.tensor([2, 8, 8, 16]), torch.randn(5, 5, 16, 32), dy, **SAME5)
    asymmetric = dict(SAME5, padding="EXPLICIT", explicit_paddings=[0, 0, 1, 3, 2, 2, 0, 0])
    conv_grad_ops.conv2d_backprop_input(torch.tensor([2, 8, 8, 32]), torch.randn(5, 5, 32, 32), dy, **asymmetric)
    assert pads == []


def test_avx512_cpus_are_not_padded_first(monkeypatch, pads):
    monkeypatch.setattr(conv_ops, "CPU_FLAGS", frozenset({"avx2", "avx512f"}))
    conv_ops.conv2d(torch.randn(2, 8, 8, 32), torch.randn(5, 5, 32, 32), **SAME5)
    assert pads == []


# The input gradient of an asymmetrically padded convolution: oneDNN's transposed convolution with the forward's
# own (before, after) padding (a negative output padding, conv_ops.asymmetric_input_grad), a whole NHWC tensor of
# the input's size, where the gradient of a padded copy is cropped to a strided view. Values against TF's.

EXPLICIT_UNEVEN = dict(CONV, padding="EXPLICIT", explicit_paddings=[0, 0, 2, 1, 0, 1, 0, 0])


@pytest.fixture
def transposed(monkeypatch):
    calls = []
    op = torch.ops.mkldnn._convolution_transpose_pointwise

    class Recording:
        def __call__(self, *args):
            calls.append(tuple(args[3:5]))
            return op(*args)

    monkeypatch.setattr(torch.ops.mkldnn, "_convolution_transpose_pointwise", Recording())
    return calls


@pytest.mark.parametrize(
    "attrs, hw, expected",
    [
        (CONV, (8, 10), [[0, 0], [-1, -1]]),  # SAME, stride 2, even sizes: one row/column after
        (EXPLICIT_UNEVEN, (8, 10), [[2, 0], [1, -1]]),  # two rows before, one after; none before, one after
    ],
    ids=["same", "explicit"],
)
def test_asymmetric_input_gradients_are_transposed_convolutions(tf1, transposed, attrs, hw, expected):
    torch.manual_seed(1)
    x, w = torch.randn(2, *hw, 8), torch.randn(3, 3, 8, 16)
    y = conv_ops.conv2d_keeping_padded(x, w, **attrs)
    dy = torch.randn(y.shape)
    y_ref, dx_ref, dw_ref = _tf_conv(tf1, x, w, dy, attrs)
    dx, dw = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs)
    dx2 = conv_grad_ops.conv2d_backprop_input(torch.tensor(list(x.shape)), w, dy, **attrs)
    assert transposed == [tuple(expected)] * 2
    assert dx.is_contiguous() and dx2.is_contiguous()  # whole NHWC tensors, not a cropped view
    for ours, theirs in [(y, y_ref), (dx, dx_ref), (dx2, dx_ref), (dw, dw_ref)]:
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


def test_uncovered_rows_keep_the_cropped_gradient(tf1, transposed):
    """Rows after the last window (EXPLICIT padding) get no gradient: not a transposed convolution's output."""
    torch.manual_seed(2)
    attrs = dict(CONV, padding="EXPLICIT", explicit_paddings=[0, 0, 1, 0, 0, 1, 0, 0])
    x, w = torch.randn(2, 9, 8, 4), torch.randn(3, 3, 4, 8)
    dy = torch.randn(2, 4, 4, 8)  # windows at padded rows 0, 2, 4, 6 of 10: the input's last row is left over
    _, dx_ref, dw_ref = _tf_conv(tf1, x, w, dy, attrs)
    dx, dw = conv_grad_ops.conv2d_backprop_input_and_filter(x, w, dy, **attrs)
    assert transposed == []
    torch.testing.assert_close(dx, dx_ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(dw, dw_ref, rtol=1e-4, atol=1e-4)
