"""Training ops (Apply*, Sparse*, Scatter*) and state ops (Assign*, ReadVariableOp, ...) against TensorFlow, on
variables.

Each ``VariableSample`` (tests/ops/samples_training.py, tests/ops/samples_state.py) is built in both frameworks with its ``Ref(T)``
inputs as ref variables and its ``resource`` inputs as resource variables; the op runs ``steps`` times
and every output and every variable must equal TensorFlow's.
"""

import numpy as np
import pytest

import torchmeta as tm
from tests.ops import native_helpers, samples_state, samples_training
from tests.ops.harness import _convert_attr
from torchmeta.dtypes import DType
from torchmeta.framework import registry
from torchmeta.ops import training_native

VARIABLE_SAMPLES = samples_training.VARIABLE_SAMPLES + samples_state.VARIABLE_SAMPLES


def _params():
    for s in VARIABLE_SAMPLES:
        marks = [pytest.mark.xfail(reason=s.xfail, strict=True)] if s.xfail else []
        yield pytest.param(s, id=s.name, marks=marks)


def _raw_ops(api):
    if api is tm:
        return tm.raw_ops
    import tensorflow as tf

    return tf.raw_ops


def _build(api, sample):
    """The op on variables; returns (op result, variables, feeds)."""
    op_def = registry.get(sample.op).op_def
    kwargs, variables, feeds = {}, [], {}
    for arg in op_def.input_arg:
        value = sample.inputs[arg.name]
        if arg.is_ref or arg.type == DType.resource.value:
            v = api.Variable(value, name=arg.name, use_resource=not arg.is_ref)
            variables.append(v)
            kwargs[arg.name] = v if arg.is_ref else v.handle
        elif arg.name in sample.fed:
            ph = api.placeholder(api.as_dtype(value.dtype.name), sample.fed[arg.name])
            feeds[ph] = value
            kwargs[arg.name] = ph
        else:
            kwargs[arg.name] = api.constant(value)
    for name, value in sample.attrs.items():
        kwargs[name] = _convert_attr(value, api)
    return getattr(_raw_ops(api), sample.op)(**kwargs), variables, feeds


def _run(api, sample):
    g = api.Graph()
    with g.as_default():
        out, variables, feeds = _build(api, sample)
        init = api.global_variables_initializer()
        static = None if out is None or not hasattr(out, "shape") else out.shape.as_list()
        with api.Session(graph=g) as sess:
            sess.run(init)
            outputs = [sess.run(out, feeds) for _ in range(sample.steps)]
            values = sess.run(variables)
    return [o for o in outputs if o is not None], values, static


def _message(e) -> str:
    return getattr(e, "message", str(e))


def _assert_close(actual, expected, sample, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, rtol=sample.rtol, atol=sample.atol, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


@pytest.mark.parametrize("sample", list(_params()))
def test_training_op_matches_tf(tf1, sample):
    if sample.error is not None:
        with pytest.raises(Exception) as theirs:
            _run(tf1, sample)
        assert sample.error in _message(theirs.value), "the sample's message is TensorFlow's"
        with pytest.raises(tm.errors.InvalidArgumentError) as ours:
            _run(tm, sample)
        assert sample.error in _message(ours.value)
        assert type(ours.value).__name__ == type(theirs.value).__name__
        return
    exp_outputs, exp_values, exp_static = _run(tf1, sample)
    outputs, values, static = _run(tm, sample)
    assert static == exp_static, f"static shape {static} != TF's {exp_static}"
    assert len(outputs) == len(exp_outputs)
    for i, (a, e) in enumerate(zip(outputs, exp_outputs)):
        _assert_close(a, e, sample, f"output of step {i}")
    for i, (a, e) in enumerate(zip(values, exp_values)):
        _assert_close(a, e, sample, f"variable {i}")


def _graph_error(api, build):
    g = api.Graph()
    with g.as_default(), pytest.raises(ValueError) as info:
        build(api)
    return str(info.value)


def _core(message: str) -> str:
    """A shape-inference message without the node description (TF and torchmeta describe nodes differently)."""
    return message.split(" for '")[0]


def _v(api, shape, dtype="float32"):
    return api.Variable(np.zeros(shape, dtype), name="v")


_STATIC_ERRORS = {
    "scalar-lr": lambda api, raw: raw.ApplyGradientDescent(
        var=_v(api, [2, 3]), alpha=np.ones(2, np.float32), delta=np.ones([2, 3], np.float32)
    ),
    "dim": lambda api, raw: raw.ApplyMomentum(
        var=_v(api, [2, 3]),
        accum=_v(api, [2, 3]),
        lr=np.float32(1),
        grad=np.ones([2, 4], np.float32),
        momentum=np.float32(1),
    ),
    "rank": lambda api, raw: raw.ApplyAdagrad(
        var=_v(api, [2, 3]), accum=_v(api, [2]), lr=np.float32(1), grad=np.ones([2, 3], np.float32)
    ),
    "sparse-tail": lambda api, raw: raw.SparseApplyMomentum(
        var=_v(api, [2, 3]),
        accum=_v(api, [2, 3]),
        lr=np.float32(1),
        grad=np.ones([2, 4], np.float32),
        indices=[0, 1],
        momentum=np.float32(1),
    ),
    "sparse-rows": lambda api, raw: raw.SparseApplyAdadelta(
        var=_v(api, [2, 3]),
        accum=_v(api, [2, 3]),
        accum_update=_v(api, [2, 3]),
        lr=np.float32(1),
        rho=np.float32(1),
        epsilon=np.float32(1),
        grad=np.ones([3, 3], np.float32),
        indices=[0, 1],
    ),
    "sparse-indices-rank": lambda api, raw: raw.SparseApplyRMSProp(
        var=_v(api, [2, 3]),
        ms=_v(api, [2, 3]),
        mom=_v(api, [2, 3]),
        lr=np.float32(1),
        rho=np.float32(1),
        momentum=np.float32(1),
        epsilon=np.float32(1),
        grad=np.ones([1, 3], np.float32),
        indices=[[0]],
    ),
    "scatter-updates": lambda api, raw: raw.ScatterAdd(
        ref=_v(api, [4, 3]), indices=[0, 1], updates=np.ones([2, 2], np.float32)
    ),
}


@pytest.mark.parametrize("case", sorted(_STATIC_ERRORS))
def test_static_shape_errors_match_tf(tf1, case):
    build = _STATIC_ERRORS[case]
    theirs = _graph_error(tf1, lambda api: build(api, _raw_ops(api)))
    ours = _graph_error(tm, lambda api: build(api, _raw_ops(api)))
    assert _core(ours) == _core(theirs)


def test_static_shapes_merge_partial_shapes(tf1):
    """The ref output's static shape merges var, slots and gradient (unknown dims filled in)."""

    def build(api):
        g = api.Graph()
        with g.as_default():
            var = api.Variable(np.zeros([2, 3], np.float32), name="v", validate_shape=False)
            accum = api.Variable(np.zeros([2, 3], np.float32), name="a")
            grad = api.placeholder(api.float32, [None, 3])
            out = _raw_ops(api).ApplyMomentum(var=var, accum=accum, lr=np.float32(1), grad=grad, momentum=np.float32(1))
            idx = api.placeholder(api.int32, [None])
            sparse = _raw_ops(api).SparseApplyMomentum(
                var=var, accum=accum, lr=np.float32(1), grad=grad, indices=idx, momentum=np.float32(1)
            )
            scatter = _raw_ops(api).ScatterSub(ref=var, indices=idx, updates=grad)
            return [t.shape.as_list() if t.shape.rank is not None else None for t in (out, sparse, scatter)]

    assert build(tm) == build(tf1)


def test_ref_apply_updates_in_place_and_aliases_reads():
    """A ref variable's update is visible through its earlier snapshot (TF's ref semantics)."""
    g = tm.Graph()
    with g.as_default():
        v = tm.Variable(np.ones(3, np.float32), name="v")
        apply = tm.raw_ops.ApplyGradientDescent(var=v, alpha=np.float32(1), delta=np.ones(3, np.float32))
        with tm.Session() as sess:
            sess.run(v.initializer)
            sess.run(apply)
            np.testing.assert_array_equal(sess.run(v), np.zeros(3, np.float32))


def test_resource_apply_keeps_earlier_reads():
    """A read of a resource variable taken before the update keeps its value (copy-on-write)."""
    g = tm.Graph()
    with g.as_default():
        v = tm.Variable(np.ones(3, np.float32), name="v", use_resource=True)
        before = tm.raw_ops.ReadVariableOp(resource=v.handle, dtype=tm.float32)
        with tm.control_dependencies([before]):
            apply = tm.raw_ops.ResourceApplyGradientDescent(
                var=v.handle, alpha=np.float32(1), delta=np.ones(3, np.float32)
            )
        with tm.control_dependencies([apply]):
            after = tm.raw_ops.ReadVariableOp(resource=v.handle, dtype=tm.float32)
        with tm.Session() as sess:
            sess.run(v.initializer)
            b, a = sess.run([before, after])
    np.testing.assert_array_equal(b, np.ones(3, np.float32))
    np.testing.assert_array_equal(a, np.zeros(3, np.float32))


def test_uninitialized_variable_fails_like_tf(tf1):
    def run(api):
        g = api.Graph()
        with g.as_default():
            v = api.Variable(np.ones(3, np.float32), name="w")
            op = _raw_ops(api).ApplyGradientDescent(var=v, alpha=np.float32(1), delta=np.ones(3, np.float32))
            with api.Session() as sess, pytest.raises(Exception) as info:
                sess.run(op)
        return info.value

    theirs, ours = run(tf1), run(tm)
    assert type(ours).__name__ == type(theirs).__name__ == "FailedPreconditionError"
    assert "Attempting to use uninitialized value w" in _message(theirs)
    assert "Attempting to use uninitialized value w" in _message(ours)


@pytest.mark.parametrize("update", ["momentum", "momentum_two_variables", "sparse_momentum", "adam", "keras_momentum"])
def test_uninitialized_resource_slot_fails_like_tf(tf1, update):
    """A resource update whose slot was never initialized: TF's training kernels fail while they look up and
    lock their variables, with InternalError "Invalid variable reference." (not the read's FailedPrecondition)."""

    def run(api):
        raw = _raw_ops(api)
        g = api.Graph()
        with g.as_default():
            ws = [api.Variable(np.ones(2, np.float32), name=f"w{i}", use_resource=True) for i in range(2)]
            slots = [api.Variable(np.zeros(2, np.float32), name=f"m{i}", use_resource=True) for i in range(2)]
            grad = np.full(2, 0.5, np.float32)
            if update == "momentum":
                op = raw.ResourceApplyMomentum(var=ws[0].handle, accum=slots[0].handle, lr=0.1, grad=grad, momentum=0.9)
            elif update == "momentum_two_variables":  # one grouped call of two updates: the second one's slot fails
                op = api.train.MomentumOptimizer(0.1, 0.9).minimize(api.reduce_sum(ws[0] * ws[1]), var_list=ws)
            elif update == "sparse_momentum":
                op = raw.ResourceSparseApplyMomentum(
                    var=ws[0].handle, accum=slots[0].handle, lr=0.1, grad=grad[:1], indices=[1], momentum=0.9
                )
            elif update == "adam":
                op = raw.ResourceApplyAdam(
                    var=ws[0].handle, m=slots[0].handle, v=slots[1].handle, beta1_power=0.9, beta2_power=0.99,
                    lr=0.1, beta1=0.9, beta2=0.99, epsilon=1e-7, grad=grad,
                )  # fmt: skip
            else:
                op = raw.ResourceApplyKerasMomentum(
                    var=ws[0].handle, accum=slots[0].handle, lr=0.1, grad=grad, momentum=0.9
                )
            with api.Session() as sess:
                sess.run([w.initializer for w in ws])
                if update == "adam":
                    sess.run(slots[1].initializer)
                if update == "momentum_two_variables":
                    sess.run(api.variables_initializer([api.get_collection(api.GraphKeys.GLOBAL_VARIABLES)[-2]]))
                with pytest.raises(Exception) as info:
                    sess.run(op)
        return info.value

    theirs, ours = run(tf1), run(tm)
    assert type(ours).__name__ == type(theirs).__name__ == "InternalError"
    assert _message(ours) == "Invalid variable reference."
    assert "\nInvalid variable reference.\n\t [[{{node " in _message(theirs)
    node = _message(theirs).split("Invalid variable reference.\n\t [[{{node ", 1)[1].split("}}", 1)[0]
    assert str(ours).endswith(f"[[{{{{node {node}}}}}]]")


def _aten_calls(sample_op, resource, **inputs):
    """The aten ops one run of the training op ``sample_op`` calls (torch.profiler), on variables."""
    from torch.profiler import profile

    g = tm.Graph()
    with g.as_default():
        op_def = registry.get(sample_op).op_def
        kwargs = {}
        for arg in op_def.input_arg:
            value = inputs[arg.name]
            if arg.is_ref or arg.type == DType.resource.value:
                v = tm.Variable(value, name=arg.name, use_resource=resource)
                kwargs[arg.name] = v.handle if resource else v
            else:
                kwargs[arg.name] = tm.constant(value)
        update = getattr(tm.raw_ops, ("Resource" if resource else "") + sample_op)(**kwargs)
        with tm.Session(graph=g) as sess:
            sess.run(tm.global_variables_initializer())
            sess.run(update)
            with profile() as prof:
                sess.run(update)
    return {e.name for e in prof.events()}


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
def test_dense_adam_and_momentum_run_torchs_fused_kernels(monkeypatch, resource):
    """Without the native update kernel (TORCHMETA_NATIVE=0, no compiler), Adam and Momentum on dense float32
    variables are one pass of torch's fused optimizer kernels (the sample tests above check their numbers
    against TF's); Nesterov momentum keeps TF's expression."""
    native_helpers.use_torch_path(training_native, monkeypatch)
    rng = np.random.default_rng(0)

    def t(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def s(v):
        return np.float32(v)

    adam = dict(var=t(40, 30), m=t(40, 30), v=np.abs(t(40, 30)), beta1_power=s(0.9), beta2_power=s(0.999))
    adam.update(lr=s(0.01), beta1=s(0.9), beta2=s(0.999), epsilon=s(1e-8), grad=t(40, 30))
    assert "aten::_fused_adam_" in _aten_calls("ApplyAdam", resource, **adam)
    momentum = dict(var=t(40, 30), accum=t(40, 30), lr=s(0.1), grad=t(40, 30), momentum=s(0.9))
    assert "aten::_fused_sgd_" in _aten_calls("ApplyMomentum", resource, **momentum)
