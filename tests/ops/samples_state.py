"""Samples for state ops. They read or update variables, so they are ``VariableSample``s, run by
tests/ops/test_training_ops.py on ref / resource variables initialized from the sample's arrays."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn
from tests.ops.samples_training import VariableSample

SAMPLES: list[Sample] = []

VARIABLE_SAMPLES: list[VariableSample] = [
    VariableSample("Assign", {"ref": randn(3, 2), "value": randn(3, 2)}),
    VariableSample("Assign", {"ref": randn(3, 2), "value": randn(4)}, {"validate_shape": False}, id="reshape"),
    VariableSample("AssignAdd", {"ref": randn(3, 2), "value": randn(3, 2)}),
    VariableSample("AssignSub", {"ref": randn(4).astype(np.float64), "value": randn(4).astype(np.float64)}, id="f64"),
    VariableSample("AssignVariableOp", {"resource": randn(3, 2), "value": randn(3, 2)}),
    VariableSample("AssignAddVariableOp", {"resource": randn(3, 2), "value": randn(3, 2)}),
    VariableSample("AssignSubVariableOp", {"resource": np.arange(4, dtype=np.int64), "value": np.ones(4, np.int64)}),
    VariableSample("ReadVariableOp", {"resource": randn(3, 2)}, {"dtype": "dtype:float32"}),
    VariableSample(
        "ResourceGather",
        {"resource": randn(5, 3), "indices": np.array([4, 0, 2], np.int32)},
        {"dtype": "dtype:float32"},
    ),
    VariableSample("VarIsInitializedOp", {"resource": randn(2)}),
    VariableSample("IsVariableInitialized", {"ref": randn(2)}),
    VariableSample("VariableShape", {"input": randn(3, 2)}),
    VariableSample("VariableShape", {"input": randn(4)}, {"out_type": "dtype:int64"}, id="int64"),
]

# N-d scatters into variables (torchmeta/ops/scatter_nd_ops.py): the ref op and its Resource twin. Repeated
# indices apply in order; the last of repeated updates wins.
_SCATTER_ND_CASES = [
    ("rows", randn(4, 3), np.array([[3], [0]], np.int32), randn(2, 3)),
    ("elements-i64", randn(4, 3), np.array([[1, 2], [3, 0], [1, 2]], np.int64), randn(3)),
    ("repeated", randn(5, 2), np.array([[1], [3], [1], [1]], np.int32), randn(4, 2)),
    # TF reads a 1-D ``indices`` as one index row (more than one element reads past it: undefined).
    ("1d-indices", randn(4, 3), np.array([2], np.int32), randn(1, 3)),
    ("batch-indices", randn(3, 4), np.array([[[0, 1], [2, 2]], [[1, 3], [0, 1]]], np.int32), randn(2, 2)),
    (
        "int32",
        np.arange(8, dtype=np.int32).reshape(4, 2),
        np.array([[0], [3], [0]], np.int32),
        np.full((3, 2), 5, np.int32),
    ),
    ("f64", randn(4, dtype=np.float64), np.array([[2], [1]], np.int32), randn(2, dtype=np.float64)),
    ("no-updates", randn(3, 2), np.zeros((0, 1), np.int32), np.zeros((0, 2), np.float32)),
    (
        "nan",
        np.array([1, np.nan, 3, 4], np.float32),
        np.array([[0], [1], [2]], np.int32),
        np.array([np.nan, 2, 1], np.float32),
    ),
]
for _op in ("ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub", "ScatterNdMin", "ScatterNdMax"):
    _res = "Resource" + _op
    for _tag, _ref, _idx, _upd in _SCATTER_ND_CASES:
        _inputs = {"ref": _ref, "indices": _idx, "updates": _upd}
        # 1-D indices pass only the kernel (shape inference reads their length as the index depth).
        _fed = {"indices": None} if _tag == "1d-indices" else {}
        VARIABLE_SAMPLES.append(VariableSample(_op, _inputs, id=_tag, steps=2, fed=_fed))
        VARIABLE_SAMPLES.append(VariableSample(_res, _inputs, id=_tag, steps=2, fed=_fed))
    _ignore = {"ref": randn(4, 3), "indices": np.array([[1], [7], [2]], np.int32), "updates": randn(3, 3)}
    VARIABLE_SAMPLES.append(VariableSample(_op, _ignore, {"bad_indices_policy": "IGNORE"}, id="ignore", steps=1))
    VARIABLE_SAMPLES.append(VariableSample(_res, _ignore, {"bad_indices_policy": "IGNORE"}, id="ignore", steps=1))
for _op in ("ScatterNdUpdate", "ResourceScatterNdAdd"):
    _x = randn(4, 3)
    for _tag, _idx, _upd, _error in [
        ("bad-index", np.array([[1], [4]], np.int32), randn(2, 3), "indices[1] = [4] does not index into shape [4,3]"),
        (
            "bad-index-3d",
            np.array([[[1], [2]], [[3], [-4]]], np.int32),
            randn(2, 2, 3),
            "indices[1,1] = [-4] does not index into shape [4,3]",
        ),
        (
            "bad-inner",
            np.array([[1], [2]], np.int32),
            randn(2, 2),
            "Dimensions [1,2) of input[shape=[4,3]] must match dimensions [1,2) of updates[shape=[2,2]]",
        ),
        (
            "bad-outer",
            np.array([[1], [2]], np.int32),
            randn(3, 3),
            "Dimensions [0,1) of indices[shape=[2,1]] = 2 must match dimensions [0,1) of updates[shape=[3,3]] = 3",
        ),
        (
            "too-deep",
            np.array([[1, 1, 1]], np.int32),
            randn(1),
            "Dimensions [3,2) of input[shape=[4,3]] must match dimensions [3,1) of updates[shape=[1]]",
        ),
        (
            "empty-shape",
            np.zeros((2, 0), np.int32),
            randn(2, 4, 3),
            "Indices and updates specified for empty output.  indices shape: [2,0]",
        ),
    ]:
        VARIABLE_SAMPLES.append(
            VariableSample(
                _op,
                {"ref": _x, "indices": _idx, "updates": _upd},
                fed={"indices": None, "updates": None},
                id=_tag,
                error=_error,
            )
        )
