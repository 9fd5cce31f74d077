"""tf.train.init_from_checkpoint and tf.train.checkpoints_iterator against TensorFlow's.

One checkpoint (written by TensorFlow, or here in either format) initializes a model through each form of
assignment map; the initializer subgraph (node for node), the initial values and the errors must be TF's.
"""

from __future__ import annotations

import itertools
import os
import time

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import Api, normalize, outcome

pytest.importorskip("tensorflow")

SAVED = {
    "old/a": np.arange(6, dtype=np.float32).reshape(2, 3),
    "old/sub/b": np.arange(8, dtype=np.float32).reshape(4, 2),
    "c": np.array([7, 8, 9], np.float32),
    "x": np.float32(3.5),
    "n": np.array([1, 2], np.int64),
}


def _save(api: Api, directory):
    tf = api.tf
    with tf.Graph().as_default():
        for name, value in SAVED.items():
            tf.Variable(value, name=name)
        saver = api.Saver()
        with api.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, os.path.join(directory, "model"), global_step=3)


def _model(tf, resource):
    (tf.enable_resource_variables if resource else tf.disable_resource_variables)()
    zeros = tf.zeros_initializer()
    with tf.variable_scope("new"):
        a = tf.get_variable("a", [2, 3], initializer=zeros)
        with tf.variable_scope("sub"):
            b = tf.get_variable("b", [4, 2], initializer=zeros, partitioner=lambda shape, dtype: [2, 1])
    with tf.variable_scope("other"):
        c = tf.get_variable("c", [3], initializer=zeros)
    with tf.variable_scope("more"):
        c2 = tf.get_variable("c2", [3], initializer=zeros)
    x = tf.get_variable("x", [], initializer=zeros)
    n = tf.get_variable("n", [2], dtype=tf.int64, initializer=zeros)
    return a, b, c, c2, x, n


def _initialized(api, resource, maps, source):
    """The initializer nodes and the variables' values after ``init_from_checkpoint`` with each of ``maps``."""
    tf = api.tf
    with tf.Graph().as_default() as graph:
        a, b, c, c2, x, n = variables = _model(tf, resource)
        for assignment_map in maps(variables):
            tf.train.init_from_checkpoint(source, assignment_map)
        nodes = [
            (node.name, node.op, list(node.input), node.device)
            for node in graph.as_graph_def().node
            if node.name.startswith(("checkpoint_initializer", "Assign", "Identity"))
        ]
        with api.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = sess.run([a, tf.concat(list(b), 0), c, c2, x, n])
        initial = (a.initial_value.name, a.initial_value.shape.as_list(), x.initial_value.op.type)
    tf.disable_resource_variables()
    return {"nodes": nodes, "values": values, "initial": initial}


MAPS = {
    "scope": lambda v: [{"old/": "new/"}],
    "names-and-variables": lambda v: [{"old/a": "new/a", "old/sub/b": "new/sub/b", "c": v[2], "x": "x", "n": v[5]}],
    "partition-list-and-pairs": lambda v: [[("old/sub/b", list(v[1])), ("c", v[2]), ("c", v[3])]],
    "root": lambda v: [{"/": "other/"}],
}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    out = {}
    for label, api in (("tensorflow", Api(v1)), ("tf", Api(tm, "tf")), ("safetensors", Api(tm, "safetensors"))):
        directory = str(tmp_path_factory.mktemp(label))
        _save(api, directory)
        out[label] = directory
    return out


@pytest.mark.parametrize("resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("form", sorted(MAPS))
def test_initializers_like_tensorflow(tf1, checkpoints, form, resource):
    source = checkpoints["tensorflow"]
    expected = normalize(_initialized(Api(tf1), resource, MAPS[form], source), source)
    for fmt in ("tensorflow", "tf", "safetensors"):
        source = checkpoints[fmt]
        assert normalize(_initialized(Api(tm, fmt), resource, MAPS[form], source), source) == expected


ERRORS = {
    "missing-name": {"old/zz": "new/a"},
    "missing-in-scope": {"/": "more/"},
    "shape": {"c": "new/a"},
    "scope-to-name": {"old/a": "new/"},
    "slices-of-two-variables": None,
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_like_tensorflow(tf1, checkpoints, case):
    def observe(tf, source):
        with tf.Graph().as_default():
            variables = _model(tf, False)
            assignment_map = ERRORS[case]
            if assignment_map is None:
                part = next(iter(variables[1]))
                info = part._get_save_slice_info()
                variables[0]._set_save_slice_info(type(info)("x", [2, 3], [0, 0], [2, 3]))
                assignment_map = {"old/sub/b": [part, variables[0]]}
            kind, text = outcome(tf.train.init_from_checkpoint, source, assignment_map)
            text, _, listing = text.partition(" checkpoint {")  # TF lists the checkpoint's map in hash order
            return normalize((kind, text, sorted(listing.rstrip("}").split(", "))), source)

    expected = observe(tf1, checkpoints["tensorflow"])
    assert expected[0] == "ValueError"
    for fmt in ("tensorflow", "safetensors"):
        assert observe(tm, checkpoints[fmt]) == expected


def _write_checkpoint(train, directory, step):
    for suffix in (".index", ".data-00000-of-00001"):
        open(os.path.join(directory, f"model-{step}{suffix}"), "wb").close()
    train.update_checkpoint_state(directory, os.path.join(directory, f"model-{step}"))


def _iterate(train, directory, **kwargs):
    """What ``checkpoints_iterator`` yields when checkpoints 1 and 2 exist, then 3 is written after the first
    yield (the iterator is lazy: it looks again only when asked), and how often ``timeout_fn`` was asked."""
    os.makedirs(directory)
    calls = []

    def timeout_fn():
        calls.append(len(calls))
        return len(calls) == 2

    if kwargs.pop("with_timeout_fn", False):
        kwargs["timeout_fn"] = timeout_fn
    _write_checkpoint(train, directory, 1)
    _write_checkpoint(train, directory, 2)
    seen, times = [], []
    for path in train.checkpoints_iterator(directory, **kwargs):
        seen.append(os.path.basename(path))
        times.append(time.time())
        if len(seen) == 1:
            _write_checkpoint(train, directory, 3)
    return seen, calls, [round(b - a) for a, b in itertools.pairwise(times)]


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0.5}, {"timeout": 0.5, "with_timeout_fn": True}, {"timeout": 0.5, "min_interval_secs": 1}],
    ids=["timeout", "timeout_fn", "min_interval"],
)
def test_checkpoints_iterator_like_tensorflow(tf1, tmp_path, kwargs):
    expected = _iterate(tf1.train, str(tmp_path / "tf"), **dict(kwargs))
    assert expected[0] == ["model-2", "model-3"]
    assert _iterate(tm.train, str(tmp_path / "tm"), **dict(kwargs)) == expected


def test_checkpoints_iterator_stops_at_once_without_checkpoints(tmp_path):
    start = time.time()
    assert list(tm.train.checkpoints_iterator(str(tmp_path), timeout=0)) == []
    assert time.time() - start < 0.5
