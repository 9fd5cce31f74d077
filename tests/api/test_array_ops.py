"""The TF1 array API (tf.zeros, tf.reshape, tensor[...], ...) builds the graphs TF builds and fails like TF."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from torchmeta import errors

F23 = np.arange(6, dtype=np.float32).reshape(2, 3)
F24 = np.arange(8, dtype=np.float32).reshape(2, 4)


def _nodes(graph):
    return [(n.name, n.op, list(n.input)) for n in graph.as_graph_def().node]


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _build_and_run(tf, build, feeds):
    g = tf.Graph()
    with g.as_default():
        phs = {}

        def ph(name, dtype, shape):
            phs[name] = tf.placeholder(dtype, shape, name=name)
            return phs[name]

        out = _flat(build(tf, ph))
        with tf.Session(graph=g) as sess:
            values = sess.run(out, {phs[k]: v for k, v in feeds.items()})
    shapes = [None if t.shape.rank is None else t.shape.as_list() for t in out]
    return _nodes(g), values, shapes


# Each case builds with the given module (TF's tf.compat.v1 or torchmeta) and a placeholder factory.
GRAPH_CASES = {
    "zeros-small": (lambda tf, ph: tf.zeros([2, 3]), {}),
    "zeros-large": (lambda tf, ph: tf.zeros([100, 100], tf.int64), {}),
    "zeros-bool-scalar": (lambda tf, ph: tf.zeros([], tf.bool, name="z"), {}),
    "zeros-tensor-shape": (lambda tf, ph: tf.zeros(ph("s", tf.int32, [2])), {"s": np.array([2, 1], np.int32)}),
    "zeros-mixed-shape": (lambda tf, ph: tf.zeros([ph("n", tf.int32, []), 3]), {"n": np.int32(2)}),
    "ones-small": (lambda tf, ph: tf.ones([2, 3], name="o"), {}),
    "ones-large": (lambda tf, ph: tf.ones([40, 40]), {}),
    "ones-scalar-shape-tensor": (lambda tf, ph: tf.ones(ph("n", tf.int32, [])), {"n": np.int32(3)}),
    "zeros_like-static": (lambda tf, ph: tf.zeros_like(tf.constant(F23)), {}),
    "zeros_like-dynamic": (lambda tf, ph: tf.zeros_like(ph("x", tf.float32, [None, 3])), {"x": F23}),
    "zeros_like-dtype": (lambda tf, ph: tf.zeros_like(ph("x", tf.float32, [None, 3]), dtype=tf.int32), {"x": F23}),
    "ones_like-static": (lambda tf, ph: tf.ones_like(tf.constant(F23)), {}),
    "ones_like-dynamic": (lambda tf, ph: tf.ones_like(ph("x", tf.float32, [None, 3])), {"x": F23}),
    "fill": (lambda tf, ph: tf.fill([2, 3], 5.0), {}),
    "shape-static": (lambda tf, ph: tf.shape(tf.constant(F23)), {}),
    "shape-dynamic-int64": (lambda tf, ph: tf.shape(ph("x", tf.float32, [None, 3]), out_type=tf.int64), {"x": F23}),
    "shape_n": (lambda tf, ph: tf.shape_n([tf.constant(F23), ph("x", tf.float32, None)]), {"x": F24}),
    "size": (lambda tf, ph: [tf.size(tf.constant(F23)), tf.size(ph("x", tf.float32, [None, 3]))], {"x": F23}),
    "size-zero-dim": (lambda tf, ph: tf.size(ph("x", tf.float32, [None, 0])), {"x": np.zeros((2, 0), np.float32)}),
    "rank": (lambda tf, ph: [tf.rank(tf.constant(F23)), tf.rank(ph("x", tf.float32, None))], {"x": F23}),
    "reshape": (lambda tf, ph: tf.reshape(tf.constant(F23), [-1]), {}),
    "reshape-packed-shape": (
        lambda tf, ph: tf.reshape(ph("x", tf.float32, None), [ph("n", tf.int32, []), -1]),
        {"x": F23, "n": np.int32(3)},
    ),
    "reshape-shape-of": (
        lambda tf, ph: tf.reshape(tf.constant(F23), tf.shape(ph("y", tf.float32, [3, None]))),
        {"y": np.zeros((3, 2), np.float32)},
    ),
    "expand_dims": (lambda tf, ph: [tf.expand_dims(tf.constant(F23), 0), tf.expand_dims(F23, dim=-1)], {}),
    "squeeze": (
        lambda tf, ph: [
            tf.squeeze(tf.zeros([1, 2, 1])),
            tf.squeeze(tf.zeros([1, 2, 1]), squeeze_dims=[0]),
            tf.squeeze(tf.zeros([1, 2, 1]), axis=2),
        ],
        {},
    ),
    "transpose": (lambda tf, ph: [tf.transpose(tf.constant(F23)), tf.transpose(F23, [1, 0], name="t")], {}),
    "transpose-unknown-rank": (lambda tf, ph: tf.transpose(ph("x", tf.float32, None)), {"x": F23}),
    "concat": (lambda tf, ph: tf.concat([tf.constant(F23), [[1.0, 2.0, 3.0]]], 0), {}),
    "concat-one": (lambda tf, ph: tf.concat([tf.constant(F23)], 1), {}),
    "concat-tensor-axis": (lambda tf, ph: tf.concat([F23, F23], ph("a", tf.int32, [])), {"a": np.int32(1)}),
    "stack": (
        lambda tf, ph: [tf.stack([1, 2]), tf.stack([tf.constant(F23), F23]), tf.stack([F23, F23], axis=1)],
        {},
    ),
    "stack-mixed": (lambda tf, ph: tf.stack([ph("a", tf.float32, []), 2.0]), {"a": np.float32(1)}),
    "unstack": (lambda tf, ph: [tf.unstack(tf.constant(F23)), tf.unstack(F23, axis=1, name="u")], {}),
    "slice": (lambda tf, ph: tf.slice(tf.constant(F23), [0, 1], [1, -1]), {}),
    "strided_slice-default-strides": (lambda tf, ph: tf.strided_slice(tf.constant(F23), [0, 1], [2, 3]), {}),
    "getitem-int": (lambda tf, ph: tf.constant(F23)[1], {}),
    "getitem-slices": (lambda tf, ph: [tf.constant(F23)[1:], tf.constant(F23)[:, ::-2]], {}),
    "getitem-ellipsis-newaxis": (lambda tf, ph: tf.constant(F23)[..., None, -1], {}),
    "getitem-none-first": (lambda tf, ph: tf.constant(F23)[None, 0:1, ...], {}),
    "getitem-tensor-index": (lambda tf, ph: tf.constant(F23)[ph("i", tf.int32, [])], {"i": np.int32(1)}),
    "getitem-int64-tensor": (lambda tf, ph: tf.constant(F23)[:, ph("i", tf.int64, []) :], {"i": np.int64(1)}),
    "getitem-bool-mask": (lambda tf, ph: tf.constant(F23)[np.array([True, False])], {}),
    "tile": (lambda tf, ph: tf.tile(tf.constant(F23), [2, 1]), {}),
    "stop_gradient": (lambda tf, ph: tf.stop_gradient(tf.constant(F23)), {}),
    "gather": (
        lambda tf, ph: [tf.gather(tf.constant(F23), [1, 0]), tf.gather(F23, [2], axis=1, name="g")],
        {},
    ),
    "gather-batch-dims": (lambda tf, ph: tf.gather(F23, [[0], [2]], batch_dims=1), {}),
    "gather_nd": (lambda tf, ph: tf.gather_nd(tf.constant(F23), [[0, 1], [1, 2]]), {}),
    "gather_nd-batch-dims-1": (
        lambda tf, ph: tf.gather_nd(np.arange(24.0).reshape(2, 3, 4), [[[1, 0]], [[2, 3]]], batch_dims=1),
        {},
    ),
    "gather_nd-batch-dims-2-slices": (
        lambda tf, ph: tf.gather_nd(
            ph("p", tf.float32, [None, 2, 3, 4]), np.array([[[[2]], [[0]]]] * 2, np.int64), batch_dims=2
        ),
        {"p": np.arange(48, dtype=np.float32).reshape(2, 2, 3, 4)},
    ),
    "where-coords": (lambda tf, ph: tf.where([[True, False], [False, True]]), {}),
    "where-select": (lambda tf, ph: tf.where([True, False], [1, 2], [3, 4]), {}),
    "where_v2": (lambda tf, ph: tf.where_v2([True, False], [[1, 2]], 0), {}),
    "sparse_to_dense": (lambda tf, ph: tf.sparse_to_dense([[0], [2]], [4], [1.0, 2.0]), {}),
    "one_hot": (
        lambda tf, ph: [tf.one_hot([0, 2], 3), tf.one_hot([1], 2, on_value=5, off_value=0, axis=0)],
        {},
    ),
    "pad": (
        lambda tf, ph: [
            tf.pad(F23, [[1, 1], [0, 2]]),
            tf.pad(F23, [[1, 1], [0, 2]], constant_values=3.0),
            tf.pad(F23, [[1, 1], [0, 2]], "REFLECT"),
            tf.pad(F23, [[1, 1], [0, 2]], mode="symmetric"),
        ],
        {},
    ),
    "split": (lambda tf, ph: [tf.split(F24, 2, axis=1), tf.split(F24, [1, 3], 1)], {}),
    "unique": (lambda tf, ph: list(tf.unique([3, 1, 3])), {}),
    "dynamic_stitch": (lambda tf, ph: tf.dynamic_stitch([[0, 1], [2]], [[1.0, 2.0], [3.0]]), {}),
    "reverse": (lambda tf, ph: [tf.reverse(F23, [0]), tf.reverse_v2(F23, [-1])], {}),
    "broadcast_to": (lambda tf, ph: tf.broadcast_to(F23, [3, 2, 3]), {}),
    "broadcast_dynamic_shape": (lambda tf, ph: tf.broadcast_dynamic_shape([2, 1], [3]), {}),
    "boolean_mask": (lambda tf, ph: tf.boolean_mask(F23, [True, False]), {}),
    "boolean_mask-axis": (lambda tf, ph: tf.boolean_mask(F23, [True, False, True], axis=1), {}),
    "check_numerics": (lambda tf, ph: tf.check_numerics(F23, "msg"), {}),
    "ensure_shape": (lambda tf, ph: tf.ensure_shape(ph("x", tf.float32, None), [2, None]), {"x": F23}),
    "invert_permutation": (lambda tf, ph: tf.invert_permutation([2, 0, 1]), {}),
    "setdiff1d": (lambda tf, ph: list(tf.setdiff1d([1, 2, 3], [2])), {}),
    "identity": (lambda tf, ph: [tf.identity(F23), tf.identity_n([F23, [1, 2]])], {}),
    "placeholder_with_default": (lambda tf, ph: tf.placeholder_with_default([1.0, 2.0], [None]), {}),
    "meshgrid": (lambda tf, ph: tf.meshgrid([1, 2, 3], [4, 5]), {}),
    "unique_with_counts": (
        lambda tf, ph: tf.unique_with_counts(ph("x", tf.int32, [None]), out_idx=tf.int64, name="u"),
        {"x": np.array([3, 1, 3, 3, 2, 1], np.int32)},
    ),
    "searchsorted-left": (
        lambda tf, ph: tf.searchsorted([[1.0, 2.0, 4.0], [0.0, 5.0, 9.0]], ph("v", tf.float32, [2, None])),
        {"v": np.array([[0.5, 2.0, 9.0], [5.0, 5.5, -1.0]], np.float32)},
    ),
    "searchsorted-right-dynamic": (
        lambda tf, ph: tf.searchsorted(
            ph("s", tf.int32, [None]), ph("v", tf.int32, None), side="right", out_type=tf.int64, name="ss"
        ),
        {"s": np.array([1, 3, 3, 7], np.int32), "v": np.array([3, 0, 8, 7], np.int32)},
    ),
    "roll": (
        lambda tf, ph: [tf.roll(tf.constant(F23), 1, 1), tf.roll(ph("x", tf.float32, None), [1, -1], [0, 1])],
        {"x": F24},
    ),
    "space_to_depth": (
        lambda tf, ph: [
            tf.space_to_depth(ph("x", tf.float32, [1, 2, 4, 1]), 2),
            tf.nn.depth_to_space(tf.space_to_depth(ph("x2", tf.float32, None), 2, name="s2d"), 2, name="d2s"),
        ],
        {"x": F24.reshape(1, 2, 4, 1), "x2": F24.reshape(1, 2, 4, 1)},
    ),
    "math.invert_permutation": (lambda tf, ph: tf.math.invert_permutation([2, 0, 1]), {}),
    "bincount": (
        lambda tf, ph: [
            tf.bincount(ph("a", tf.int32, [None])),
            tf.math.bincount(ph("a2", tf.int32, None), minlength=8, maxlength=9),
            # placeholders: TF's shape inference folds max(arr) + 1 of constants, graph.py's constant_value does not
            tf.bincount(ph("m", tf.int32, [2, 2]), weights=ph("w", tf.float32, [2, 2]), dtype=tf.float32),
            tf.bincount(ph("e", tf.int32, [0])),
        ],
        {
            "a": np.array([1, 3, 3, 0], np.int32),
            "a2": np.array([[2, 2], [5, 0]], np.int32),
            "m": np.array([[1, 1], [4, 0]], np.int32),
            "w": np.array([[0.5, 1.0], [2.0, 3.0]], np.float32),
            "e": np.zeros(0, np.int32),
        },
    ),
    "sequence_mask": (
        lambda tf, ph: [
            tf.sequence_mask([1, 3, 2], 5),
            tf.sequence_mask(ph("l", tf.int32, [None]), dtype=tf.float32, name="m"),
            tf.sequence_mask(ph("l2", tf.int64, [2, 2]), ph("n", tf.int32, [])),
            tf.sequence_mask(ph("u", tf.int32, None)),
        ],
        {
            "l": np.array([0, 2, 4], np.int32),
            "l2": np.array([[1, 0], [3, 2]], np.int64),
            "n": np.int32(3),
            "u": np.array([[2], [1]], np.int32),
        },
    ),
    "repeat": (
        lambda tf, ph: [
            tf.repeat(ph("x", tf.float32, [None, 3]), 2),
            tf.repeat(ph("y", tf.float32, [2, 3]), 2, axis=-1),
            tf.repeat(ph("z", tf.int32, [None, 2]), ph("r", tf.int64, [None]), axis=0, name="rep"),
            tf.repeat(ph("w", tf.float32, [None, None]), [1, 2], axis=1),
        ],
        {
            "x": F23,
            "y": F23,
            "z": np.array([[1, 2], [3, 4], [5, 6]], np.int32),
            "r": np.array([2, 0, 1], np.int64),
            "w": F23[:, :2],
        },
    ),
    "convert-autopack": (
        lambda tf, ph: tf.convert_to_tensor([[ph("a", tf.float32, []), 1.0], [2.0, 3.0]]),
        {"a": np.float32(0)},
    ),
    # A list holding only Tensors, passed to a typed input: one Pack, named after the input, in the op's scope.
    "broadcast_to-packed-shape": (
        lambda tf, ph: tf.broadcast_to(tf.constant(1.0), [ph("n", tf.int32, [])]),
        {"n": np.int32(3)},
    ),
    "tile-packed-multiples": (
        lambda tf, ph: [
            tf.tile(ph("x", tf.float32, [2]), [ph("n", tf.int32, [])]),
            tf.tile(ph("y", tf.float32, [2]), [ph("m", tf.int64, [])]),
        ],
        {"x": np.ones(2, np.float32), "y": np.ones(2, np.float32), "n": np.int32(2), "m": np.int64(3)},
    ),
    "fill-packed-dims": (
        lambda tf, ph: tf.fill([ph("n", tf.int32, []), ph("m", tf.int32, [])], 1.5),
        {"n": np.int32(2), "m": np.int32(1)},
    ),
    # TF casts the Tensors of a nested list to the dtype asked for (Cast nodes before the Pack).
    "zeros-int64-in-shape-list": (lambda tf, ph: tf.zeros([ph("n", tf.int64, []), 3]), {"n": np.int64(2)}),
    "convert-autopack-cast": (
        lambda tf, ph: [
            tf.convert_to_tensor([ph("a", tf.int64, []), 3], dtype=tf.int32),
            tf.convert_to_tensor([ph("b", tf.int32, []), 3], preferred_dtype=tf.int64),
        ],
        {"a": np.int64(1), "b": np.int32(2)},
    ),
    # Mixed int64/int32 Tensors: the plain trial fails, the OpDef's default int32 casts the int64 one.
    "reshape-mixed-dtype-shape": (
        lambda tf, ph: tf.reshape(ph("x", tf.float32, None), [ph("a", tf.int64, []), ph("b", tf.int32, [])]),
        {"x": F23, "a": np.int64(3), "b": np.int32(2)},
    ),
}


@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_graph_matches_tf(tf1, case):
    build, feeds = GRAPH_CASES[case]
    tf_nodes, tf_values, tf_shapes = _build_and_run(tf1, build, feeds)
    nodes, values, shapes = _build_and_run(tm, build, feeds)
    assert nodes == tf_nodes
    assert shapes == tf_shapes
    for v, e in zip(values, tf_values):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(e))
        assert np.asarray(v).dtype == np.asarray(e).dtype


def _tf_kernel_message(e) -> str:
    """The kernel's own message inside TF's 'Graph execution error' text."""
    lines = e.message.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Node: "):
            return "\n".join(lines[i + 1 :]).split("\n\t [[")[0].strip()
    return e.message.split("\n\t [[")[0].strip()


def _i32(*v):
    return np.array(v, np.int32)


# Run-time failures: (builder taking (tf, placeholder-of-value), fed values).
ERROR_CASES = {
    "reshape-size": (lambda tf, p: tf.reshape(p(F23), p(_i32(4))), None),
    "reshape-multiple": (lambda tf, p: tf.reshape(p(F23), p(_i32(-1, 4))), None),
    "reshape-two-unknown": (lambda tf, p: tf.reshape(p(F23), p(_i32(-1, -1))), None),
    "reshape-negative": (lambda tf, p: tf.reshape(p(F23), p(_i32(-2, 3))), None),
    "gather": (lambda tf, p: tf.raw_ops.Gather(params=p(F23), indices=p(_i32(5))), "Gather"),
    "gather_v2": (lambda tf, p: tf.gather(p(F23), p(np.array([[0, 5]], np.int32)), axis=1), None),
    "gather-negative": (lambda tf, p: tf.gather(p(F23), p(_i32(-1))), None),
    "gather_nd": (lambda tf, p: tf.gather_nd(p(F23), p(np.array([[1, 3]], np.int32))), None),
    "fill-negative": (lambda tf, p: tf.fill(p(_i32(-1, 2)), 1.0), None),
    "expand_dims": (lambda tf, p: tf.expand_dims(p(F23), p(np.int32(4))), None),
    "transpose-dup": (lambda tf, p: tf.transpose(p(F23), p(_i32(0, 0))), None),
    "transpose-size": (lambda tf, p: tf.transpose(p(F23), p(_i32(0, 1, 2))), None),
    "concat-dims": (lambda tf, p: tf.concat([p(F23), p(F24)], 0), None),
    "concat-axis": (lambda tf, p: tf.concat([p(F23), p(F24)], p(np.int32(2))), None),
    "concat-ranks": (lambda tf, p: tf.concat([p(F23), p(np.zeros(2, np.float32))], 0), None),
    "stack": (lambda tf, p: tf.stack([p(F23), p(F24)]), None),
    "unstack": (lambda tf, p: tf.unstack(p(F23), num=3), None),
    "slice-oob": (lambda tf, p: tf.slice(p(F23), p(_i32(1, 1)), p(_i32(2, 1))), None),
    "strided_slice-index": (lambda tf, p: p(F23)[p(np.int32(5))], None),
    "strided_slice-neg-index": (lambda tf, p: p(F23)[p(np.int32(-3))], None),
    "strided_slice-stride0": (lambda tf, p: tf.strided_slice(p(F23), [0], [1], p(_i32(0))), None),
    "strided_slice-dims": (lambda tf, p: p(F23)[p(np.int32(0)), 0, 0], None),
    "tile-length": (lambda tf, p: tf.tile(p(F23), p(_i32(1))), None),
    "tile-negative": (lambda tf, p: tf.tile(p(F23), p(_i32(1, -1))), None),
    "select-batch": (lambda tf, p: tf.where(p(np.array([True, False, True])), p(F23), p(F23)), None),
    "select-sizes": (lambda tf, p: tf.where(p(np.array([True, False])), p(F23), p(F24)), None),
    "select_v2": (lambda tf, p: tf.where_v2(p(np.array([True, False])), p(F23), p(F23)), None),
    "sparse_to_dense-bounds": (lambda tf, p: tf.sparse_to_dense(p(_i32(5).reshape(1, 1)), p(_i32(3)), 1.0), None),
    "sparse_to_dense-order": (lambda tf, p: tf.sparse_to_dense(p(_i32(2, 1).reshape(2, 1)), p(_i32(3)), 1.0), None),
    "sparse_to_dense-repeat": (lambda tf, p: tf.sparse_to_dense(p(_i32(1, 1).reshape(2, 1)), p(_i32(3)), 1.0), None),
    "one_hot-depth": (lambda tf, p: tf.one_hot(p(np.array([1, 2], np.int64)), p(np.int32(-1))), None),
    "pad-rank": (lambda tf, p: tf.pad(p(F23), p(_i32(1, 1).reshape(1, 2))), None),
    "pad-negative": (lambda tf, p: tf.pad(p(F23), p(_i32(1, 1, -1, 0).reshape(2, 2))), None),
    "mirror_pad-reflect": (lambda tf, p: tf.pad(p(F23), p(_i32(2, 2, 0, 0).reshape(2, 2)), "REFLECT"), None),
    "mirror_pad-symmetric": (lambda tf, p: tf.pad(p(F23), p(_i32(3, 2, 0, 0).reshape(2, 2)), "SYMMETRIC"), None),
    "reverse-range": (lambda tf, p: tf.reverse(p(F23), p(_i32(2))), None),
    "reverse-twice": (lambda tf, p: tf.reverse(p(F23), p(_i32(1, -1))), None),
    "broadcast_to": (lambda tf, p: tf.broadcast_to(p(F23), p(_i32(3, 3))), None),
    "broadcast_to-rank": (lambda tf, p: tf.broadcast_to(p(F23), p(_i32(3))), None),
    "broadcast_dynamic_shape": (lambda tf, p: tf.broadcast_dynamic_shape(p(_i32(2, 3)), p(_i32(3, 3))), None),
    "split": (lambda tf, p: tf.split(p(F23), 2, axis=1), None),
    "split-axis": (lambda tf, p: tf.split(p(F23), 2, axis=p(np.int32(2))), None),
    "split_v": (lambda tf, p: tf.split(p(F23), p(np.array([1, 1], np.int64)), axis=1, num=2), None),
    "split_v-minus-ones": (lambda tf, p: tf.split(p(F23), p(np.array([-1, -1], np.int64)), axis=1, num=2), None),
    "invert_permutation-dup": (lambda tf, p: tf.invert_permutation(p(_i32(0, 0, 1))), None),
    "invert_permutation-range": (lambda tf, p: tf.invert_permutation(p(_i32(0, 3, 1))), None),
    "dynamic_stitch": (lambda tf, p: tf.dynamic_stitch([p(_i32(0, 1))], [p(np.zeros(3, np.float32))]), None),
    "check_numerics-nan": (lambda tf, p: tf.check_numerics(p(np.array([1, np.nan], np.float32)), "oops"), None),
    "check_numerics-inf": (lambda tf, p: tf.check_numerics(p(np.array([1, np.inf], np.float32)), "oops"), None),
    "check_numerics-both": (lambda tf, p: tf.check_numerics(p(np.array([np.nan, -np.inf], np.float32)), "x"), None),
    "scatter_nd": (
        lambda tf, p: tf.raw_ops.ScatterNd(
            indices=p(_i32(5).reshape(1, 1)), updates=p(np.ones(1, np.float32)), shape=p(_i32(3))
        ),
        None,
    ),
    "unique": (lambda tf, p: tf.unique(p(F23))[0], None),
    "setdiff1d": (lambda tf, p: tf.setdiff1d(p(F23), p(np.zeros(2, np.float32)))[0], None),
    "concat_offset": (
        lambda tf, p: tf.raw_ops.ConcatOffset(concat_dim=p(np.int32(1)), shape=[p(_i32(2, 3)), p(_i32(3, 3))]),
        None,
    ),
    "where-scalar": (lambda tf, p: tf.where(p(np.bool_(True))), None),
    "squeeze": (lambda tf, p: tf.squeeze(p(F23), [1]), None),
    "squeeze-range": (lambda tf, p: tf.squeeze(p(np.zeros((2, 1), np.float32)), [3]), None),
    "gather-batch-dims": (
        lambda tf, p: tf.gather(p(F23), p(np.array([[0], [7]], np.int32)), axis=1, batch_dims=1),
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_runtime_error_matches_tf(tf1, case):
    build, _ = ERROR_CASES[case]

    def run(tf):
        g = tf.Graph()
        with g.as_default():
            feeds = {}

            def p(value):
                value = np.asarray(value)
                ph = tf.placeholder(tf.as_dtype(value.dtype), None)
                feeds[ph] = value
                return ph

            out = build(tf, p)
            with tf.Session(graph=g) as sess:
                sess.run(out, feeds)

    import tensorflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError) as tf_err:
        run(tf1)
    with pytest.raises(errors.InvalidArgumentError) as err:
        run(tm)
    assert err.value.message == _tf_kernel_message(tf_err.value)
    assert err.value.op is not None


def test_ensure_shape_error(tf1):
    with tm.Graph().as_default():
        x = tm.placeholder(tm.float32, None)
        y = tm.ensure_shape(x, [2, 4])
        with (
            tm.Session() as sess,
            pytest.raises(
                errors.InvalidArgumentError,
                match=r"\[2,3\] is not compatible with "
                r"expected shape \[2,4\]\.",
            ),
        ):
            sess.run(y, {x: F23})


# Graph-construction (static shape) failures raise ValueError in both, with TF's core wording.
STATIC_ERROR_CASES = {
    "reshape": (lambda tf: tf.reshape(tf.constant(F23), [4]), "Cannot reshape a tensor with 6 elements to shape [4]"),
    "concat": (
        lambda tf: tf.concat([tf.constant(F23), tf.constant(F24)], 0),
        "Dimension 0 in both shapes must be equal, but are 3 and 4. Shapes are [3] and [4].",
    ),
    "squeeze": (
        lambda tf: tf.squeeze(tf.constant(F23), [1]),
        "Can not squeeze dim[1], expected a dimension of 1, got 3",
    ),
    "split": (
        lambda tf: tf.split(tf.constant(F23), 2, axis=1),
        "Dimension size must be evenly divisible by 2 but is 3",
    ),
    "strided_slice": (lambda tf: tf.constant(F23)[5], "slice index 5 of dimension 0 out of bounds"),
    "transpose": (lambda tf: tf.transpose(tf.constant(F23), [0, 1, 2]), "Dimension must be 2 but is 3"),
    "reshape-scalar-shape": (lambda tf: tf.reshape(tf.constant(F23), -1), "Shape must be rank 1 but is rank 0"),
    "reshape-matrix-shape": (lambda tf: tf.reshape(tf.constant(F23), [[2], [3]]), "Shape must be rank 1 but is rank 2"),
}


@pytest.mark.parametrize("case", sorted(STATIC_ERROR_CASES))
def test_static_shape_error_matches_tf(tf1, case):
    build, fragment = STATIC_ERROR_CASES[case]
    with tf1.Graph().as_default(), pytest.raises(ValueError) as tf_err:
        build(tf1)
    assert fragment in str(tf_err.value)
    with tm.Graph().as_default(), pytest.raises(ValueError) as err:
        build(tm)
    assert fragment in str(err.value)


def test_python_argument_errors_match_tf(tf1):
    for tf in (tf1, tm):
        with tf.Graph().as_default():
            x = tf.constant(F23)
            with pytest.raises(ValueError, match=r"Must specify an axis argument to tf\.expand_dims"):
                tf.expand_dims(x)
            with pytest.raises(ValueError, match="Cannot infer argument `num` from shape"):
                tf.unstack(tf.placeholder(tf.float32, [None, 2]))
            with pytest.raises(ValueError, match="x and y must both be non-None or both be None"):
                tf.where([True], x=[1])
            with pytest.raises(ValueError, match="expected to be one of"):
                tf.pad(x, [[0, 0], [0, 0]], mode="WRAP")
            with pytest.raises(TypeError, match="Only integers, slices"):
                x[np.array([0, 1])]
            with pytest.raises(TypeError, match="Only integers, slices"):
                x[1.5]
            with pytest.raises(ValueError, match="mask cannot be scalar"):
                tf.boolean_mask(x, True)
            with pytest.raises(ValueError, match=r"`batch_dims` = 2 must be less than rank\(`indices`\) = 2"):
                tf.gather_nd(x, [[0], [1]], batch_dims=2)
            with pytest.raises(ValueError, match="does not allow negative batch_dims"):
                tf.gather_nd(x, [[0], [1]], batch_dims=-1)


def test_getitem_is_installed_on_tensor():
    x = tm.constant(F23)
    y = x[1, ::-1]
    assert y.op.type == "StridedSlice"
    assert y.shape.as_list() == [3]
    with tm.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), F23[1, ::-1])


def test_unique_returns_named_fields():
    out = tm.unique([3, 1, 3])
    assert out.y.op.type == "Unique" and out.idx.dtype is tm.int32
    with tm.Session() as sess:
        y, idx = sess.run([out.y, out.idx])
    np.testing.assert_array_equal(y, [3, 1])
    np.testing.assert_array_equal(idx, [0, 1, 0])


def test_slice_and_strided_slice_gradient_graphs_are_tfs(tf1, tmp_path):
    from tests.api import tf_programs as P

    def program(tf):
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.slice(x, [1, 0], [-1, 2]) * 2.0
        z = tf.slice(x, tf.stack([0, tf.shape(x)[1] - 1]), [2, 1])
        loss = tf.reduce_sum(tf.square(y)) + tf.reduce_sum(z) + tf.reduce_sum(x[1:, ::2])
        return {"grad": tf.gradients(loss, x)[0]}

    P.assert_same_graph(tf1, program)
    expected, actual = P.run_tf_then_ours(
        tf1, program, tmp_path, {"x:0": np.arange(12, dtype=np.float32).reshape(4, 3)}
    )
    P.assert_results_close(expected, actual)


def test_repeat_of_constants_matches_tf(tf1):
    """Constant repeats: TF's C++ shape inference folds Max(repeats) into a static Tile shape, as torchmeta's
    shape functions do (framework/constant_folding.py); static shapes, values and dtypes are TF's."""

    def build(tf, ph):
        return [
            tf.repeat([[1, 2], [3, 4]], [2, 3], axis=1),
            tf.repeat([[1, 2], [3, 4]], [1, 0], axis=0),
            tf.repeat(tf.constant(["a", "b", "c"]), [3, 0, 2], axis=0),
            tf.repeat(5.0, 3),
        ]

    _, tf_values, tf_shapes = _build_and_run(tf1, build, {})
    _, values, shapes = _build_and_run(tm, build, {})
    assert shapes == tf_shapes
    assert [np.shape(v) for v in values] == [np.shape(v) for v in tf_values]
    for v, e in zip(values, tf_values):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(e))
        assert np.asarray(v).dtype == np.asarray(e).dtype
