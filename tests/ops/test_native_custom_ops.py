"""The native kernels as torch.library custom ops (``native_build.custom_op``, ``torch.ops.torchmeta.*``).

Each module's entry point runs its kernel directly in eager code and through the op while torch.compile
traces. Here: each op, called through the dispatcher, equals the kernel called directly, bit for bit;
``torch.library.opcheck`` accepts it (schema, fake tensors, autograd registration, AOT dispatch); and under
``torch.compile(fullgraph=True)`` the entry point traces to the op (not to the torch path) with the eager
values, the updates' mutations functionalized and written back. That compiled TF-built training steps run
these ops and give TF's values is tests/runtime/test_compiled.py's part.
"""

from __future__ import annotations

import pytest
import torch

from torchmeta.ops import batch_norm_native, depthwise_native, lrn_native, native_build, pool_native, training_native


@pytest.fixture(autouse=True)
def native():
    for module in (batch_norm_native, depthwise_native, lrn_native, pool_native, training_native):
        if not module.available():
            pytest.skip("no C compiler: the native kernels cannot be built")


def _rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _bn_forward():
    x, side = _rand(2, 5, 5, 6), _rand(2, 5, 5, 6, seed=1)
    scale, offset, mean, var = _rand(6, seed=2), _rand(6, seed=3), _rand(6, seed=4), _rand(6, seed=5).abs()
    return batch_norm_native.train_forward, (x, scale, offset, mean, var, 1e-3, 0.9), {"relu": True, "side": side}


def _bn_gradient(in_place=False):
    dy, features, x = _rand(2, 5, 5, 6), _rand(2, 5, 5, 6, seed=1), _rand(2, 5, 5, 6, seed=2)
    scale, mean, var = _rand(6, seed=3), _rand(6, seed=4), _rand(6, seed=5).abs()
    return batch_norm_native.train_gradient, (dy, features, x, scale, mean, var, 1e-3), {"in_place": in_place}


def _pool_forward():
    return pool_native.forward, (_rand(2, 7, 7, 3), 3, 3, 2, 2, 0, 0, 3, 3), {}


def _pool_values():  # 20 channels: one 16-channel block and a scalar tail
    return pool_native.values, (_rand(2, 7, 7, 20), 3, 3, 2, 2, 1, 1, 4, 4), {}


def _pool_backward():
    x = _rand(2, 7, 7, 3)
    maxima, argmax = pool_native.forward(x, 3, 3, 2, 2, 0, 0, 3, 3)
    return pool_native.backward, (_rand(2, 3, 3, 3, seed=1), argmax, (2, 7, 7, 3), 3, 3, 2, 2, 0, 0), {"relu_y": maxima}


# a stride-2 SAME 3x3 depthwise convolution of a 7x7 input: 4x4 output, one row/column of padding before
_DW = ([1, 2, 2, 1], [1, 1, 1, 1], "NHWC")


def _dw_forward():
    x, f, b = _rand(2, 7, 7, 4), _rand(3, 3, 4, 1, seed=1), _rand(4, seed=2)
    return depthwise_native.forward, (x, f, b, True, *_DW, (4, 4), 1, 1), {}


def _dw_backprop_input():
    f, dy = _rand(3, 3, 4, 1, seed=1), _rand(2, 4, 4, 4, seed=2)
    return depthwise_native.backprop_input, ((2, 7, 7, 4), f, dy, *_DW, 1, 1), {}


def _dw_backprop_filter():
    x, dy = _rand(2, 7, 7, 4), _rand(2, 4, 4, 4, seed=2)
    return depthwise_native.backprop_filter, (x, (3, 3, 4, 1), dy, *_DW, 1, 1), {}


def _dw_backprop_both():
    # stride 1, 3x3 SAME of a 7x7 input (the kernel's stride-1 code where the CPU has AVX-512)
    x, f, dy = _rand(2, 7, 7, 20), _rand(3, 3, 20, 1, seed=1), _rand(2, 7, 7, 20, seed=2)
    return depthwise_native.backprop_input_and_filter, (x, f, dy, [1, 1, 1, 1], *_DW[1:], 1, 1), {}


def _members(n_slots):
    """Variables (and slots) of two shapes, the first gradient a transposed (strided) view."""
    columns = [[_rand(3, 4, seed=10 * k), _rand(5, seed=10 * k + 1)] for k in range(1 + n_slots)]
    columns[1:] = [[t.abs() for t in column] for column in columns[1:]]  # (Adam's v is not negative)
    grads = [_rand(4, 3, seed=99).t(), _rand(5, seed=98)]
    return columns, grads


def _gradient_descent():
    (variables,), grads = _members(0)
    return training_native.gradient_descent, (variables, grads, torch.tensor(0.1)), {}


def _momentum():
    (variables, accums), grads = _members(1)
    return training_native.momentum, (variables, accums, grads, torch.tensor(0.1), torch.tensor(0.9), True), {}


def _adam():
    (variables, ms, vs), grads = _members(2)
    scalars = [torch.tensor(v) for v in (0.01, 0.9, 0.1, 0.001, 1e-8)]
    return training_native.adam, (variables, ms, vs, grads, *scalars, False), {}


def _lrn_norm():
    return lrn_native.norm, (_rand(2, 3, 3, 10), 2, 1.5, 0.1, lrn_native.BAND), {}


def _lrn_grad():
    g, x, norm = _rand(2, 3, 3, 10), _rand(2, 3, 3, 10, seed=1), _rand(2, 3, 3, 10, seed=2).abs() + 1
    return lrn_native.grad, (g, x, x / norm, norm, norm.rsqrt(), 2, 0.15), {}


CASES = {
    "batch_norm_train": _bn_forward,
    "batch_norm_grad_train": _bn_gradient,
    "batch_norm_grad_train_": lambda: _bn_gradient(in_place=True),
    "max_pool_forward": _pool_forward,
    "max_pool_values": _pool_values,
    "max_pool_backward": _pool_backward,
    "depthwise_forward": _dw_forward,
    "depthwise_backprop_input": _dw_backprop_input,
    "depthwise_backprop_filter": _dw_backprop_filter,
    "depthwise_backprop_both": _dw_backprop_both,
    "gradient_descent": _gradient_descent,
    "momentum": _momentum,
    "adam": _adam,
    "lrn_norm": _lrn_norm,
    "lrn_grad": _lrn_grad,
}


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.clone(memory_format=torch.preserve_format) if value.is_contiguous() else value.clone().t().t()
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _written(args):
    """The tensors of ``args`` (lists flattened), to compare what the calls wrote."""
    out = []
    for a in args:
        out.extend(t for t in (a if isinstance(a, list) else [a]) if isinstance(t, torch.Tensor))
    return out


def _assert_identical(got, want):
    got, want = _written(got), _written(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        assert torch.equal(g, w)


def _as_list(out):
    if out is None or isinstance(out, bool):
        return []
    return [t for t in (out if isinstance(out, tuple) else (out,)) if t is not None]


def test_every_native_kernel_is_a_custom_op():
    names = {
        n
        for n in dir(torch.ops.torchmeta)
        if isinstance(getattr(torch.ops.torchmeta, n, None), torch._ops.OpOverloadPacket)
    }
    assert set(CASES) <= names


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_op_equals_its_kernel_called_directly(name, monkeypatch):
    """The same call once directly (eager: the kernel) and once through the dispatcher (what a compiled
    step runs), on copies of the same inputs: the same outputs and the same writes, bit for bit."""
    fn, args, kwargs = CASES[name]()
    direct_args, op_args = _clone(list(args)), _clone(list(args))
    direct = fn(*direct_args, **_clone(kwargs))
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    with torch.profiler.profile() as prof:
        through = fn(*op_args, **_clone(kwargs))
    monkeypatch.undo()
    calls = [e.name for e in prof.events() if e.name.startswith("torchmeta::")]
    assert calls == [f"torchmeta::{name}"], calls
    assert direct is not None and direct is not False  # the kernel applied
    _assert_identical(_as_list(through), _as_list(direct))
    _assert_identical(op_args, direct_args)  # what the updates and the in-place gradient wrote


def _op_args(name):
    """The op's own arguments for ``name``'s case: the entry point's call, recorded at the dispatcher."""
    fn, args, kwargs = CASES[name]()
    op = getattr(torch.ops.torchmeta, name).default
    recorded = []

    class Record(torch.utils._python_dispatch.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, a=(), k=None):
            if func is op:
                recorded.append((_clone(list(a)), dict(k or {})))
            return func(*a, **(k or {}))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.compiler, "is_compiling", lambda: True)
        with Record():
            fn(*args, **kwargs)
    ((op_args, op_kwargs),) = recorded
    return op, op_args, op_kwargs


@pytest.mark.parametrize("name", sorted(CASES))
def test_opcheck(name):
    """torch.library.opcheck: the schema (what it mutates), the fake kernel's shapes, dtypes and strides
    against the real ones, the autograd registration and AOT dispatch, static and dynamic."""
    op, args, kwargs = _op_args(name)
    torch.library.opcheck(op, args, kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fullgraph_trace_runs_the_op_with_eager_values(name):
    """The entry point under torch.compile(fullgraph=True) (AOT autograd's functionalization, eager kernels:
    what inductor receives) traces to the op, and gives eager's outputs and writes, bit for bit."""
    fn, args, kwargs = CASES[name]()
    eager_args, compiled_args = _clone(list(args)), _clone(list(args))
    want = fn(*eager_args, **_clone(kwargs))
    targets = []

    def backend(gm, example_inputs):
        targets.extend(str(n.target) for n in gm.graph.nodes if n.op == "call_function")
        return torch._dynamo.lookup_backend("aot_eager")(gm, example_inputs)

    def step(*a):
        out = fn(*a, **kwargs)
        return out if isinstance(out, (tuple, torch.Tensor)) else None

    torch._dynamo.reset()
    got = torch.compile(step, fullgraph=True, backend=backend, dynamic=False)(*compiled_args)
    assert f"torchmeta.{name}.default" in targets, targets
    _assert_identical(_as_list(got), _as_list(want))
    _assert_identical(compiled_args, eager_args)


def test_native_build_custom_op_calls_the_kernel_outside_tracing(monkeypatch):
    """Eager code calls the kernel itself (no dispatcher round trip; under the profiler in a range named as the
    op); the op is what tracing records."""
    seen = []

    def kernel(x: torch.Tensor, k: int) -> torch.Tensor:
        seen.append(type(x).__name__)
        return x * k

    call = native_build.custom_op("test_scale_kernel", kernel, lambda x, k: torch.empty_like(x))
    assert call.op is torch.ops.torchmeta.test_scale_kernel.default
    x = torch.ones(3)
    assert torch.equal(call(x, 2), x * 2) and seen == ["Tensor"]
    with torch.profiler.profile() as prof:  # a profiled eager call: a range named as the op
        assert torch.equal(call(x, 2), x * 2)
    assert [e.name for e in prof.events() if e.name.startswith("torchmeta::")] == ["torchmeta::test_scale_kernel"]
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    with torch.profiler.profile() as prof:
        assert torch.equal(call(x, 3), x * 3)
    assert [e.name for e in prof.events() if e.name.startswith("torchmeta::")] == ["torchmeta::test_scale_kernel"]
