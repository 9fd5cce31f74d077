"""Clipping functions against TensorFlow: the same nodes (names, op types, inputs) and the same values."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.api import clip_ops

_rng = np.random.default_rng(3)
A = _rng.standard_normal((3, 4)).astype(np.float32)
B = _rng.standard_normal(5).astype(np.float32)
ROWS = _rng.standard_normal((2, 4)).astype(np.float32)


def _clip(api):
    return clip_ops if api is tm else api


def _structure(g):
    return [(op.name, op.type, [t.name for t in op.inputs]) for op in g.get_operations()]


def _flat(out):
    if isinstance(out, (list, tuple)):
        items = []
        for o in out:
            items.extend(_flat(o))
        return items
    if out is None:
        return []
    if hasattr(out, "indices"):
        return [out.values, out.indices]
    return [out]


def _run(api, build):
    g = api.Graph()
    with g.as_default():
        out = build(api, _clip(api))
        with api.Session(graph=g) as sess:
            values = sess.run(_flat(out))
    return values, _structure(g)


CASES = {
    "by_value": lambda api, c: c.clip_by_value(api.constant(A), -0.5, 0.5),
    "by_value-tensor-bounds": lambda api, c: c.clip_by_value(
        api.constant(A), api.constant([-1.0, -0.1, -0.2, 0.0]), 0.3, name="cv"
    ),
    "by_value-indexed-slices": lambda api, c: c.clip_by_value(
        api.IndexedSlices(api.constant(ROWS), api.constant([2, 0]), api.constant([3, 4])), -0.2, 0.2
    ),
    "by_norm": lambda api, c: c.clip_by_norm(api.constant(A), 1.5),
    "by_norm-axes": lambda api, c: c.clip_by_norm(api.constant(A), 1.0, axes=[1]),
    "by_norm-tensor-clip": lambda api, c: c.clip_by_norm(api.constant(A), api.constant(2.0), name="clipped"),
    "by_norm-negative-clip": lambda api, c: c.clip_by_norm(api.constant(A), -1.0),
    "by_norm-zeros": lambda api, c: c.clip_by_norm(api.zeros([2, 2]), 1.0),
    "by_norm-indexed-slices": lambda api, c: c.clip_by_norm(
        api.IndexedSlices(api.constant(ROWS), api.constant([2, 0]), api.constant([3, 4])), 0.5
    ),
    "global_norm": lambda api, c: c.global_norm([api.constant(A), None, api.constant(B)]),
    "global_norm-indexed-slices": lambda api, c: c.global_norm(
        [api.IndexedSlices(api.constant(ROWS), api.constant([2, 0])), api.constant(B)], name="gn"
    ),
    "by_global_norm": lambda api, c: c.clip_by_global_norm([api.constant(A), None, api.constant(B)], 1.0),
    "by_global_norm-no-clip": lambda api, c: c.clip_by_global_norm([api.constant(A), api.constant(B)], 100.0),
    "by_global_norm-use-norm": lambda api, c: c.clip_by_global_norm(
        [api.constant(A)], 1.0, use_norm=api.constant(4.0), name="cg"
    ),
    "by_global_norm-indexed-slices": lambda api, c: c.clip_by_global_norm(
        [api.IndexedSlices(api.constant(ROWS), api.constant([2, 0]), api.constant([3, 4])), api.constant(B)], 0.5
    ),
    "by_global_norm-inf": lambda api, c: c.clip_by_global_norm([api.constant([np.inf, 1.0])], 1.0),
    "by_global_norm-float64": lambda api, c: c.clip_by_global_norm([api.constant(A.astype(np.float64))], 1.0),
    "by_average_norm": lambda api, c: c.clip_by_average_norm(api.constant(A), 0.1),
    "by_average_norm-unclipped": lambda api, c: c.clip_by_average_norm(api.constant(A), 10.0, name="avg"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_clip_matches_tf(tf1, case):
    build = CASES[case]
    their_values, their_graph = _run(tf1, build)
    our_values, our_graph = _run(tm, build)
    assert our_graph == their_graph
    assert len(our_values) == len(their_values)
    for a, e in zip(our_values, their_values):
        assert np.asarray(a).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7, equal_nan=True)


def test_indexed_slices_stay_indexed_slices():
    g = tm.Graph()
    with g.as_default():
        s = tm.IndexedSlices(tm.constant(ROWS), tm.constant([2, 0]), tm.constant([3, 4]))
        assert isinstance(clip_ops.clip_by_value(s, -1.0, 1.0), tm.IndexedSlices)
        assert isinstance(clip_ops.clip_by_norm(s, 1.0), tm.IndexedSlices)
        clipped, _ = clip_ops.clip_by_global_norm([s, None], 1.0)
        assert isinstance(clipped[0], tm.IndexedSlices) and clipped[0].indices is s.indices
        assert clipped[1] is None


@pytest.mark.parametrize("fn", ["global_norm", "clip_by_global_norm"])
def test_non_sequence_is_a_type_error_like_tf(tf1, fn):
    def call(api):
        g = api.Graph()
        with g.as_default(), pytest.raises(TypeError) as info:
            args = (api.constant(A),) if fn == "global_norm" else (api.constant(A), 1.0)
            getattr(_clip(api), fn)(*args)
        return str(info.value).split(" Received")[0]

    assert call(tm) == call(tf1)


def test_exported_as_tf_names():
    for name in clip_ops.__all__:
        assert getattr(tm, name) is getattr(clip_ops, name)
