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
