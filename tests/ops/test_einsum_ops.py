"""Einsum beyond the sample table: TF's shape-inference and kernel errors, shapes inferred from partially
known inputs, tf.einsum built as TensorFlow builds it (equation resolution, names, its ValueErrors) and the
gradient graph equal to TF's node for node."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api.tf_programs import assert_same_graph
from tests.ops.harness import randn


def _raw(api):
    if api is tm:
        return tm.raw_ops
    import tensorflow as tf

    return tf.raw_ops


def _einsum(api, equation, arrays, fed):
    g = api.Graph()
    with g.as_default():
        feeds, inputs = {}, []
        for x in arrays:
            if fed:
                ph = api.placeholder(api.float32, None)
                feeds[ph] = x
                inputs.append(ph)
            else:
                inputs.append(api.constant(x))
        out = _raw(api).Einsum(inputs=inputs, equation=equation)
        with api.Session(graph=g) as sess:
            return sess.run(out, feeds)


ERRORS = [
    ("ij,jk->ik", [(2, 3, 1), (3, 4)]),
    ("ij,jk->ik", [(2, 3), (4, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 4)]),
    ("ij,jk->ik", [(2, 3)]),
    ("ij->k", [(2, 3)]),
    ("...ij,jk->ik", [(5, 2, 3), (3, 4)]),
    ("...i...->i", [(2, 3)]),
    ("..i->i", [(2, 3)]),
    ("i->i..", [(2,)]),
    ("ij, jk -> ik", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (4, 3, 4)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("...ij->ij", [(2,)]),
    ("ii->i", [(2, 3)]),
]


@pytest.mark.parametrize("fed", [False, True], ids=["static", "fed"])
@pytest.mark.parametrize("equation,shapes", ERRORS, ids=[f"{e}-{len(s)}" for e, s in ERRORS])
def test_errors_match_tf(tf1, equation, shapes, fed):
    arrays = [randn(*s) for s in shapes]
    with pytest.raises(Exception) as theirs:
        _einsum(tf1, equation, arrays, fed)
    with pytest.raises(Exception) as ours:
        _einsum(tm, equation, arrays, fed)
    if isinstance(theirs.value, ValueError):
        assert isinstance(ours.value, ValueError), repr(ours.value)
        assert str(ours.value).split(" for '{{node")[0] == str(theirs.value).split(" for '{{node")[0]
        assert str(ours.value).split("with input shapes: ")[1] == str(theirs.value).split("with input shapes: ")[1]
    else:
        assert type(ours.value).__name__ == type(theirs.value).__name__, repr(ours.value)
        lines = theirs.value.message.split("\n")
        marks = [i for i, line in enumerate(lines) if line.startswith("\t [[")]
        assert lines[marks[0] - 1] in str(ours.value)


PARTIAL = [
    ("ij,jk->ik", [[None, 3], [3, None]]),
    ("ij,jk->ik", [None, [3, 4]]),
    ("...ij,...jk->...ik", [[5, None, 3], [None, 3, 4]]),
    ("...ij,...jk->...ik", [None, [3, 4]]),
    ("...ij->ij", [[None, None], None]),
    ("ii->i", [[None, 3]]),
    ("i->ii", [[None]]),
]


@pytest.mark.parametrize("equation,shapes", PARTIAL, ids=[p[0] + str(i) for i, p in enumerate(PARTIAL)])
def test_static_shapes_match_tf(tf1, equation, shapes):
    n = equation.split("->")[0].count(",") + 1
    shapes = shapes[:n]
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs = [api.placeholder(api.float32, s) for s in shapes]
            out = _raw(api).Einsum(inputs=inputs, equation=equation)
            results.append(None if out.shape.rank is None else out.shape.as_list())
    assert results[1] == results[0]


_X, _Y, _Z, _SQUARE = randn(2, 3), randn(3, 4), randn(5, 2, 3), randn(3, 3)


def _einsum_program(tf):
    x = tf.constant(_X, name="x")
    y = tf.constant(_Y, name="y")
    z = tf.constant(_Z, name="z")
    return {
        "explicit": tf.einsum("ij,jk->ik", x, y),
        "implicit": tf.einsum("ij,jk", x, y, name="mm"),
        "spaces": tf.einsum("i j , j k -> i k", x, y),
        "ellipsis": tf.einsum("...ij,jk->...ik", z, y),
        "implicit-ellipsis": tf.einsum("...ij,jk", z, y),
        "trace": tf.linalg.einsum("ii", tf.constant(_SQUARE)),
        "unary": tf.einsum("ij->ji", x, optimize="greedy"),
    }


def test_tf_einsum_builds_tf_graph(tf1):
    assert_same_graph(tf1, _einsum_program)
    fetch = {}
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            program = _einsum_program(api)
            with api.Session(graph=g) as sess:
                fetch[api] = sess.run(program)
    for key, theirs in fetch[tf1].items():
        np.testing.assert_allclose(fetch[tm][key], theirs, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize(
    "equation,nargs",
    [("ij,jk->ik", 1), ("i0,j->ij", 2), ("ij->iij", 1), ("ij->k", 1), ("ij,jk->i-k", 2), ("...i->......", 1)],
)
def test_tf_einsum_errors_match_tf(tf1, equation, nargs):
    def build(api):
        x = api.constant(randn(2, 2))
        return api.einsum(equation, *([x] * nargs))

    with pytest.raises(ValueError) as theirs:
        build(tf1)
    with pytest.raises(ValueError) as ours:
        build(tm)
    assert str(ours.value) == str(theirs.value)


def test_tf_einsum_bad_keyword_matches_tf(tf1):
    with pytest.raises(TypeError) as theirs:
        tf1.einsum("ij->ji", tf1.constant(randn(2, 2)), bogus=1)
    with pytest.raises(TypeError) as ours:
        tm.einsum("ij->ji", tm.constant(randn(2, 2)), bogus=1)
    assert str(ours.value) == str(theirs.value)


GRADIENT_EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("abc,cd->da", [(2, 3, 4), (4, 5)]),
    ("ijk->ki", [(2, 3, 4)]),
    ("ijk->ik", [(2, 3, 4)]),
    ("iij,jk->ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (7, 3, 4)]),
    ("...ij,jk->...ik", [(5, 2, 3), (3, 4)]),
    ("i->ii", [(3,)]),
]


@pytest.mark.parametrize("equation,shapes", GRADIENT_EQUATIONS, ids=[e for e, _ in GRADIENT_EQUATIONS])
@pytest.mark.parametrize("known", [True, False], ids=["static", "unknown"])
def test_gradient_graph_is_tfs(tf1, equation, shapes, known):
    arrays = [randn(*s) for s in shapes]

    def program(tf):
        inputs = [tf.placeholder(tf.float32, s if known else None, name=f"x{i}") for i, s in enumerate(shapes)]
        out = _raw(tf).Einsum(inputs=inputs, equation=equation)
        return inputs, tf.gradients(tf.reduce_sum(out * out), inputs)

    assert_same_graph(tf1, program)
    values = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, grads = program(api)
            with api.Session(graph=g) as sess:
                values.append(sess.run(grads, dict(zip(inputs, arrays))))
    for ours, theirs in zip(values[1], values[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


# More than two operands: TF contracts pairwise in opt_einsum's greedy order.
MULTI_OPERAND = [
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 5), (5, 6)]),
    ("ij,jk,kl", [(4, 2), (2, 6), (6, 3)]),
    ("abc,cd,db->a", [(2, 3, 4), (4, 5), (5, 3)]),
    ("ab,ab,ab->ab", [(2, 3), (2, 3), (2, 3)]),
    ("ij,kl,jl->ik", [(2, 3), (4, 5), (3, 5)]),
    ("...ab,bc,...cd->...ad", [(6, 2, 3), (3, 4), (6, 4, 5)]),
    ("bij,bjk,bkl,blm->bim", [(2, 3, 4), (2, 4, 5), (2, 5, 6), (2, 6, 2)]),
    ("a,b,c->abc", [(2,), (3,), (4,)]),
    ("ab,cd,ef,bd->acef", [(2, 3), (2, 4), (5, 2), (3, 4)]),
]


@pytest.mark.parametrize("equation,shapes", MULTI_OPERAND, ids=[e for e, _ in MULTI_OPERAND])
@pytest.mark.parametrize("known", [True, False], ids=["static", "unknown"])
def test_multi_operand_einsum_is_tfs_graph_and_values(tf1, equation, shapes, known):
    """Node for node (op order, binary equations, names) and values, with static and unknown dims (the path
    search then sees size 1, as TF's)."""
    values = [randn(*s) for s in shapes]

    def program(tf):
        inputs = [
            tf.placeholder(tf.float32, s if known else [None] * len(s), name=f"x{i}") for i, s in enumerate(shapes)
        ]
        out = tf.einsum(equation, *inputs)
        return inputs, [out, *tf.gradients(tf.reduce_sum(out * out), inputs)]

    assert_same_graph(tf1, lambda tf: program(tf)[1])
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            inputs, fetches = program(api)
            with api.Session(graph=g) as sess:
                results.append(sess.run(fetches, dict(zip(inputs, values))))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_greedy_path_is_opt_einsums_on_random_equations():
    """The ported greedy search gives opt_einsum's contractions (TF's order) for 300 random equations."""
    import collections

    opt_einsum = pytest.importorskip("opt_einsum")
    from torchmeta.api import special_math_ops

    shaped = collections.namedtuple("shaped", ["shape"])
    rng = np.random.default_rng(0)
    letters = "abcdefgh"
    for _ in range(300):
        n = int(rng.integers(3, 7))
        terms = ["".join(rng.choice(list(letters), int(rng.integers(1, 4)), replace=False)) for _ in range(n)]
        used = sorted(set("".join(terms)))
        output = "".join(rng.choice(used, int(rng.integers(0, min(3, len(used)) + 1)), replace=False))
        sizes = {c: int(rng.integers(1, 6)) for c in letters}
        shapes = [[sizes[c] for c in t] for t in terms]
        equation = ",".join(terms) + "->" + output
        _, contractions = opt_einsum.contract_path(
            equation, *[shaped(tuple(s)) for s in shapes], optimize="greedy", einsum_call=True, use_blas=True
        )
        expected = [(c[0], c[2]) for c in contractions]
        assert special_math_ops._greedy_contractions(equation, shapes) == expected, equation
