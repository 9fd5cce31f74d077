"""``tf.compat``'s helpers, ``tf.dimension_value`` / ``dimension_at_index``, tf.dtypes' builders and the
version constants, against TensorFlow's."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import torchmeta as tm


@pytest.mark.parametrize(
    "value", ["héllo", b"h\xc3\xa9llo", bytearray(b"ab"), pathlib.Path("a/./b"), 3, np.int64(2), None]
)
@pytest.mark.parametrize("fn", ["as_bytes", "as_text", "as_str", "as_str_any", "path_to_str"])
def test_string_helpers_match_tf(tf1, fn, value):
    results = []
    for compat in (tf1.compat, tm.compat):
        try:
            results.append(("ok", getattr(compat, fn)(value)))
        except TypeError as e:
            results.append(("TypeError", str(e)))
    assert results[1] == results[0]


def test_type_tuples_answer_as_tfs(tf1):
    for value in [1, np.int8(1), 1.5, np.float32(1), 1j, np.complex64(1), True, "a", b"a", np.bool_(True)]:
        for name in ("integral_types", "real_types", "complex_types", "bytes_or_text_types"):
            assert isinstance(value, getattr(tm.compat, name)) == isinstance(value, getattr(tf1.compat, name)), (
                name,
                value,
            )


@pytest.mark.parametrize("date", [(2025, 12, 31), (2026, 1, 15), (2026, 1, 16), (2026, 2, 1), (2030, 1, 1)])
def test_forward_compatible_matches_tf(tf1, date):
    assert tm.compat.forward_compatible(*date) == tf1.compat.forward_compatible(*date)


def test_forward_compatibility_horizon_matches_tf(tf1):
    for compat in (tf1.compat, tm.compat):
        with compat.forward_compatibility_horizon(2030, 5, 1):
            assert compat.forward_compatible(2030, 4, 30) and not compat.forward_compatible(2030, 5, 1)
        with compat.forward_compatibility_horizon(2000, 1, 1):  # before the horizon: ignored
            assert compat.forward_compatible(2025, 1, 1)
        assert not compat.forward_compatible(2030, 4, 30)


def test_dimension_helpers_match_tf(tf1):
    for api in (tm, tf1, tm.compat):
        shape = api.TensorShape([3, None]) if hasattr(api, "TensorShape") else tm.TensorShape([3, None])
        assert api.dimension_value(shape[0]) == 3
        assert api.dimension_value(shape[1]) is None
        assert api.dimension_value(4) == 4
    for api in (tm, tf1):
        assert api.dimension_at_index(api.TensorShape([3, None]), 0).value == 3
        assert api.dimension_at_index(api.TensorShape(None), 5).value is None


def test_version_constants():
    """TF 2.21's GraphDef versions and release, which torchmeta's files record."""
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    assert (tm.VERSION, tm.GRAPH_DEF_VERSION) == (v1.VERSION, v1.GRAPH_DEF_VERSION)
    assert (tm.GRAPH_DEF_VERSION_MIN_CONSUMER, tm.GRAPH_DEF_VERSION_MIN_PRODUCER) == (
        v1.GRAPH_DEF_VERSION_MIN_CONSUMER,
        v1.GRAPH_DEF_VERSION_MIN_PRODUCER,
    )
    assert f"torchmeta-{tm.__version__}" == tm.GIT_VERSION
    assert tm.Graph().as_graph_def().versions.producer == tm.GRAPH_DEF_VERSION
    assert tm.train.export_meta_graph().meta_info_def.tensorflow_git_version == tm.GIT_VERSION


def test_dtypes_builders_match_tf(tf1):
    outs = []
    for api in (tf1, tm):
        with api.Graph().as_default() as g:
            x = api.placeholder(api.float32, [2], name="x")
            ys = [
                api.dtypes.cast(x, api.int32),
                api.dtypes.saturate_cast(x * 1000.0, api.int8),
                api.dtypes.complex(x, x),
                api.dtypes.as_string(x, precision=2),
            ]
            with api.Session() as sess:
                values = sess.run(ys, {x: [1.5, -300.25]})
        outs.append(([(n.name, n.op, list(n.input)) for n in g.as_graph_def().node], values))
    assert outs[1][0] == outs[0][0]
    for a, e in zip(outs[1][1], outs[0][1]):
        assert a.dtype == e.dtype
        np.testing.assert_array_equal(a, e)


def test_quantized_dtypes_match_tf(tf1):
    assert sorted(d.name for d in tm.dtypes.QUANTIZED_DTYPES) == sorted(d.name for d in tf1.dtypes.QUANTIZED_DTYPES)
