"""Samples for the N-d scatters into tensors (torchmeta/ops/scatter_nd_ops.py): TensorScatterUpdate/Add/Sub/
Min/Max and ScatterNdNonAliasingAdd; element and slice updates, repeated indices (applied in order), batch
indices, empty updates, NaN, bad_indices_policy="IGNORE", strings and bools where TF has kernels. The
variable forms (ScatterNd*, ResourceScatterNd*) are VariableSamples in samples_state.py."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample
i32, i64 = np.int32, np.int64
NAN = np.nan


def a(x, dtype=np.float32):
    return np.asarray(x, dtype=dtype)


_T = randn(4, 3)
_ALL = ("TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMin", "TensorScatterMax")

SAMPLES: list[Sample] = []
for op in _ALL:
    SAMPLES += [
        S(op, {"tensor": _T, "indices": a([[3], [0]], i32), "updates": randn(2, 3)}, id="rows"),
        S(op, {"tensor": _T, "indices": a([[1, 2], [3, 0], [0, 0]], i64), "updates": randn(3)}, id="elements"),
        S(op, {"tensor": _T, "indices": a([[1], [3], [1]], i32), "updates": randn(3, 3)}, grad=False, id="repeated"),
        S(
            op,
            {
                "tensor": randn(2, 3, 4),
                "indices": a([[[0, 1], [1, 2]], [[1, 0], [0, 2]]], i32),
                "updates": randn(2, 2, 4),
            },
            id="batch-indices",
        ),
        S(op, {"tensor": _T, "indices": np.zeros((0, 1), i32), "updates": randn(0, 3)}, id="no-updates"),
        S(op, {"tensor": randn(0, 3), "indices": np.zeros((0, 1), i32), "updates": randn(0, 3)}, id="empty"),
        S(
            op,
            {"tensor": a([1, NAN, 3, 4]), "indices": a([[0], [2], [1]], i32), "updates": a([NAN, 2, 5])},
            grad=False,
            id="nan",
        ),
        S(
            op,
            {
                "tensor": np.arange(12, dtype=i32).reshape(4, 3),
                "indices": a([[2], [2], [0]], i32),
                "updates": np.arange(9, dtype=i32).reshape(3, 3) - 4,
            },
            id="int32",
        ),
        S(
            op,
            {
                "tensor": randn(5, dtype=np.float64),
                "indices": a([[4], [1]], i64),
                "updates": randn(2, dtype=np.float64),
            },
            id="f64",
        ),
        S(
            op,
            {"tensor": _T, "indices": a([[1], [7], [-1], [2]], i32), "updates": randn(4, 3)},
            {"bad_indices_policy": "IGNORE"},
            grad=op in ("TensorScatterMin", "TensorScatterMax"),
            id="ignore",
        ),
        S(
            op,
            {"tensor": _T, "indices": a([[3], [0]], i32), "updates": randn(2, 3)},
            fed={"tensor": [None, 3], "indices": [None, 1]},
            id="unknown-dims",
        ),
        S(
            op,
            {"tensor": _T, "indices": a([[3], [0]], i32), "updates": randn(2, 3)},
            fed={"indices": None, "updates": None},
            id="unknown-rank",
        ),
    ]
SAMPLES += [
    S(
        "TensorScatterUpdate",
        {"tensor": a([b"a", b"b", b"c"], object), "indices": a([[2], [0]], i32), "updates": a([b"z", b"y"], object)},
        id="string",
    ),
    S(
        "TensorScatterUpdate",
        {"tensor": a([True, False, True]), "indices": a([[1], [2]], i32), "updates": a([True, False])},
        id="bool",
    ),
    S(
        "TensorScatterAdd",
        {"tensor": randn(3).astype(np.complex64), "indices": a([[1]], i32), "updates": randn(1).astype(np.complex64)},
        id="c64",
    ),
    S(
        "TensorScatterAdd",
        {"tensor": randn(3).astype(np.float16), "indices": a([[1]], i32), "updates": randn(1).astype(np.float16)},
        id="f16",
        rtol=1e-3,
        atol=1e-3,
    ),
    S("ScatterNdNonAliasingAdd", {"input": _T, "indices": a([[1], [3], [1]], i32), "updates": randn(3, 3)}),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": _T, "indices": a([[1, 2], [0, 0]], i64), "updates": randn(2)},
        id="elements",
    ),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": _T, "indices": a([3], i32), "updates": randn(1, 3)},
        fed={"indices": None},
        grad=False,
        id="1d-indices",
    ),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": a([True, False, False]), "indices": a([[1], [2]], i32), "updates": a([True, False])},
        id="bool",
    ),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": _T, "indices": np.zeros((0, 1), i32), "updates": randn(0, 3)},
        id="no-updates",
    ),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": _T, "indices": a([[1], [9]], i32), "updates": randn(2, 3)},
        {"bad_indices_policy": "IGNORE"},
        grad=False,
        id="ignore",
    ),
    S(
        "ScatterNdNonAliasingAdd",
        {"input": _T, "indices": a([[3], [0]], i32), "updates": randn(2, 3)},
        fed={"input": None},
        id="unknown",
    ),
]


def _first(op):
    return "input" if op == "ScatterNdNonAliasingAdd" else "tensor"


# Run-time errors: (sample fed through unknown shapes) -> TF's message, compared in test_scatter_nd_ops.py.
ERROR_SAMPLES = [
    S(op, {_first(op): _T, "indices": idx, "updates": upd}, attrs, id=tag)
    for op in ("TensorScatterUpdate", "TensorScatterMax", "ScatterNdNonAliasingAdd")
    for tag, idx, upd, attrs in [
        ("out-of-range", a([[1], [4]], i32), randn(2, 3), {}),
        ("negative", a([[[1], [2]], [[3], [-1]]], i32), randn(2, 2, 3), {}),
        ("inner", a([[1], [2]], i32), randn(2, 2), {}),
        ("outer", a([[1], [2]], i32), randn(3, 3), {}),
        ("too-deep", a([[1, 1, 1]], i32), randn(1), {}),
        ("1d-indices", a([1, 2], i32), randn(3), {}),
        ("empty-shape", np.zeros((2, 0), i32), randn(2, 4, 3), {}),
        ("error-policy", a([[1], [7]], i32), randn(2, 3), {"bad_indices_policy": "ERROR"}),
        ("two-bad", a([[5], [1], [-2], [0]], i32), randn(4, 3), {}),
        ("unknown-policy", a([[1]], i32), randn(1, 3), {"bad_indices_policy": "add"}),
    ]
]
ERROR_SAMPLES += [
    S(op, {_first(op): tensor, "indices": idx, "updates": upd}, id=tag)
    for op in ("TensorScatterAdd", "ScatterNdNonAliasingAdd")
    for tag, tensor, idx, upd in [
        ("scalar-tensor", np.float32(1), a([[0]], i32), randn(1)),
        ("empty-tensor", randn(0, 3), a([[0]], i32), randn(1, 3)),
    ]
]
