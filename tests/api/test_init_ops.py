"""tf.*_initializer / tf.initializers.* against TensorFlow: the same ops, seeds and scale constants.

Each initializer builds a variable's initial value in both frameworks; the graphs are equal node for
node (so the random ops get the same seeds and the arithmetic the same constants), the deterministic
initializers give TF's values, and the random ones give values of TF's distribution.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

SHAPES = {"matrix": [6, 4], "conv": [3, 3, 2, 5], "vector": [7]}

INITIALIZERS = {
    "zeros": lambda tf: tf.zeros_initializer(),
    "ones": lambda tf: tf.ones_initializer(),
    "constant-scalar": lambda tf: tf.constant_initializer(0.25),
    "random-uniform": lambda tf: tf.random_uniform_initializer(-0.5, 2.0, seed=1),
    "random-normal": lambda tf: tf.random_normal_initializer(1.0, 0.5, seed=2),
    "truncated-normal": lambda tf: tf.truncated_normal_initializer(stddev=0.1, seed=3),
    "uniform-unit-scaling": lambda tf: tf.uniform_unit_scaling_initializer(1.5, seed=4),
    "variance-scaling": lambda tf: tf.variance_scaling_initializer(),
    "variance-scaling-fan-out-uniform": lambda tf: tf.variance_scaling_initializer(
        2.0, mode="fan_out", distribution="uniform", seed=5
    ),
    "variance-scaling-fan-avg-untruncated": lambda tf: tf.variance_scaling_initializer(
        0.5, mode="fan_avg", distribution="untruncated_normal", seed=6
    ),
    "glorot-uniform": lambda tf: tf.glorot_uniform_initializer(seed=7),
    "glorot-normal": lambda tf: tf.glorot_normal_initializer(),
    "he-normal": lambda tf: tf.initializers.he_normal(seed=8),
    "he-uniform": lambda tf: tf.initializers.he_uniform(),
    "lecun-normal": lambda tf: tf.initializers.lecun_normal(),
    "lecun-uniform": lambda tf: tf.initializers.lecun_uniform(seed=9),
    "initializers-zeros": lambda tf: tf.initializers.zeros(),
    "initializers-ones": lambda tf: tf.initializers.ones(),
    "initializers-constant": lambda tf: tf.initializers.constant(-3.0),
    "initializers-random-normal": lambda tf: tf.initializers.random_normal(seed=10),
    "initializers-truncated-normal": lambda tf: tf.initializers.truncated_normal(),
    "initializers-random-uniform": lambda tf: tf.initializers.random_uniform(seed=11),
    "initializers-glorot-uniform": lambda tf: tf.initializers.glorot_uniform(),
    "initializers-variance-scaling": lambda tf: tf.initializers.variance_scaling(seed=12),
    "initializers-uniform-unit-scaling": lambda tf: tf.initializers.uniform_unit_scaling(),
    "orthogonal": lambda tf: tf.orthogonal_initializer(gain=2.0, seed=13),
    "initializers-orthogonal": lambda tf: tf.initializers.orthogonal(),
    "identity": lambda tf: tf.initializers.identity(gain=0.5),
}
# Initializers defined for some ranks only (test_variable_scope.py checks the errors for the others).
RANKS = {"orthogonal": (2, 4), "initializers-orthogonal": (2, 4), "identity": (2,)}
DETERMINISTIC = (
    "zeros",
    "ones",
    "constant-scalar",
    "initializers-zeros",
    "initializers-ones",
    "initializers-constant",
    "identity",
)


def _program(init_name, shape, seed=None, partitioned=False):
    def program(tf):
        if seed is not None:
            tf.set_random_seed(seed)
        partitioner = tf.fixed_size_partitioner(2) if partitioned else None
        v = tf.get_variable("v", shape, initializer=INITIALIZERS[init_name](tf), partitioner=partitioner)
        d = tf.get_variable("d", shape, dtype=tf.float64, initializer=INITIALIZERS[init_name](tf))
        return {"v": tf.convert_to_tensor(v), "d": tf.identity(d)}

    return program


@pytest.mark.parametrize(
    ("init_name", "shape"),
    [
        (init_name, shape)
        for init_name in sorted(INITIALIZERS)
        for shape in sorted(SHAPES)
        if len(SHAPES[shape]) in RANKS.get(init_name, (1, 2, 4))
    ],
)
def test_initializer_graph_is_tfs(tf1, init_name, shape):
    P.assert_same_graph(tf1, _program(init_name, SHAPES[shape]))


@pytest.mark.parametrize("init_name", sorted(INITIALIZERS))
def test_initializer_graph_is_tfs_with_graph_seed_and_partitions(tf1, init_name):
    # seed2 of an op without its own seed: see test_op_seeds_under_a_graph_seed_are_tfs.
    P.assert_same_graph(tf1, _program(init_name, [9, 4], seed=1234, partitioned=True), P.IGNORED_ATTRS | {"seed2"})


def test_op_seeds_under_a_graph_seed_are_tfs(tf1):
    P.assert_same_graph(tf1, _program("glorot-normal", [9, 4], seed=1234, partitioned=True))


@pytest.mark.parametrize("init_name", DETERMINISTIC)
def test_deterministic_initializers_give_tfs_values(tf1, init_name):
    shape = SHAPES["matrix" if init_name == "identity" else "conv"]
    expected = _initial_values(tf1, _program(init_name, shape))
    P.assert_results_close(expected, _initial_values(tm, _program(init_name, shape)))


@pytest.mark.parametrize("shape", [[6, 4], [3, 8], [3, 3, 2, 5]], ids=str)
def test_orthogonal_initializer_is_orthogonal(shape):
    with tm.Graph().as_default():
        v = tm.get_variable("v", shape, initializer=tm.orthogonal_initializer(gain=2.0))
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            value = sess.run(v).reshape(-1, shape[-1])
    gram = value.T @ value if value.shape[0] >= value.shape[1] else value @ value.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-4)


def _initial_values(api, program):
    g, fetches = P.build(api, program)
    with g.as_default(), api.Session() as sess:
        sess.run(api.global_variables_initializer())
        return sess.run(fetches)


@pytest.mark.parametrize(
    ("init_name", "low", "high", "std"),
    [
        ("random-uniform", -0.5, 2.0, 2.5 / np.sqrt(12)),
        ("glorot-uniform", -np.sqrt(6 / 10), np.sqrt(6 / 10), np.sqrt(6 / 10) / np.sqrt(3)),
        ("truncated-normal", -0.2, 0.2, None),
        ("he-normal", -2 * np.sqrt(2 / 6) / 0.87962566103423978, 2 * np.sqrt(2 / 6) / 0.87962566103423978, None),
    ],
)
def test_random_initializers_draw_from_tfs_range(init_name, low, high, std):
    with tm.Graph().as_default():
        v = tm.get_variable("v", [600, 4], initializer=INITIALIZERS[init_name](tm))
        fan = tm.get_variable("fan", [6, 4], initializer=INITIALIZERS[init_name](tm))
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            big, small = sess.run([v, fan])
    assert big.dtype == np.float32
    # He and Glorot scale by the variable's fans, so the small one decides the range.
    values = small if init_name in ("glorot-uniform", "he-normal") else big
    assert values.min() >= low and values.max() <= high
    if std is not None and values.size > 1000:
        assert abs(values.std() - std) < 0.05 * std


def test_initializer_classes_keep_tfs_config(tf1):
    for make in INITIALIZERS.values():
        expected, actual = make(tf1), make(tm)
        if hasattr(expected, "get_config"):
            assert actual.get_config() == expected.get_config()
