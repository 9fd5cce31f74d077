"""Runs one op in TensorFlow and in torchmeta from the same sample and compares the results.

A ``Sample`` names an op, its inputs (numpy arrays, or lists of arrays for ``N * T`` inputs) and
attrs (dtype names as strings, shapes as lists). Inputs listed in ``fed`` become placeholders whose
static shape is ``fed[name]`` (``None`` entries are unknown dims), so shape functions are tested on
partially known shapes too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import torchmeta as tm

_rng = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    """Deterministic standard-normal sample data."""
    return _rng.standard_normal(shape).astype(dtype)


@dataclass
class Sample:
    op: str
    inputs: dict
    attrs: dict = field(default_factory=dict)
    id: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6
    fed: dict = field(default_factory=dict)  # input name -> placeholder shape (None for unknown dims)
    xfail: str | None = None
    random: bool = False  # compare only shapes and dtypes (random ops)
    check_static_shape: bool = True
    grad: bool = True  # include in gradient tests
    # Outputs that are kernel scratch space whose shape TF's CPU kernel picks by the machine's
    # instruction set (oneDNN or Eigen): only their dtype is compared.
    opaque_outputs: tuple = ()
    # Integer outputs may differ by this much (documented codec tolerances, e.g. JPEG's DCT); 0 = exact.
    int_atol: int = 0

    @property
    def name(self) -> str:
        return f"{self.op}-{self.id}" if self.id else self.op


def _convert_attr(value, framework):
    """Attr values in samples use dtype names ("float32"); each framework gets its own dtype."""
    if isinstance(value, str) and value.startswith("dtype:"):
        return framework.as_dtype(value[len("dtype:") :])
    if isinstance(value, list) and value and isinstance(value[0], str) and value[0].startswith("dtype:"):
        return [framework.as_dtype(v[len("dtype:") :]) for v in value]
    return value


def build_and_run(framework, sample: Sample, raw_ops, session_cls, placeholder, constant):
    """Builds ``sample`` with one framework's API, runs it, returns (values, static shapes, dtypes)."""
    feeds = {}
    kwargs = {}
    for name, value in sample.inputs.items():
        if isinstance(value, (list, tuple)):
            kwargs[name] = [constant(v) for v in value]
        elif name in sample.fed:
            ph = placeholder(
                framework.as_dtype(value.dtype.name if value.dtype != object else "string"), sample.fed[name]
            )
            feeds[ph] = value
            kwargs[name] = ph
        else:
            kwargs[name] = constant(value)
    for name, value in sample.attrs.items():
        kwargs[name] = _convert_attr(value, framework)
    out = getattr(raw_ops, sample.op)(**kwargs)
    outs = _flatten(out)
    with session_cls() as sess:
        values = sess.run(outs, feeds) if outs else [sess.run(out, feeds)]
    shapes = [t.shape.as_list() if t.shape.rank is not None else None for t in outs]
    dts = [t.dtype.base_dtype.name for t in outs]
    return values, shapes, dts


def _flatten(out):
    if out is None or type(out).__name__ == "Operation":
        return []
    if isinstance(out, (list, tuple)):
        flat = []
        for o in out:
            flat.extend(_flatten(o))
        return flat
    return [out]


def run_tf(tf1, sample: Sample):
    import tensorflow as tf

    g = tf1.Graph()
    with g.as_default():
        return build_and_run(tf1, sample, tf.raw_ops, lambda: tf1.Session(graph=g), tf1.placeholder, tf1.constant)


def run_tm(sample: Sample, device: str = "cpu"):
    """The sample in torchmeta, its ops placed on ``device`` ("cpu" or "cuda"); results come back as numpy."""
    g = tm.Graph()
    config = tm.ConfigProto(device=device)
    with g.as_default():
        return build_and_run(
            tm, sample, tm.raw_ops, lambda: tm.Session(graph=g, config=config), tm.placeholder, tm.constant
        )


def assert_same(expected, actual, sample: Sample):
    exp_values, exp_shapes, exp_dtypes = expected
    values, shapes, dts = actual
    assert len(values) == len(exp_values), "number of outputs"
    assert dts == exp_dtypes, f"dtypes: {dts} != {exp_dtypes}"
    if sample.check_static_shape:
        assert shapes == exp_shapes, f"static shapes: {shapes} != TF's {exp_shapes}"
    for i, (v, e) in enumerate(zip(values, exp_values)):
        v, e = np.asarray(v), np.asarray(e)
        if i in sample.opaque_outputs:
            assert v.dtype == e.dtype, f"output {i} dtype {v.dtype} != {e.dtype}"
            continue
        assert v.shape == e.shape, f"output {i} shape {v.shape} != {e.shape}"
        assert v.dtype == e.dtype, f"output {i} dtype {v.dtype} != {e.dtype}"
        if sample.random:
            continue
        if e.dtype.kind in "fc" or e.dtype.kind == "V":
            np.testing.assert_allclose(
                v.astype(np.complex128 if e.dtype.kind == "c" else np.float64),
                e.astype(np.complex128 if e.dtype.kind == "c" else np.float64),
                rtol=sample.rtol,
                atol=sample.atol,
                equal_nan=True,
                err_msg=f"output {i}",
            )
        elif sample.int_atol and e.dtype.kind in "iu":
            diff = np.abs(v.astype(np.int64) - e.astype(np.int64))
            assert diff.max(initial=0) <= sample.int_atol, f"output {i}: max difference {diff.max()}"
        else:
            np.testing.assert_array_equal(v, e, err_msg=f"output {i}")


def _fed_everywhere(sample: Sample) -> Sample:
    """The sample with every array input fed through an unknown-shape placeholder (so errors surface
    in the kernel, not in shape inference)."""
    fed = {k: None for k, v in sample.inputs.items() if not isinstance(v, (list, tuple))}
    return Sample(sample.op, sample.inputs, sample.attrs, id=sample.id, fed={**fed, **sample.fed})


def tf_error_text(error) -> str:
    """The message line of a TF OpError (without TF's "Graph execution error" traceback and node context)."""
    lines = error.message.split("\n")
    marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
    return lines[marks[0] - 1] if marks else lines[-1]


def assert_same_runtime_error(tf1, sample: Sample, fed: bool = True):
    """Running ``sample`` fails in both frameworks with the same error class and TF's message
    (TF's node context after the message is left out)."""
    import pytest
    import tensorflow as tf

    if fed:
        sample = _fed_everywhere(sample)
    with pytest.raises(tf.errors.OpError) as theirs:
        run_tf(tf1, sample)
    message = tf_error_text(theirs.value)
    with pytest.raises(tm.errors.OpError) as ours:
        run_tm(sample)
    assert type(ours.value).__name__ == type(theirs.value).__name__, str(ours.value)
    assert message in str(ours.value)


def assert_same_shape_error(tf1, sample: Sample):
    """Building ``sample`` fails in both frameworks with TF's shape-inference ValueError: the same
    message and input shapes (TF's rendering of the node in between is left out)."""
    import pytest

    with pytest.raises(ValueError) as theirs:
        run_tf(tf1, sample)
    with pytest.raises(ValueError) as ours:
        run_tm(sample)
    theirs, ours = str(theirs.value), str(ours.value)
    assert ours.split(" for '")[0] == theirs.split(" for '")[0]
    assert ours.split("with input shapes: ")[1] == theirs.split("with input shapes: ")[1]
