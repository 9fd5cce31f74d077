"""tf.data.Dataset.from_generator (api/dataset_ops.py, ops GeneratorDataset) against TensorFlow: the elements, the
graph TF builds (a TensorDataset flat-mapped to a GeneratorDataset whose functions call PyFuncs), the errors for
elements that do not match the signature (at run time, the iterator going on), and the signature's build errors."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm

pytest.importorskip("tensorflow")


def _pairs():
    for i in range(3):
        yield i, [float(i)] * i


def _strings(n, s):
    for i in range(int(n)):
        yield s + b"!" * i


def _raises():
    yield 1
    raise ValueError("boom")


def _data(tf):
    import tensorflow

    return tensorflow.compat.v1.data if tf is not tm else tm.data


PROGRAMS = {
    "types_and_shapes": lambda tf: _data(tf).Dataset.from_generator(
        _pairs, (tf.int64, tf.float32), (tf.TensorShape([]), tf.TensorShape([None]))
    ),
    "types_only": lambda tf: _data(tf).Dataset.from_generator(_pairs, (tf.int64, tf.float32)),
    "signature": lambda tf: _data(tf).Dataset.from_generator(
        _pairs, output_signature=(tf.TensorSpec([], tf.int64), tf.TensorSpec([None], tf.float32))
    ),
    "args_and_strings": lambda tf: _data(tf).Dataset.from_generator(
        _strings, tf.string, tf.TensorShape([]), args=(tf.constant(3, tf.int64), "ab")
    ),
    "nested_dict_converted": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([{"a": 1, "b": (2, 3)}, {"a": 2.5, "b": (4, 5)}]), {"a": tf.float64, "b": (tf.int32, tf.int64)}
    ),
    "ints_as_floats": lambda tf: _data(tf).Dataset.from_generator(lambda: iter([1, 2]), tf.float32),
    "repeated": lambda tf: _data(tf).Dataset.from_generator(lambda: iter(range(2)), tf.int64).repeat(3),
    "mapped_and_batched": lambda tf: (
        _data(tf).Dataset.from_generator(lambda: iter(range(5)), tf.int64, []).map(lambda x: x * 2).batch(2)
    ),
    "two_passes_at_once": lambda tf: (lambda ds: _data(tf).Dataset.zip((ds, ds.skip(1))))(
        _data(tf).Dataset.from_generator(lambda: iter(range(4)), tf.int64, [])
    ),
    # a bad element fails its get_next; the iterator goes on with the next element, as TF's
    "bad_type": lambda tf: _data(tf).Dataset.from_generator(lambda: iter(["x", 3]), tf.int64),
    "float_as_int": lambda tf: _data(tf).Dataset.from_generator(lambda: iter([1.5]), tf.int32),
    "float_as_int_typed": lambda tf: _data(tf).Dataset.from_generator(lambda: iter([1.5, 2]), tf.int32, []),
    "text_as_int_typed": lambda tf: _data(tf).Dataset.from_generator(lambda: iter(["x", 2]), tf.int32, []),
    "bad_shape": lambda tf: _data(tf).Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]), tf.int64, [3]),
    "bad_structure": lambda tf: _data(tf).Dataset.from_generator(lambda: iter([1, (1, 2)]), (tf.int64, tf.int64)),
    "too_long": lambda tf: _data(tf).Dataset.from_generator(lambda: iter([(1, 2, 3)]), (tf.int64, tf.int64)),
    "generator_raises": lambda tf: _data(tf).Dataset.from_generator(_raises, tf.int64, []),
}


def _run(tf, program, n=12):
    """Up to ``n`` get_next results: elements, ("Error class", the exception line TF's PyFunc message ends
    with), then "END"."""
    with tf.Graph().as_default():
        ds = PROGRAMS[program](tf)
        spec = (repr(ds.output_types), str(ds.output_shapes))
        nxt = _data(tf).make_one_shot_iterator(ds).get_next()
        out = []
        with tf.Session() as sess:
            for _ in range(n):
                try:
                    out.append(sess.run(nxt))
                except tf.errors.OutOfRangeError:
                    out.append("END")
                    break
                except tf.errors.OpError as e:
                    lines = [line for line in str(e).splitlines() if line.startswith(("TypeError:", "ValueError:"))]
                    out.append((type(e).__name__, lines[-1]))
        return spec, out


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and not isinstance(a, str):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_elements_and_errors_are_tfs(tf1, program):
    (their_spec, theirs), (our_spec, ours) = _run(tf1, program), _run(tm, program)
    assert our_spec == their_spec
    assert len(ours) == len(theirs) and all(_same(a, b) for a, b in zip(theirs, ours)), (theirs, ours)
    assert ours[-1] == "END"


def _op_types(graph_def):
    main = sorted(n.op for n in graph_def.node)
    functions = sorted(n.op for f in graph_def.library.function for n in f.node_def)
    return main, functions


@pytest.mark.parametrize("program", ["args_and_strings", "types_only", "ints_as_floats", "ragged"])
def test_graph_is_tfs(tf1, program):
    """The dataset ops and the functions' ops are TF's: the generator is called through a PyFunc, or, for a
    single component of unknown shape or a ragged one, through an EagerPyFunc (TF's eager path)."""

    def build(tf):
        with tf.Graph().as_default() as g:
            ds = RAGGED["ragged_constant"](tf) if program == "ragged" else PROGRAMS[program](tf)
            _data(tf).make_one_shot_iterator(ds).get_next()
            return _op_types(g.as_graph_def())

    ours, theirs = build(tm), build(tf1)
    assert ours == theirs
    eager = program in ("ints_as_floats", "ragged")
    assert "GeneratorDataset" in ours[1] and ours[1].count("PyFunc") == (2 if eager else 3)
    assert ("EagerPyFunc" in ours[1]) == eager


def _ragged(tf, rows):
    return tf.ragged.constant(rows)


RAGGED = {
    # the generator builds RaggedTensors with TF ops (eager in TF, folded as constants here)
    "ragged_constant": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([_ragged(tf, [[1, 2], [3]]), _ragged(tf, [[4]]), _ragged(tf, [[], [5, 6, 7]])]),
        output_signature=tf.RaggedTensorSpec([None, None], tf.int32, 1),
    ),
    "ragged_value": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([tf.ragged.RaggedTensorValue(np.array([1.5, 2.5, 3.5], np.float32), np.array([0, 2, 3]))]),
        output_signature=tf.RaggedTensorSpec([None, None], tf.float32),
    ),
    "strings_and_dense": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([(_ragged(tf, [[b"a"], [b"b", b"c"]]), 3), (_ragged(tf, [[b"d"]]), 4)]),
        output_signature=(tf.RaggedTensorSpec([None, None], tf.string, 1), tf.TensorSpec([], tf.int64)),
    ),
    "ragged_rank_2": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([_ragged(tf, [[[1], [2, 3]], [[4]]])]),
        output_signature=tf.RaggedTensorSpec([None, None, None], tf.int32, 2),
    ),
    "wrong_ragged_rank": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([_ragged(tf, [[1, 2], [3]])]), output_signature=tf.RaggedTensorSpec([None, None, None], tf.int32)
    ),
    "wrong_dtype": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([_ragged(tf, [[1, 2], [3]])]), output_signature=tf.RaggedTensorSpec([None, None], tf.int64)
    ),
    "dense_for_ragged": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([[[1, 2], [3, 4]]]), output_signature=tf.RaggedTensorSpec([None, None], tf.int32)
    ),
    "nested_list_for_ragged": lambda tf: _data(tf).Dataset.from_generator(
        lambda: iter([[[1, 2], [3]]]), output_signature=tf.RaggedTensorSpec([None, None], tf.int32)
    ),
}


def _listed(value):
    if isinstance(value, tuple):
        return tuple(_listed(v) for v in value)
    return value.to_list() if hasattr(value, "to_list") else value


@pytest.mark.parametrize("program", list(RAGGED))
def test_ragged_signatures_are_tfs(tf1, program):
    """RaggedTensorSpecs in output_signature: the elements (RaggedTensorValues), the element spec and TF's
    errors for an element that does not fit."""

    def run(tf):
        with tf.Graph().as_default():
            ds = RAGGED[program](tf)
            nxt = _data(tf).make_one_shot_iterator(ds).get_next()
            out = [repr(ds.element_spec)]
            with tf.Session() as sess:
                for _ in range(5):
                    try:
                        out.append(_listed(sess.run(nxt)))
                    except tf.errors.OutOfRangeError:
                        out.append("END")
                        break
                    except tf.errors.OpError as e:
                        lines = [line for line in str(e).splitlines() if line.startswith("TypeError:")]
                        out.append((type(e).__name__, lines[-1]))
            return out

    ours, theirs = run(tm), run(tf1)
    assert ours == theirs


@pytest.mark.parametrize(
    "args",
    [
        {"shape": None},
        {"shape": [None, None], "ragged_rank": 2},
        {"shape": [None], "ragged_rank": 1.0},
        {"shape": [None, None], "dtype": None},
    ],
)
def test_ragged_tensor_spec_checks_are_tfs(tf1, args):
    def error(tf):
        with pytest.raises((TypeError, ValueError)) as info:
            tf.RaggedTensorSpec(**args)
        return type(info.value).__name__, str(info.value)

    assert error(tm) == error(tf1)
    assert repr(tm.RaggedTensorSpec([2, None], tm.int32)) == repr(tf1.RaggedTensorSpec([2, None], tf1.int32))


@pytest.mark.parametrize(
    "build",
    [
        lambda tf: _data(tf).Dataset.from_generator(3, tf.int64),
        lambda tf: _data(tf).Dataset.from_generator(_pairs),
        lambda tf: _data(tf).Dataset.from_generator(_pairs, tf.int64, output_signature=tf.TensorSpec([], tf.int64)),
        lambda tf: _data(tf).Dataset.from_generator(_pairs, output_shapes=[], output_signature=tf.TensorSpec([])),
        lambda tf: _data(tf).Dataset.from_generator(_pairs, output_signature=(tf.int64,)),
    ],
    ids=["not_callable", "no_signature", "types_and_signature", "shapes_and_signature", "signature_not_specs"],
)
def test_signature_errors_are_tfs(tf1, build):
    def error(tf):
        with tf.Graph().as_default(), pytest.raises(TypeError) as info:
            build(tf)
        return str(info.value)

    theirs, ours = error(tf1), error(tm)
    # the last case names the offending object's class, which is each framework's own DType
    assert ours.split("<")[0] == theirs.split("<")[0]


def test_each_pass_calls_the_generator_anew_and_closes_it():
    calls, closed = [], []

    def gen(n):
        calls.append(int(n))
        try:
            yield from range(int(n))
        finally:
            closed.append(int(n))

    with tm.Graph().as_default():
        ds = tm.data.Dataset.from_generator(gen, tm.int64, [], args=[tm.constant(2, tm.int64)]).repeat(2)
        it = tm.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        with tm.Session() as sess:
            sess.run(it.initializer)
            assert [int(sess.run(nxt)) for _ in range(4)] == [0, 1, 0, 1]
            with pytest.raises(tm.errors.OutOfRangeError):
                sess.run(nxt)
    assert calls == [2, 2] and closed == [2, 2]


def test_numpy_function_in_a_dataset_function_is_tfs(tf1):
    """A py_func inside a dataset function runs: its Python function lives as long as the outer graph (the
    function's own graph is dropped once its FunctionDef is built), as TF keeps it."""

    def run(tf):
        with tf.Graph().as_default():
            ds = _data(tf).Dataset.range(3).map(lambda x: tf.numpy_function(lambda v: v * 2, [x], tf.int64))
            nxt = _data(tf).make_one_shot_iterator(ds).get_next()
            import gc

            gc.collect()
            with tf.Session() as sess:
                return [sess.run(nxt) for _ in range(3)]

    assert run(tm) == run(tf1) == [0, 2, 4]
