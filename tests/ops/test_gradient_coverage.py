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


# Issue 9 lands control flow in two halves: these ops' signatures and kernels first, their gradient
# functions (TF's control_flow_grad.py, tensor_array_grad.py, list_ops.py, cond_v2.py and while_v2.py
# build them with the control-flow API) with the API. Every one is an op TensorFlow registers a gradient
# function for (checked below); the list only shrinks: an op that gets its gradient must leave it.
PENDING_CONTROL_FLOW_GRADIENTS = {
}  # fmt: skip


def test_every_registered_op_has_a_gradient_decision():
    undecided = sorted(
        name
        for name, info in registry.registered_ops().items()
        if info.gradient is None and name not in PENDING_CONTROL_FLOW_GRADIENTS
    )
    assert undecided == [], f"{len(undecided)} ops without a gradient decision: {undecided}"


def test_pending_control_flow_gradients_are_still_pending():
    decided = sorted(name for name in PENDING_CONTROL_FLOW_GRADIENTS if registry.get(name).gradient is not None)
    assert decided == [], f"remove from PENDING_CONTROL_FLOW_GRADIENTS: {decided}"


@pytest.mark.parametrize("op_type", sorted(PENDING_CONTROL_FLOW_GRADIENTS))
def test_pending_control_flow_gradient_is_a_function_in_tf(op_type):
    pytest.importorskip("tensorflow")
    assert _tf_decision(op_type) == "function"


_CONTROL_FLOW_MODULES = (
    "torchmeta.ops.control_flow_ops",
    "torchmeta.ops.functional_ops",
    "torchmeta.ops.tensor_array_ops",
    "torchmeta.ops.stack_ops",
    "torchmeta.ops.list_ops",
)


@pytest.mark.parametrize(
    "op_type",
    sorted(
        name
        for name, info in registry.registered_ops().items()
        if _module(info) in _CONTROL_FLOW_MODULES and name not in PENDING_CONTROL_FLOW_GRADIENTS
    ),
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
