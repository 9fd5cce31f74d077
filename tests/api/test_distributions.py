"""tf.distributions (Normal, Uniform, Bernoulli, Categorical, Gamma, Exponential, Laplace, kl_divergence) against TensorFlow's: the same graph node for
node, so seeded samples are TF's numbers, and the same values of every statistic."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.train.helpers import outcome

pytest.importorskip("tensorflow")

X = np.array([[-1.5, 0.0, 0.25], [2.0, -0.5, 3.0]], np.float32)


def _nodes(graph):
    return [
        (n.name, n.op, list(n.input), {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()})
        for n in graph.as_graph_def().node
    ]


def _build(tf, kind):
    d = tf.distributions
    if kind == "normal":
        a = d.Normal(loc=[0.5, -1.0, 2.0], scale=[1.0, 0.5, 3.0])
        b = d.Normal(loc=0.0, scale=2.0, name="prior")
        values = X
    elif kind == "uniform":
        a = d.Uniform(low=[-1.0, 0.0, 1.0], high=[1.0, 0.5, 4.0])
        b = None
        values = X
    elif kind == "bernoulli-probs":
        a = d.Bernoulli(probs=[0.1, 0.5, 0.9])
        b = d.Bernoulli(logits=[0.0, 1.0, -2.0])
        values = np.array([[0, 1, 1], [1, 0, 0]], np.int32)
    elif kind == "bernoulli-logits":
        a = d.Bernoulli(logits=[[0.3], [-1.0]], dtype=tf.float32)
        b = None
        values = np.array([[0.0], [1.0]], np.float32)
    elif kind == "categorical":
        a = d.Categorical(logits=[[0.1, 2.0, -1.0], [0.5, 0.5, 0.0]])
        b = d.Categorical(probs=[0.2, 0.3, 0.5])
        values = np.array([[2, 0], [1, 1]], np.int32)
    elif kind == "categorical-3d":
        a = d.Categorical(probs=np.full([2, 2, 4], 0.25, np.float32), dtype=tf.int64)
        b = None
        values = np.array([3.0, 1.0], np.float32)
    elif kind == "gamma":
        a = d.Gamma(concentration=[0.5, 1.0, 3.0], rate=[1.0, 2.0, 0.5])
        b = d.Gamma(concentration=2.0, rate=1.0)
        values = np.abs(X) + 0.1
    elif kind == "exponential":
        a = d.Exponential(rate=[0.5, 1.0, 4.0])
        b = d.Gamma(concentration=1.5, rate=2.0)
        values = np.abs(X) + 0.1
    else:
        a = d.Laplace(loc=[0.0, 1.0, -2.0], scale=[1.0, 0.5, 2.0])
        b = None
        values = X
    out = {
        "sample": a.sample(seed=7),
        "sample_n": a.sample([4, 2], seed=3),
        "sample_graph_seeded": a.sample(5),
        "log_prob": a.log_prob(values),
        "prob": a.prob(values),
        "entropy": a.entropy(),
    }
    if not kind.startswith("categorical"):  # TF's Categorical has no mean/variance/stddev
        out["mean"] = a.mean()
        out["variance"] = a.variance()
        out["stddev"] = a.stddev()
    if kind in ("normal", "uniform", "laplace", "gamma", "exponential"):
        out["cdf"] = a.cdf(values)
        out["log_cdf"] = a.log_cdf(values)
        out["survival"] = a.survival_function(values)
        out["log_survival"] = a.log_survival_function(values)
    if kind.startswith("categorical"):
        out["cdf"] = a.cdf(values)
    if kind not in ("uniform",):
        out["mode"] = a.mode()
    if b is not None:
        out["kl"] = d.kl_divergence(a, b)
        out["kl_checked"] = d.kl_divergence(a, b, allow_nan_stats=False)
        out["kl_method"] = a.kl_divergence(b)
        out["cross_entropy"] = a.cross_entropy(b)
    facts = {
        "name": a.name,
        "batch_shape": a.batch_shape.as_list(),
        "event_shape": a.event_shape.as_list(),
        "dtype": a.dtype.name,
        "reparameterized": a.reparameterization_type == d.FULLY_REPARAMETERIZED,
        "static": {k: (v.shape.as_list(), v.dtype.name) for k, v in out.items()},
        "str": str(a),
        "repr": repr(a),
        "parameters": sorted(a.parameters),
    }
    return out, facts


@pytest.mark.parametrize(
    "kind",
    [
        "normal",
        "uniform",
        "bernoulli-probs",
        "bernoulli-logits",
        "categorical",
        "categorical-3d",
        "gamma",
        "exponential",
        "laplace",
    ],
)
def test_distribution_like_tensorflow(tf1, kind):
    results = []
    for tf in (tf1, tm):
        with tf.Graph().as_default() as graph:
            tf.set_random_seed(11)
            out, facts = _build(tf, kind)
            with tf.Session() as sess:
                values = sess.run(out)
            results.append((_nodes(graph), facts, values))
    (tf_nodes, tf_facts, tf_values), (tm_nodes, tm_facts, tm_values) = results
    if kind.startswith("categorical"):
        # tf.nn.sparse_softmax_cross_entropy_with_logits reshapes logits of rank > 2 by TF 1.x's Slice/concat,
        # TF 2.21's by a strided slice (the tf.nn builder, not tf.distributions; the values agree)
        def inside(name):
            return "/SparseSoftmaxCrossEntropyWithLogits/" in name

        tm_nodes = [n for n in tm_nodes if not inside(n[0])]
        tf_nodes = [n for n in tf_nodes if not inside(n[0])]
    assert tm_nodes == tf_nodes
    assert tm_facts == tf_facts
    for key in tf_values:
        assert tm_values[key].dtype == tf_values[key].dtype, key
        np.testing.assert_allclose(tm_values[key], tf_values[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_validate_args_checks_like_tensorflow(tf1):
    import tensorflow as tf

    def run(framework, error, build):
        """The error's class, at build time (TF checks constant parameters statically) or at run time."""
        with framework.Graph().as_default():
            built = outcome(build, framework.distributions)
            if built[0] != "ok":
                return built[0]
            with framework.Session() as sess:
                return outcome(sess.run, built[1].sample(seed=1))[0]

    cases = [
        lambda d: d.Normal(0.0, -1.0, validate_args=True),
        lambda d: d.Uniform(2.0, 1.0, validate_args=True),
        lambda d: d.Bernoulli(probs=1.5, validate_args=True),
        lambda d: d.Gamma(1.0, [1.0, -2.0], validate_args=True),
        lambda d: d.Laplace(0.0, 0.0, validate_args=True),
        lambda d: d.Categorical(probs=[0.5, 0.7], validate_args=True),
    ]
    for build in cases:
        assert run(tf1, tf.errors.InvalidArgumentError, build) == "InvalidArgumentError"
        assert run(tm, tm.errors.InvalidArgumentError, build) == "InvalidArgumentError"


def test_build_errors_like_tensorflow(tf1):
    def attempt(framework, build):
        with framework.Graph().as_default():
            return outcome(build, framework.distributions)

    cases = [
        lambda d: d.Bernoulli(),
        lambda d: d.Bernoulli(logits=1.0, probs=0.5),
        lambda d: d.Bernoulli(logits=[1, 2]),
        lambda d: d.Categorical(logits=[1.0], validate_args=True),
        lambda d: d.Categorical(logits=1.0),
        lambda d: d.Normal(loc=np.float64(0.0), scale=np.float32(1.0)),
        lambda d: d.kl_divergence(d.Normal(0.0, 1.0), d.Uniform()),
        lambda d: d.Normal(0.0, 1.0).sample([[2]]),
        lambda d: d.RegisterKL(d.Normal, d.Normal)(lambda a, b, name=None: a),
        lambda d: d.RegisterKL(d.Uniform, d.Uniform)(3),
    ]
    for build in cases:
        expected = attempt(tf1, build)
        assert expected[0] != "ok"
        got = attempt(tm, build)
        assert (got[0], got[1].split(" at 0x")[0]) == (expected[0], expected[1].split(" at 0x")[0])


def test_registered_kl_reaches_subclasses(tf1):
    """A KL registered for parent classes serves subclasses (TF's MRO search), and RegisterKL works."""

    for tf in (tf1, tm):
        d = tf.distributions

        class MyNormal(d.Normal):
            pass

        with tf.Graph().as_default():
            kl = d.kl_divergence(MyNormal(0.0, 1.0), d.Normal(1.0, 2.0))
            with tf.Session() as sess:
                assert np.isclose(sess.run(kl), np.log(2.0) + (1.0 + 1.0) / 8.0 - 0.5)
