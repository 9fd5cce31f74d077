"""TensorFlow side of the checkpoint tests: TF writes checkpoints, TF reads ours (graph mode, TF1 Saver).

Each helper builds its own ``tf.Graph`` so it works whether or not v2 behaviour was disabled in the process.
"""

from __future__ import annotations

import os

import numpy as np

from tests.io import checkpoint_cases as cases

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def tf():
    import tensorflow

    return tensorflow


def tf_dtype(name: str):
    from tensorflow.python.framework import dtypes

    return getattr(dtypes, name)


def _constant(value: np.ndarray, dtype_name: str):
    t = tf()
    dtype = tf_dtype(dtype_name)
    if dtype.is_quantized:
        return t.constant(value.astype(np.int64), dtype=dtype)
    return t.constant(value, dtype=dtype)


def save_v2(prefix: str, tensors: dict[str, tuple[np.ndarray, str]], shape_and_slices: dict[str, str] | None = None):
    """Runs TensorFlow's SaveV2 on ``name -> (value, dtype name)``, in the dict's order."""
    t = tf()
    v1 = t.compat.v1
    shape_and_slices = shape_and_slices or {}
    with t.Graph().as_default(), v1.Session() as sess:
        names = list(tensors)
        op = t.raw_ops.SaveV2(
            prefix=prefix,
            tensor_names=names,
            shape_and_slices=[shape_and_slices.get(n, "") for n in names],
            tensors=[_constant(*tensors[n]) for n in names],
        )
        sess.run(op)


def merge_v2(prefixes: list[str], destination: str):
    t = tf()
    v1 = t.compat.v1
    with t.Graph().as_default(), v1.Session() as sess:
        sess.run(t.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=prefixes, destination_prefix=destination))


def _partitioned(name: str, value: np.ndarray, axis: int, count: int):
    v1 = tf().compat.v1

    def initializer(shape, dtype=None, partition_info=None):
        offsets = partition_info.var_offset if partition_info is not None else [0] * len(shape)
        index = tuple(slice(o, o + n) for o, n in zip(offsets, shape))
        return value[index]

    return v1.get_variable(
        name,
        shape=value.shape,
        dtype=tf().as_dtype(value.dtype),
        initializer=initializer,
        partitioner=v1.fixed_size_partitioner(count, axis=axis),
    )


def saver_save(prefix: str, global_step: int | None = None, *, resource: bool = False) -> str:
    """A TF1 Saver checkpoint of :data:`cases.SAVER_VARIABLES` and :data:`cases.SAVER_PARTITIONED`."""
    t = tf()
    v1 = t.compat.v1
    with t.Graph().as_default():
        for name, value in cases.SAVER_VARIABLES.items():
            v1.Variable(value, name=name, use_resource=resource)
        with v1.variable_scope("", use_resource=resource):
            for name, (value, axis, count) in cases.SAVER_PARTITIONED.items():
                _partitioned(name, value, axis, count)
        saver = v1.train.Saver()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            return saver.save(sess, prefix, global_step=global_step, write_meta_graph=False, write_state=False)


def saver_save_dtypes(prefix: str) -> str:
    """A TF1 Saver checkpoint of one resource variable per :data:`cases.DTYPE_CASES` entry (every dtype)."""
    t = tf()
    v1 = t.compat.v1
    with t.Graph().as_default():
        for name, (value, dtype_name) in cases.DTYPE_CASES.items():
            v1.Variable(_constant(value, dtype_name), name=name, use_resource=True)
        saver = v1.train.Saver()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            return saver.save(sess, prefix, write_meta_graph=False, write_state=False)


def saver_restore_dtypes(prefix: str) -> dict[str, np.ndarray]:
    """Restores ``prefix`` into resource variables shaped like :data:`cases.DTYPE_CASES` (initialized to
    other values), with a TF1 Saver; returns what TensorFlow holds afterwards."""
    t = tf()
    v1 = t.compat.v1
    with t.Graph().as_default():
        variables = {}
        for name, (value, dtype_name) in cases.DTYPE_CASES.items():
            blank = np.full(value.shape, b"?", dtype=object) if value.dtype == object else np.zeros_like(value)
            variables[name] = v1.Variable(_constant(blank, dtype_name), name=name, use_resource=True)
        saver = v1.train.Saver()
        with v1.Session() as sess:
            saver.restore(sess, prefix)
            return {name: np.asarray(sess.run(v.read_value())) for name, v in variables.items()}


def saver_save_sharded(prefix: str) -> str:
    """A sharded TF1 Saver checkpoint of :data:`cases.SHARDED_VARIABLES` (one device group each)."""
    t = tf()
    v1 = t.compat.v1
    with t.Graph().as_default():
        for device, group in zip(cases.SHARDED_DEVICES, cases.SHARDED_VARIABLES):
            with t.device(device or None):
                for name, value in group.items():
                    v1.Variable(value, name=name)
        saver = v1.train.Saver(sharded=True)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            return saver.save(sess, prefix, write_meta_graph=False, write_state=False)


def load_all(prefix: str) -> dict[str, np.ndarray]:
    """Every tensor of a checkpoint, read by ``tf.train.load_checkpoint``."""
    reader = tf().train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def load_dtypes(prefix: str) -> dict[str, str]:
    reader = tf().train.load_checkpoint(prefix)
    return {name: dtype.name for name, dtype in reader.get_variable_to_dtype_map().items()}


def saver_restore(prefix: str, variables: dict[str, np.ndarray], partitioned: dict | None = None) -> dict:
    """Restores ``prefix`` into a new TF graph with a TF1 Saver; returns each variable's value.

    ``partitioned`` maps names to ``(value, axis, count)`` for variables built partitioned (any partitioning;
    the values there only give shape and dtype).
    """
    t = tf()
    v1 = t.compat.v1
    with t.Graph().as_default():
        created = {}
        for name, value in variables.items():
            blank = np.full(value.shape, b"?", dtype=object) if value.dtype == object else np.zeros_like(value)
            created[name] = v1.Variable(blank, name=name)
        for name, (value, axis, count) in (partitioned or {}).items():
            created[name] = _partitioned(name, np.zeros_like(value), axis, count)
        saver = v1.train.Saver()
        with v1.Session() as sess:
            saver.restore(sess, prefix)
            out = {}
            for name, var in created.items():
                out[name] = sess.run(var.as_tensor() if hasattr(var, "as_tensor") else var)
            return out
