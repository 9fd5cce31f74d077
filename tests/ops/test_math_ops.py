"""Kernels of ops/math_ops.py that are not ops of their own (the op samples cover the registered ones)."""

import torch

from torchmeta.ops import math_ops


def test_add_n_in_place_sums_into_the_first_input_like_add_n():
    """``add_n_`` (AddN over a private first input, runtime/specialize.py) sums left to right into that
    input: the same bits as ``add_n``'s new tensor (float32 sums of three, rounding as TF's kernel)."""
    torch.manual_seed(0)
    inputs = [torch.randn(5, 7) * 10 ** (k - 1) for k in range(3)]
    want = math_ops.add_n([t.clone() for t in inputs])
    first = inputs[0]
    got = math_ops.add_n_(inputs)
    assert got is first and torch.equal(got, want)


def test_add_n_in_place_falls_back_where_the_sum_would_differ():
    """The first input again (it would read the partial sum), another layout or dtype,
    a single input: ``add_n_`` returns ``add_n``'s result and leaves the first input as it was."""
    x, y = torch.randn(3, 4), torch.randn(3, 4)
    for inputs in ([x, y, x], [x, y.t().contiguous().t()], [x, y.double()], [x]):
        before = x.clone()
        want = math_ops.add_n([t.clone() for t in inputs])
        got = math_ops.add_n_(list(inputs))
        assert torch.equal(x, before)
        assert got.dtype == want.dtype and torch.equal(got, want)
