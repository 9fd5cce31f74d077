"""Every registered op has TensorFlow's gradient decision.

Each family declares one next to each op: NOT_DIFFERENTIABLE exactly where TF declares
``ops.NotDifferentiable`` (inputs get None), a gradient function where TF registers one, and
NO_REGISTERED_GRADIENT where TF registers nothing at all (``tf.gradients`` raises LookupError).
"""

import pytest

from torchmeta.framework import registry

_ARRAY_MODULES = (
    "torchmeta.ops.array_ops",
    "torchmeta.ops.array_layout_ops",
    "torchmeta.ops.array_slice_ops",
    "torchmeta.ops.array_index_ops",
)


def _module(info) -> str | None:
    return getattr(info.kernel, "__module__", None)


def _array_ops():
    return {name: info for name, info in registry.registered_ops().items() if _module(info) in _ARRAY_MODULES}


def test_array_family_is_registered():
    ops = _array_ops()
    assert {"Reshape", "Tile", "GatherV2", "StridedSliceGrad", "MirrorPadGrad"} <= set(ops)


def test_every_array_op_has_a_gradient_decision():
    undecided = sorted(name for name, info in _array_ops().items() if info.gradient is None)
    assert undecided == [], f"array ops without a gradient decision: {undecided}"


def test_every_registered_op_has_a_gradient_decision():
    undecided = sorted(name for name, info in registry.registered_ops().items() if info.gradient is None)
    assert undecided == [], f"{len(undecided)} ops without a gradient decision: {undecided}"


_CONTROL_FLOW_MODULES = (
    "torchmeta.ops.control_flow_ops",
    "torchmeta.ops.functional_ops",
    "torchmeta.ops.tensor_array_ops",
    "torchmeta.ops.stack_ops",
    "torchmeta.ops.list_ops",
    "torchmeta.ops.optional_ops",
    "torchmeta.ops.logging_ops",
)


@pytest.mark.parametrize(
    "op_type",
    sorted(name for name, info in registry.registered_ops().items() if _module(info) in _CONTROL_FLOW_MODULES),
)
def test_control_flow_gradient_decision_is_tfs(op_type):
    pytest.importorskip("tensorflow")
    assert _our_decision(registry.get(op_type)) == _tf_decision(op_type)


def _tf_decision(op_type):
    from tensorflow.python.framework import ops as tf_ops

    try:
        fn = tf_ops._gradient_registry.lookup(op_type)
    except LookupError:
        return "none"
    return "not_differentiable" if fn is None else "function"


def _our_decision(info):
    if info.gradient is registry.NOT_DIFFERENTIABLE:
        return "not_differentiable"
    if info.gradient is registry.NO_REGISTERED_GRADIENT:
        return "none"
    return "function"


@pytest.mark.parametrize("op_type", sorted(registry.registered_ops()))
def test_gradient_decision_is_tfs(op_type):
    pytest.importorskip("tensorflow")
    assert _our_decision(registry.get(op_type)) == _tf_decision(op_type)
