"""The native dense optimizer updates (torchmeta.ops.training_native) against TensorFlow.

A step's GradientDescent, Momentum (with and without Nesterov) and Adam updates of float32/float64 CPU
variables run as one call of a small C kernel where one can be built. These tests train the same
TF-built model (a convolution, whose filter gradient arrives strided, and a dense layer) in TF and here,
check that the native kernel ran (or, with it turned off, that the torch path gives the same values), and
compare every variable and slot with TF's after several steps.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from tests.ops import native_helpers
from torchmeta.ops import training_native, training_ops
from torchmeta.runtime.state import VariableSlot

STEPS = 3

# id -> (factory(tf.train), the native entry point it runs)
OPTIMIZERS = {
    "sgd": (lambda T: T.GradientDescentOptimizer(0.1), "gradient_descent"),
    "momentum": (lambda T: T.MomentumOptimizer(0.1, 0.9), "momentum"),
    "nesterov": (lambda T: T.MomentumOptimizer(0.05, 0.8, use_nesterov=True), "momentum"),
    "adam": (lambda T: T.AdamOptimizer(0.05), "adam"),
}

_rng = np.random.default_rng(7)
X = [_rng.standard_normal((4, 6, 6, 2)) for _ in range(STEPS)]
Y = [_rng.integers(0, 3, 4).astype(np.int32) for _ in range(STEPS)]
FILTER = _rng.standard_normal((3, 3, 2, 5)) * 0.3
DENSE = _rng.standard_normal((3 * 3 * 5, 3)) * 0.2
BIAS = _rng.standard_normal(3) * 0.1


native, without_native = native_helpers.fixtures(training_native)


@pytest.fixture
def spy(monkeypatch):
    """Records (entry point, whether it ran, members, strided gradients) per call of the native entry points."""
    calls = []
    for name in ("gradient_descent", "momentum", "adam"):
        real = getattr(training_native, name)

        def wrapped(*args, _real=real, _name=name):
            ran = _real(*args)
            grads = args[{"gradient_descent": 1, "momentum": 2, "adam": 3}[_name]]
            calls.append((_name, ran, len(grads), sum(not g.is_contiguous() for g in grads)))
            return ran

        monkeypatch.setattr(training_native, name, wrapped)
    return calls


def _train(framework, make, resource, dtype, use_tf):
    """Every global variable (weights, slots, beta powers) after STEPS steps of ``make``'s optimizer on a
    conv (3x3 SAME, stride 2) + dense model, and the variables' names."""
    np_dtype = np.float32 if dtype == "float32" else np.float64
    g = framework.Graph()
    with g.as_default():
        v1 = framework.compat.v1
        fdt = getattr(framework, dtype)
        x = v1.placeholder(fdt, [None, 6, 6, 2], name="x")
        y = v1.placeholder(framework.int32, [None], name="y")
        f = v1.Variable(FILTER.astype(np_dtype), name="filter", use_resource=resource)
        w = v1.Variable(DENSE.astype(np_dtype), name="w", use_resource=resource)
        b = v1.Variable(BIAS.astype(np_dtype), name="b", use_resource=resource)
        h = framework.nn.relu(framework.nn.conv2d(x, f, [1, 2, 2, 1], "SAME"))
        logits = framework.matmul(framework.reshape(h, [-1, 3 * 3 * 5]), w) + b
        xent = framework.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        train = make(v1.train).minimize(framework.reduce_mean(xent))
        names = [v.name for v in v1.global_variables()]
        sess = v1.Session(graph=g) if use_tf else framework.Session(graph=g)
        with sess:
            sess.run(v1.global_variables_initializer())
            for i in range(STEPS):
                sess.run(train, {x: X[i].astype(np_dtype), y: Y[i]})
            values = sess.run(v1.global_variables())
    return names, values


GRAD_SHAPES = {"filter": (5, 2, 3, 3), "w": (3, 45), "u": (3, 2)}  # fed, each arriving transposed
GRADS = [{k: _rng.standard_normal(shape) for k, shape in GRAD_SHAPES.items()} for _ in range(STEPS)]


def _apply(framework, make, resource, dtype, use_tf):
    """Every global variable after STEPS steps of ``make``'s optimizer applying fed gradients (each through a
    Transpose: a strided view here, as a filter's gradient from torch's layout), and the variables' names."""
    np_dtype = np.float32 if dtype == "float32" else np.float64
    g = framework.Graph()
    with g.as_default():
        v1 = framework.compat.v1
        fdt = getattr(framework, dtype)
        fed = {k: v1.placeholder(fdt, shape, name=f"g_{k}") for k, shape in GRAD_SHAPES.items()}
        grads = [
            framework.transpose(fed["filter"], [2, 3, 1, 0]),
            framework.transpose(fed["w"]),
            framework.transpose(fed["u"]),
        ]
        variables = [
            v1.Variable(value.astype(np_dtype), name=name, use_resource=resource)
            for name, value in (("filter", FILTER), ("w", DENSE), ("u", DENSE[:2]))
        ]
        train = make(v1.train).apply_gradients(list(zip(grads, variables)))
        names = [v.name for v in v1.global_variables()]
        sess = v1.Session(graph=g) if use_tf else framework.Session(graph=g)
        with sess:
            sess.run(v1.global_variables_initializer())
            for step in GRADS:
                sess.run(train, {fed[k]: v.astype(np_dtype) for k, v in step.items()})
            values = sess.run(v1.global_variables())
    return names, values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_native_updates_equal_tf_bit_for_bit(tf1, native, spy, which, resource, dtype):
    """Fed gradients: variables, slots and beta powers after several steps equal TF's exactly."""
    make, entry = OPTIMIZERS[which]
    names, theirs = _apply(tf1, make, resource, dtype, use_tf=True)
    ours_names, ours = _apply(tm, make, resource, dtype, use_tf=False)
    assert ours_names == names
    for name, a, e in zip(names, ours, theirs):
        assert a.dtype == e.dtype and a.shape == e.shape, name
        np.testing.assert_array_equal(a, e, err_msg=name)
    # Every step's three updates ran natively (grouped where update_groups groups them), on strided gradients.
    assert {call[:2] for call in spy} == {(entry, True)}
    assert sum(call[2] for call in spy) == 3 * STEPS and sum(call[3] for call in spy) == 3 * STEPS


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_native_training_equals_tf(tf1, native, spy, which, resource):
    """A TF-built conv + dense model trained by minimize(): TF's values (its convolution gradients round
    differently from torch's, so to float32 rounding), with the updates run natively."""
    make, entry = OPTIMIZERS[which]
    names, theirs = _train(tf1, make, resource, "float32", use_tf=True)
    _, ours = _train(tm, make, resource, "float32", use_tf=False)
    assert {call[:2] for call in spy} == {(entry, True)} and sum(call[2] for call in spy) == 3 * STEPS
    for name, a, e in zip(names, ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_torch_path_equals_tf(tf1, without_native, spy, which, resource):
    """Without the native kernel (no compiler, TORCHMETA_NATIVE=0) the torch path gives TF's values."""
    make, _ = OPTIMIZERS[which]
    names, theirs = _train(tf1, make, resource, "float32", use_tf=True)
    _, ours = _train(tm, make, resource, "float32", use_tf=False)
    assert spy and not any(call[1] for call in spy)
    for name, a, e in zip(names, ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-6, err_msg=name)


def _members(shapes, n_slots, seed, dtype=torch.float32, strided=False):
    """Members (variable slot, slots..., gradient): each gradient a permuted view when ``strided``."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for shape in shapes:
        slots = []
        for k in range(1 + n_slots):
            s = VariableSlot(f"v{k}", torch.device("cpu"))
            value = torch.randn(shape, generator=gen, dtype=dtype)
            s.value = value.abs() if k == 2 else value  # Adam's v is not negative
            slots.append(s)
        grad = torch.randn(shape, generator=gen, dtype=dtype)
        if strided and len(shape) > 1:  # e.g. an HWIO filter gradient viewed from an OIHW tensor
            order = tuple(reversed(range(len(shape))))
            grad = grad.permute(order).contiguous().permute(order)
            assert not grad.is_contiguous()
        out.append((*slots, grad))
    return out


def _reference(case, values, grad, s):
    """TF's CPU update in numpy (one rounding per operation, in the variables' dtype); ``s``: the scalars."""
    lr, mom, b1p, b2p, alr, b1, b2, eps = s
    one = s[0].dtype.type(1)
    if case == "gradient_descent":
        (var,) = values
        return [var - grad * lr]
    if case in ("momentum", "nesterov"):
        var, accum = values
        accum = accum * mom + grad
        step = grad * lr + accum * mom * lr if case == "nesterov" else accum * lr
        return [var - step, accum]
    var, m, v = values
    alpha = alr * np.sqrt(one - b2p) / (one - b1p)
    m = m + (grad - m) * (one - b1)
    v = v + (grad * grad - v) * (one - b2)
    step = (grad * (one - b1) + b1 * m) * alpha if case == "adam-nesterov" else m * alpha
    return [var - step / (np.sqrt(v) + eps), m, v]


def _native_gradient_descent(members, s):
    variables = [m[0].value for m in members]
    assert training_native.gradient_descent(variables, [m[1] for m in members], s[0])


CASES = {
    "gradient_descent": (0, lambda members, s: training_ops._gradient_descent(members, s[0], in_place=True)),
    "momentum": (1, lambda m, s: training_ops._momentum(m, s[0], s[1], use_nesterov=False, in_place=True)),
    "nesterov": (1, lambda m, s: training_ops._momentum(m, s[0], s[1], use_nesterov=True, in_place=True)),
    "adam": (2, lambda m, s: training_ops._adam(m, *s[2:], use_nesterov=False, in_place=True)),
    "adam-nesterov": (2, lambda m, s: training_ops._adam(m, *s[2:], use_nesterov=True, in_place=True)),
}
SHAPES = [(3, 3, 4, 7), (5,), (2, 9), (1, 1, 16, 3), (4, 3, 2, 3, 2), (37,)]


@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_native_equals_tfs_arithmetic(native, monkeypatch, case, dtype, strided):
    """The C kernel on a group of members (odd sizes for the vector loops' tails; strided gradients read in
    place) equals TF's arithmetic, one rounding per operation, bit for bit. (GradientDescent with only
    contiguous deltas runs torch's one foreach call, cheaper for small variables: forced native here.)"""
    n_slots, run = CASES[case]
    if case == "gradient_descent" and not strided:
        run = _native_gradient_descent
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    # lr/alpha, momentum, then Adam's beta1_power, beta2_power, lr, beta1, beta2, epsilon
    numbers = [0.07, 0.9, 0.81, 0.998, 0.05, 0.9, 0.999, 1e-7]
    members = _members(SHAPES, n_slots, 1, dtype, strided)
    expected = [
        _reference(case, [t.value.numpy() for t in m[:-1]], m[-1].numpy(), [np_dtype(x) for x in numbers])
        for m in members
    ]
    name = {"nesterov": "momentum", "adam-nesterov": "adam"}.get(case, case)
    real = getattr(training_native, name)
    calls = []
    monkeypatch.setattr(training_native, name, lambda *a: calls.append(real(*a)) or calls[-1])
    run(members, [torch.tensor(x, dtype=dtype) for x in numbers])
    assert calls == [True]
    for member, values in zip(members, expected):
        for slot, value in zip(member, values):
            np.testing.assert_array_equal(slot.value.numpy(), value)


def test_native_steps_aside(native):
    """Other dtypes, a tensor that requires grad, and a non-contiguous variable keep the torch path."""
    lr = torch.tensor(0.1)
    half = [torch.ones(3, dtype=torch.float16)]
    assert not training_native.gradient_descent(half, [torch.ones(3, dtype=torch.float16)], lr.half())
    assert not training_native.gradient_descent([torch.ones(3, requires_grad=True)], [torch.ones(3)], lr)
    assert not training_native.gradient_descent([torch.ones(3, 2).t()], [torch.ones(2, 3)], lr)
    assert not training_native.gradient_descent([torch.ones(3)], [torch.ones(3, dtype=torch.float64)], lr)
    v = torch.ones(3)
    assert training_native.gradient_descent([v], [torch.ones(3)], lr)
    assert torch.equal(v, torch.full((3,), 0.9))


def test_native_kernel_can_be_turned_off(monkeypatch, tmp_path):
    """With TORCHMETA_NATIVE=0 nothing is compiled or loaded: the torch path runs."""
    monkeypatch.setenv("TORCHMETA_NATIVE", "0")
    monkeypatch.setenv("TORCHMETA_CACHE", str(tmp_path))
    monkeypatch.setattr(training_native.library, "lib", None)
    monkeypatch.setattr(training_native.library, "tried", False)
    assert not training_native.available()
    assert not training_native.gradient_descent([torch.ones(3)], [torch.ones(3)], torch.tensor(0.1))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("native_kernel", [True, False], ids=["native", "torch"])
@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("which", sorted(OPTIMIZERS))
def test_a_gradient_that_is_a_transposed_read_of_its_variable_equals_tf(
    tf1, monkeypatch, which, resource, native_kernel
):
    """A strided gradient viewing the variable being updated is read whole before the update writes it, as
    TF's passes read it (the native kernel writes row by row: it reads such a gradient from a copy)."""
    native_helpers.choose_path(training_native, monkeypatch, "native" if native_kernel else "torch")
    make, _ = OPTIMIZERS[which]
    values = []
    for framework in (tf1, tm):
        g = framework.Graph()
        with g.as_default():
            v1 = framework.compat.v1
            w = v1.Variable(DENSE.reshape(-1)[:36].reshape(6, 6).astype(np.float32), name="w", use_resource=resource)
            train = make(v1.train).apply_gradients([(framework.transpose(w.value()), w)])
            sess = v1.Session(graph=g) if framework is tf1 else framework.Session(graph=g)
            with sess:
                sess.run(v1.global_variables_initializer())
                for _ in range(STEPS):
                    sess.run(train)
                values.append(sess.run(v1.global_variables()))
    for a, e in zip(*values):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7)


def test_torch_compile_traces_tfs_arithmetic_not_the_native_kernel(native, spy):
    """Under torch.compile the update is the torch path, TF's arithmetic (training_ops._natively: inductor fuses
    it into loops, where the native kernel's custom op costs a dispatcher round trip): no native call and no
    custom op in the traced graph, the variables and slots updated in place with the native kernel's values."""
    traced_members, eager_members = _members([(3, 3, 4, 7), (5,)], 2, 3), _members([(3, 3, 4, 7), (5,)], 2, 3)
    scalars = [torch.tensor(x) for x in (0.81, 0.998, 0.05, 0.9, 0.999, 1e-7)]
    targets = []

    def backend(gm, example_inputs):
        targets.extend(str(n.target) for n in gm.graph.nodes if n.op == "call_function")
        return torch._dynamo.lookup_backend("aot_eager")(gm, example_inputs)

    def step(members):
        training_ops._adam(members, *scalars, use_nesterov=False, in_place=True)

    tensors = [slot.value for member in traced_members for slot in member[:3]]
    torch._dynamo.reset()
    torch.compile(step, fullgraph=True, backend=backend)(traced_members)
    assert spy == [] and targets and not any("torchmeta" in t for t in targets), targets
    step(eager_members)
    assert spy == [("adam", True, 2, 0)]  # the eager step's native kernel: the values to match
    assert all(slot.value is t for slot, t in zip((s for m in traced_members for s in m[:3]), tensors))  # in place
    for a, e in zip(traced_members, eager_members):
        for k in range(3):
            torch.testing.assert_close(a[k].value, e[k].value, rtol=1e-6, atol=1e-7)


def test_the_kept_pointer_arrays_follow_a_replaced_storage(native):
    """The native update keeps its pointer arrays from call to call (a step's variables keep their storage);
    a variable whose storage was replaced since is updated where it lives now, the old storage left alone."""
    lr = torch.tensor(0.5)
    v, w = torch.ones(5), torch.ones(3)
    assert training_native.gradient_descent([v, w], [torch.ones(5), torch.ones(3)], lr)
    assert training_native.gradient_descent([v, w], [torch.ones(5), torch.ones(3)], lr)
    before = v.view(-1)  # (the old storage, kept alive)
    v.set_(torch.full((5,), 4.0))
    assert training_native.gradient_descent([v, w], [torch.ones(5), torch.ones(3)], lr)
    assert torch.equal(v, torch.full((5,), 3.5))
    assert torch.equal(before, torch.zeros(5))
    assert torch.equal(w, torch.full((3,), -0.5))
    w2 = torch.ones(4)  # another variable in the same place of the list: another array
    assert training_native.gradient_descent([v, w2], [torch.ones(5), torch.full((4,), 2.0)], lr)
    assert torch.equal(v, torch.full((5,), 3.0)) and torch.equal(w2, torch.zeros(4))
    assert torch.equal(w, torch.full((3,), -0.5))


def test_the_kept_arrays_are_bounded(native):
    """Gradients at ever new addresses do not grow the kept arrays without bound."""
    lr = torch.tensor(0.5)
    v = torch.ones(3)
    grads = [torch.ones(3) for _ in range(3 * training_native._CACHE_LIMIT)]  # (all alive: distinct addresses)
    for g in grads:
        assert training_native.gradient_descent([v], [g], lr)
    assert torch.equal(v, torch.full((3,), 1.0 - 0.5 * len(grads)))
    assert len(training_native._arrays_made) <= training_native._CACHE_LIMIT
