"""Samples for training ops (Apply*, ResourceApply*, SparseApply*, Scatter*).

These ops update variables, so the shared Const-input harness cannot run them: ``SAMPLES`` (run by
tests/ops/test_forward.py) stays empty and ``VARIABLE_SAMPLES`` is run by tests/ops/test_training_ops.py,
which builds every ``Ref(T)`` input as a ref variable and every ``resource`` input as a resource variable
initialized from the sample's array, runs the op ``steps`` times in both frameworks and compares the
op's outputs and every variable's value with TensorFlow's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tests.ops.harness import Sample, randn

SAMPLES: list[Sample] = []


@dataclass
class VariableSample(Sample):
    steps: int = 3
    error: str | None = None  # expected InvalidArgumentError message (both frameworks raise it)


def _pos(*shape, dtype=np.float32):
    """Strictly positive data (accumulators under a square root)."""
    return (np.abs(randn(*shape)) + 0.5).astype(dtype)


def _s(x, dtype=np.float32):
    return np.asarray(x, dtype=dtype)


VARIABLE_SAMPLES: list[VariableSample] = []


def _add(op, inputs, attrs=None, id="", **kw):
    VARIABLE_SAMPLES.append(VariableSample(op, inputs, attrs or {}, id=id, **kw))


def _both(op, inputs, attrs=None, id="", **kw):
    """The ref op and its Resource twin on the same sample."""
    _add(op, inputs, attrs, id, **kw)
    _add("Resource" + op, inputs, attrs, id, **kw)


# Shapes and dtypes each family runs on: (id, shape, dtype, rtol).
_DENSE = [
    ("f32", (3, 2), np.float32, 1e-5),
    ("f64", (4,), np.float64, 1e-10),
    ("f16", (2, 3), np.float16, 2e-3),
    ("scalar", (), np.float32, 1e-5),
    ("empty", (0, 3), np.float32, 1e-5),
    # Wide enough for the vectorized loops (and their tails) of torch's fused optimizer kernels.
    ("f32-wide", (37, 65), np.float32, 1e-5),
]

for tag, shape, dt, rtol in _DENSE:
    kw = dict(rtol=rtol, atol=rtol)
    _both(
        "ApplyGradientDescent",
        {"var": randn(*shape, dtype=dt), "alpha": _s(0.1, dt), "delta": randn(*shape, dtype=dt)},
        id=tag,
        **kw,
    )
    for nesterov in (False, True):
        _both(
            "ApplyMomentum",
            {
                "var": randn(*shape, dtype=dt),
                "accum": randn(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                "grad": randn(*shape, dtype=dt),
                "momentum": _s(0.9, dt),
            },
            {"use_nesterov": nesterov},
            id=f"{tag}-nesterov{int(nesterov)}",
            **kw,
        )
        _both(
            "ApplyAdam",
            {
                "var": randn(*shape, dtype=dt),
                "m": randn(*shape, dtype=dt),
                "v": _pos(*shape, dtype=dt),
                "beta1_power": _s(0.9, dt),
                "beta2_power": _s(0.999, dt),
                "lr": _s(0.01, dt),
                "beta1": _s(0.9, dt),
                "beta2": _s(0.999, dt),
                "epsilon": _s(1e-3 if dt == np.float16 else 1e-8, dt),
                "grad": randn(*shape, dtype=dt),
            },
            {"use_nesterov": nesterov},
            id=f"{tag}-nesterov{int(nesterov)}",
            **kw,
        )
    for update_slots in (True, False):
        _both(
            "ApplyAdagrad",
            {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                "grad": randn(*shape, dtype=dt),
            },
            {"update_slots": update_slots},
            id=f"{tag}-update{int(update_slots)}",
            **kw,
        )
        _both(
            "ApplyAdagradV2",
            {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                "epsilon": _s(0.01, dt),
                "grad": randn(*shape, dtype=dt),
            },
            {"update_slots": update_slots},
            id=f"{tag}-update{int(update_slots)}",
            **kw,
        )
    _both(
        "ApplyRMSProp",
        {
            "var": randn(*shape, dtype=dt),
            "ms": _pos(*shape, dtype=dt),
            "mom": randn(*shape, dtype=dt),
            "lr": _s(0.01, dt),
            "rho": _s(0.9, dt),
            "momentum": _s(0.5, dt),
            "epsilon": _s(1e-6 if dt != np.float16 else 1e-3, dt),
            "grad": randn(*shape, dtype=dt),
        },
        id=tag,
        **kw,
    )
    _both(
        "ApplyCenteredRMSProp",
        {
            "var": randn(*shape, dtype=dt),
            "mg": (0.1 * randn(*shape)).astype(dt),
            "ms": _pos(*shape, dtype=dt),
            "mom": randn(*shape, dtype=dt),
            "lr": _s(0.01, dt),
            "rho": _s(0.9, dt),
            "momentum": _s(0.5, dt),
            "epsilon": _s(1e-6 if dt != np.float16 else 1e-3, dt),
            "grad": randn(*shape, dtype=dt),
        },
        id=tag,
        **kw,
    )
    _both(
        "ApplyAdadelta",
        {
            "var": randn(*shape, dtype=dt),
            "accum": _pos(*shape, dtype=dt),
            "accum_update": _pos(*shape, dtype=dt),
            "lr": _s(1.0, dt),
            "rho": _s(0.95, dt),
            "epsilon": _s(1e-6 if dt != np.float16 else 1e-3, dt),
            "grad": randn(*shape, dtype=dt),
        },
        id=tag,
        **kw,
    )


def _complex(*shape):
    return (randn(*shape) + 1j * randn(*shape)).astype(np.complex64)


# Bit for bit: TF's kernel rounds var - delta * alpha twice (its CPU build has no FMA); torch's addcmul is one FMA
# on AVX2 CPUs.
_both(
    "ApplyGradientDescent",
    {"var": randn(37, 65), "alpha": _s(0.1), "delta": randn(37, 65)},
    id="f32-bits",
    rtol=0,
    atol=0,
)

for tag, dt in [("c64", np.complex64)]:
    c = _complex
    _both("ApplyGradientDescent", {"var": c(3), "alpha": _s(0.1, dt), "delta": c(3)}, id=tag)
    _both(
        "ApplyMomentum",
        {"var": c(3), "accum": c(3), "lr": _s(0.1, dt), "grad": c(3), "momentum": _s(0.9, dt)},
        {"use_nesterov": True},
        id=tag,
    )

_add(
    "ResourceApplyKerasMomentum",
    {"var": randn(3, 2), "accum": randn(3, 2), "lr": _s(0.1), "grad": randn(3, 2), "momentum": _s(0.9)},
    id="f32",
)
_add(
    "ResourceApplyKerasMomentum",
    {"var": randn(3, 2), "accum": randn(3, 2), "lr": _s(0.1), "grad": randn(3, 2), "momentum": _s(0.9)},
    {"use_nesterov": True},
    id="nesterov",
)

for _nesterov in (False, True):
    for _idx in ([3, 0], [1, 2, 1]):
        _add(
            "ResourceSparseApplyKerasMomentum",
            {
                "var": randn(4, 2),
                "accum": randn(4, 2),
                "lr": _s(0.1),
                "grad": randn(len(_idx), 2),
                "indices": np.array(_idx, np.int32),
                "momentum": _s(0.9),
            },
            {"use_nesterov": _nesterov},
            id=f"{'repeated' if len(_idx) == 3 else 'f32'}-nesterov{int(_nesterov)}",
        )

# Sparse: (id, var shape, indices, dtype, index dtype, rtol). Repeated indices only for the kernels TF
# runs sequentially (Adagrad's CPU kernel updates rows in parallel, so TF leaves repeats undefined).
_SPARSE = [
    ("f32", (5, 3), [4, 0, 2], np.float32, np.int32, 1e-5),
    ("f64-i64", (6,), [1, 5, 3, 0], np.float64, np.int64, 1e-10),
    ("rank3", (4, 2, 3), [3, 1], np.float32, np.int32, 1e-5),
    ("col", (4, 1), [2, 0], np.float32, np.int64, 1e-5),
    ("f16", (4, 2), [1, 3], np.float16, np.int32, 2e-3),
    ("none", (3, 2), [], np.float32, np.int32, 1e-5),
]
_REPEATED = ("repeated", (4, 3), [1, 3, 1, 1, 0], np.float32, np.int32, 1e-5)


def _sparse_samples(cases, with_adagrad):
    for tag, shape, idx, dt, it, rtol in cases:
        kw = dict(rtol=rtol, atol=rtol)
        idx = np.asarray(idx, dtype=it)
        gshape = (len(idx), *shape[1:])
        eps = _s(1e-3 if dt == np.float16 else 1e-6, dt)
        for nesterov in (False, True):
            _both(
                "SparseApplyMomentum",
                {
                    "var": randn(*shape, dtype=dt),
                    "accum": randn(*shape, dtype=dt),
                    "lr": _s(0.1, dt),
                    "grad": randn(*gshape, dtype=dt),
                    "indices": idx,
                    "momentum": _s(0.9, dt),
                },
                {"use_nesterov": nesterov},
                id=f"{tag}-nesterov{int(nesterov)}",
                **kw,
            )
        if with_adagrad:
            for update_slots in (True, False):
                _both(
                    "SparseApplyAdagrad",
                    {
                        "var": randn(*shape, dtype=dt),
                        "accum": _pos(*shape, dtype=dt),
                        "lr": _s(0.1, dt),
                        "grad": randn(*gshape, dtype=dt),
                        "indices": idx,
                    },
                    {"update_slots": update_slots},
                    id=f"{tag}-update{int(update_slots)}",
                    **kw,
                )
                _both(
                    "SparseApplyAdagradV2",
                    {
                        "var": randn(*shape, dtype=dt),
                        "accum": _pos(*shape, dtype=dt),
                        "lr": _s(0.1, dt),
                        "epsilon": _s(0.01, dt),
                        "grad": randn(*gshape, dtype=dt),
                        "indices": idx,
                    },
                    {"update_slots": update_slots},
                    id=f"{tag}-update{int(update_slots)}",
                    **kw,
                )
        _both(
            "SparseApplyRMSProp",
            {
                "var": randn(*shape, dtype=dt),
                "ms": _pos(*shape, dtype=dt),
                "mom": randn(*shape, dtype=dt),
                "lr": _s(0.01, dt),
                "rho": _s(0.9, dt),
                "momentum": _s(0.5, dt),
                "epsilon": eps,
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
            },
            id=tag,
            **kw,
        )
        _both(
            "SparseApplyCenteredRMSProp",
            {
                "var": randn(*shape, dtype=dt),
                "mg": (0.1 * randn(*shape)).astype(dt),
                "ms": _pos(*shape, dtype=dt),
                "mom": randn(*shape, dtype=dt),
                "lr": _s(0.01, dt),
                "rho": _s(0.9, dt),
                "momentum": _s(0.5, dt),
                "epsilon": eps,
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
            },
            id=tag,
            **kw,
        )
        _both(
            "SparseApplyAdadelta",
            {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "accum_update": _pos(*shape, dtype=dt),
                "lr": _s(1.0, dt),
                "rho": _s(0.95, dt),
                "epsilon": eps,
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
            },
            id=tag,
            **kw,
        )


_sparse_samples(_SPARSE, with_adagrad=True)
_sparse_samples([_REPEATED], with_adagrad=False)

# Scatter ops: 1-D and 2-D indices, scalar updates, repeated indices (add/sub accumulate).
for op, resource in [
    ("ScatterAdd", "ResourceScatterAdd"),
    ("ScatterSub", "ResourceScatterSub"),
    ("ScatterUpdate", "ResourceScatterUpdate"),
    ("ScatterMul", "ResourceScatterMul"),
    ("ScatterDiv", "ResourceScatterDiv"),
    ("ScatterMin", "ResourceScatterMin"),
    ("ScatterMax", "ResourceScatterMax"),
]:
    cases = [
        ("f32", randn(5, 3), np.array([4, 0, 2], np.int32), randn(3, 3)),
        ("idx2d-i64", randn(6, 2), np.array([[1, 5], [3, 0]], np.int64), randn(2, 2, 2)),
        ("scalar-updates", randn(4, 2), np.array([3, 1], np.int32), _s(2.5)),
        ("f64", randn(4, dtype=np.float64), np.array([2], np.int32), randn(1, dtype=np.float64)),
        ("int32", np.arange(8, dtype=np.int32).reshape(4, 2), np.array([0, 3], np.int32), np.ones((2, 2), np.int32)),
        ("empty", randn(3, 2), np.zeros([0], np.int32), np.zeros((0, 2), np.float32)),
    ]
    if op != "ScatterUpdate":
        cases.append(("repeated", randn(4, 3), np.array([1, 3, 1, 1], np.int32), randn(4, 3)))
    for tag, ref, indices, updates in cases:
        _add(op, {"ref": ref, "indices": indices, "updates": updates}, id=tag, steps=2)
        _add(resource, {"resource": ref, "indices": indices, "updates": updates}, id=tag, steps=2)

# Runtime errors with TF's wording.
_x = randn(3, 2)
_both(
    "ApplyGradientDescent",
    {"var": _x, "alpha": _s(0.1), "delta": randn(3, 2)},
    fed={"delta": [None, None]},
    id="fed-delta",
)
_both(
    "ApplyGradientDescent",
    {"var": _x, "alpha": _s(0.1), "delta": randn(2, 2)},
    fed={"delta": [None, 2]},
    id="bad-delta",
    error="var and delta do not have the same shape[3,2] [2,2]",
)
_both(
    "ApplyGradientDescent",
    {"var": _x, "alpha": np.ones(2, np.float32), "delta": randn(3, 2)},
    fed={"alpha": None},
    id="bad-alpha",
    error="alpha is not a scalar: [2]",
)
_both(
    "ApplyAdam",
    {
        "var": _x,
        "m": _x,
        "v": _x,
        "beta1_power": _s(0.9),
        "beta2_power": _s(0.9),
        "lr": np.ones(1, np.float32),
        "beta1": _s(0.9),
        "beta2": _s(0.9),
        "epsilon": _s(0.1),
        "grad": _x,
    },
    fed={"lr": None},
    id="bad-lr",
    error="lr is not a scalar : [1]",
)
_both(
    "SparseApplyMomentum",
    {
        "var": _x,
        "accum": _x,
        "lr": _s(0.1),
        "grad": randn(2, 2),
        "indices": np.array([0, 3], np.int32),
        "momentum": _s(0.9),
    },
    fed={"indices": [None]},
    id="bad-index",
    error="Index 3 at offset 1 in indices is out of range",
)
_both(
    "SparseApplyAdagrad",
    {"var": _x, "accum": _x, "lr": _s(0.1), "grad": randn(3, 2), "indices": np.array([0, 1], np.int32)},
    fed={"grad": [None, 2], "indices": [None]},
    id="bad-grad-rows",
    error="grad must be the same size as indices in the first dimension.",
)
_both(
    "SparseApplyRMSProp",
    {
        "var": _x,
        "ms": _x,
        "mom": _x,
        "lr": _s(0.1),
        "rho": _s(0.9),
        "momentum": _s(0.9),
        "epsilon": _s(0.1),
        "grad": randn(1, 3),
        "indices": np.array([0], np.int32),
    },
    fed={"grad": [None, None]},
    id="bad-grad-cols",
    error="var and grad must match in dimension 1",
)
for _op, _res in [("ScatterAdd", "ResourceScatterAdd"), ("ScatterUpdate", "ResourceScatterUpdate")]:
    _add(
        _op,
        {"ref": _x, "indices": np.array([0, 5], np.int32), "updates": randn(2, 2)},
        fed={"indices": [None]},
        id="bad-index",
        error="indices[1] = 5 is not in [0, 3)",
    )
    _add(
        _res,
        {"resource": _x, "indices": np.array([[0], [-1]], np.int32), "updates": randn(2, 1, 2)},
        fed={"indices": [None, 1]},
        id="bad-index",
        error="indices[1,0] = -1 is not in [0, 3)",
    )
    _add(
        _op,
        {"ref": _x, "indices": np.array([0, 1], np.int32), "updates": randn(2, 3)},
        fed={"updates": [None, None]},
        id="bad-updates",
        error=(
            "Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got updates.shape "
            "[2,3], indices.shape [2], params.shape [3,2]"
        ),
    )


# Proximal gradient descent / proximal Adagrad / FTRL / Adagrad dual averaging (float and double only:
# TF registers no other CPU kernels for them). l1 > 0 and l1 = 0 take different formulas.
_PROX_DENSE = [("f32", (3, 2), np.float32, 1e-5), ("f64", (4,), np.float64, 1e-10), ("scalar", (), np.float32, 1e-5)]
for tag, shape, dt, rtol in [*_PROX_DENSE, ("empty", (0, 3), np.float32, 1e-5)]:
    kw = dict(rtol=rtol, atol=rtol)
    for l1 in (0.0, 0.05):
        reg = {"l1": _s(l1, dt), "l2": _s(0.1, dt)}
        sub = f"{tag}-l1{int(l1 > 0)}"
        _both(
            "ApplyProximalGradientDescent",
            {"var": randn(*shape, dtype=dt), "alpha": _s(0.1, dt), **reg, "delta": randn(*shape, dtype=dt)},
            id=sub,
            **kw,
        )
        _both(
            "ApplyProximalAdagrad",
            {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                **reg,
                "grad": randn(*shape, dtype=dt),
            },
            id=sub,
            **kw,
        )
        _both(
            "ApplyAdagradDA",
            {
                "var": randn(*shape, dtype=dt),
                "gradient_accumulator": randn(*shape, dtype=dt),
                "gradient_squared_accumulator": _pos(*shape, dtype=dt),
                "grad": randn(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                **reg,
                "global_step": np.array(7, np.int64),
            },
            id=sub,
            **kw,
        )
    for lr_power in (-0.5, -0.3):
        for by_lr in (False, True):
            sub = f"{tag}-p{-lr_power}-bylr{int(by_lr)}"
            ftrl = {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "linear": randn(*shape, dtype=dt),
                "grad": randn(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                "l1": _s(0.05, dt),
                "l2": _s(0.1, dt),
            }
            attrs = {"multiply_linear_by_lr": by_lr}
            _both("ApplyFtrl", {**ftrl, "lr_power": _s(lr_power, dt)}, attrs, id=sub, **kw)
            _both(
                "ApplyFtrlV2", {**ftrl, "l2_shrinkage": _s(0.2, dt), "lr_power": _s(lr_power, dt)}, attrs, id=sub, **kw
            )

_PROX_SPARSE = [
    ("f32", (5, 3), [4, 0, 2], np.float32, np.int32, 1e-5),
    ("f64-i64", (6,), [1, 5, 3, 0], np.float64, np.int64, 1e-10),
    ("rank3", (4, 2, 3), [3, 1], np.float32, np.int32, 1e-5),
    ("col", (4, 1), [2, 0], np.float32, np.int64, 1e-5),
    ("none", (3, 2), [], np.float32, np.int32, 1e-5),
    ("repeated", (4, 3), [1, 3, 1, 1, 0], np.float32, np.int32, 1e-5),
    ("repeated-col", (4,), [2, 2, 0], np.float64, np.int32, 1e-10),
]
for tag, shape, idx, dt, it, rtol in _PROX_SPARSE:
    kw = dict(rtol=rtol, atol=rtol)
    idx = np.asarray(idx, dtype=it)
    gshape = (len(idx), *shape[1:])
    for l1 in (0.0, 0.05):
        reg = {"l1": _s(l1, dt), "l2": _s(0.1, dt)}
        sub = f"{tag}-l1{int(l1 > 0)}"
        _both(
            "SparseApplyProximalGradientDescent",
            {
                "var": randn(*shape, dtype=dt),
                "alpha": _s(0.1, dt),
                **reg,
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
            },
            id=sub,
            **kw,
        )
        _both(
            "SparseApplyProximalAdagrad",
            {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "lr": _s(0.1, dt),
                **reg,
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
            },
            id=sub,
            **kw,
        )
        _both(
            "SparseApplyAdagradDA",
            {
                "var": randn(*shape, dtype=dt),
                "gradient_accumulator": randn(*shape, dtype=dt),
                "gradient_squared_accumulator": _pos(*shape, dtype=dt),
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
                "lr": _s(0.1, dt),
                **reg,
                "global_step": np.array(5, np.int64),
            },
            id=sub,
            **kw,
        )
    for lr_power in (-0.5, -0.3):
        for by_lr in (False, True):
            sub = f"{tag}-p{-lr_power}-bylr{int(by_lr)}"
            ftrl = {
                "var": randn(*shape, dtype=dt),
                "accum": _pos(*shape, dtype=dt),
                "linear": randn(*shape, dtype=dt),
                "grad": randn(*gshape, dtype=dt),
                "indices": idx,
                "lr": _s(0.1, dt),
                "l1": _s(0.05, dt),
                "l2": _s(0.1, dt),
            }
            attrs = {"multiply_linear_by_lr": by_lr}
            _both("SparseApplyFtrl", {**ftrl, "lr_power": _s(lr_power, dt)}, attrs, id=sub, **kw)
            _both(
                "SparseApplyFtrlV2",
                {**ftrl, "l2_shrinkage": _s(0.2, dt), "lr_power": _s(lr_power, dt)},
                attrs,
                id=sub,
                **kw,
            )

# Their runtime checks, in TF's wording.
_both(
    "ApplyProximalGradientDescent",
    {"var": randn(3, 2), "alpha": _s(0.1), "l1": np.array([0.1, 0.2], np.float32), "l2": _s(0.1), "delta": randn(3, 2)},
    fed={"l1": None},
    id="l1-not-scalar",
    steps=1,
    error="l1 regularization strength is not a scalar: [2]",
)
# FTRL's dense kernels check only that the hyper-parameters are scalars; the sparse ones check their range.
_both(
    "SparseApplyFtrl",
    {
        "var": randn(3),
        "accum": _pos(3),
        "linear": randn(3),
        "grad": randn(2),
        "indices": np.array([0, 2], np.int32),
        "lr": _s(-0.1),
        "l1": _s(0.0),
        "l2": _s(0.0),
        "lr_power": _s(-0.5),
    },
    id="negative-lr",
    steps=1,
    error="lr is not a positive scalar (or zero if multiply_linear_by_lr is set): []",
)
_both(
    "SparseApplyFtrlV2",
    {
        "var": randn(3),
        "accum": _pos(3),
        "linear": randn(3),
        "grad": randn(2),
        "indices": np.array([0, 2], np.int32),
        "lr": _s(0.1),
        "l1": _s(0.0),
        "l2": _s(0.0),
        "l2_shrinkage": _s(-1.0),
        "lr_power": _s(-0.5),
    },
    id="negative-shrinkage",
    steps=1,
    error="l2 shrinkage regularization strength is not a non-negative scalar: []",
)
_both(
    "ApplyFtrl",
    {
        "var": randn(3),
        "accum": _pos(3),
        "linear": randn(3),
        "grad": randn(3),
        "lr": np.ones(2, np.float32),
        "l1": _s(0.0),
        "l2": _s(0.0),
        "lr_power": _s(-0.5),
    },
    fed={"lr": None},
    id="lr-not-scalar",
    steps=1,
    error="lr is not a scalar: [2]",
)
_both(
    "SparseApplyAdagradDA",
    {
        "var": randn(3, 2),
        "gradient_accumulator": randn(3, 2),
        "gradient_squared_accumulator": _pos(3, 2),
        "grad": randn(2, 2),
        "indices": np.array([0, 3], np.int32),
        "lr": _s(0.1),
        "l1": _s(0.0),
        "l2": _s(0.0),
        "global_step": np.array(1, np.int64),
    },
    id="index-out-of-range",
    steps=1,
    error="Index 3 at offset 1 in indices is out of range",
)
