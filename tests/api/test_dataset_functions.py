"""tf.data transformations with functions (map, filter, flat_map, interleave, unbatch's normalizing map) against
TensorFlow: the dataset ops and the FunctionDefs of the library node for node (function names carry TF's
process-wide counter, so they are compared after numbering them in the order the graph reaches them), the same
elements in the same order, and graphs exported by either framework run in the other with the same elements."""

from __future__ import annotations

import re

import numpy as np
import pytest

import torchmeta as tm
from tests.api.test_dataset_ops import _assert_same_elements, _data, _elements, _v1data
from tests.ops.samples_parsing import example
from torchmeta import errors

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)
IGNORED_ATTRS = ("_output_shapes",)


def _features(tf):
    return {"x": tf.io.FixedLenFeature([2], tf.float32), "y": tf.io.FixedLenFeature([], tf.int64)}


SERIALIZED = np.array(
    [example(x=[float(i), float(i) / 2], y=[i]) for i in range(7)],
    dtype=object,
)


def _tf(d):
    """The framework module (tensorflow.compat.v1 or torchmeta) of a data module."""
    if d is tm.data:
        return tm
    import tensorflow

    return tensorflow.compat.v1


CASES = {
    "map-tuple-captured": lambda d: d.Dataset.from_tensor_slices((X, Y)).map(
        lambda x, y: (x * _tf(d).constant(2.0, name="c"), y + 1)
    ),
    "map-dict-to-single": lambda d: d.Dataset.from_tensor_slices({"a": Y, "b": X}).map(lambda e: e["b"] + 1.0),
    "map-single-to-dict": lambda d: d.Dataset.range(5).map(lambda x: {"x": x, "f": _tf(d).cast(x, _tf(d).float32)}),
    "map-returns-argument-and-constant": lambda d: d.Dataset.range(3).map(lambda x: (x, np.int32(7))),
    "parallel-map": lambda d: d.Dataset.from_tensor_slices(X).map(_tf(d).square, num_parallel_calls=2).batch(3),
    "parallel-map-autotune-deterministic": lambda d: d.Dataset.range(6).map(
        lambda x: x * 3, num_parallel_calls=d.experimental.AUTOTUNE, deterministic=True
    ),
    "filter": lambda d: d.Dataset.range(12).filter(lambda x: _tf(d).equal(x % 3, 1)),
    "filter-captured-then-map": lambda d: (
        d.Dataset.from_tensor_slices((X, Y))
        .filter(lambda x, y: y > _tf(d).constant(np.int64(4), name="limit"))
        .map(lambda x, y: _tf(d).reduce_sum(x))
    ),
    "flat-map": lambda d: d.Dataset.range(5).flat_map(lambda x: d.Dataset.range(x)),
    "flat-map-slices": lambda d: d.Dataset.from_tensor_slices(X.reshape(5, 2, 2)).flat_map(
        lambda x: d.Dataset.from_tensor_slices(x)
    ),
    "interleave": lambda d: d.Dataset.range(1, 6).interleave(
        lambda x: d.Dataset.range(x).map(lambda y: y * 10 + x), cycle_length=2, block_length=2
    ),
    "interleave-repeat": lambda d: d.Dataset.range(4).interleave(
        lambda x: d.Dataset.from_tensors(x).repeat(x + 1), cycle_length=3
    ),
    "interleave-autotune-cycle": lambda d: d.Dataset.range(5).interleave(
        lambda x: d.Dataset.from_tensors(x).repeat(3), block_length=2
    ),
    "parallel-interleave-autotune-both": lambda d: d.Dataset.range(4).interleave(
        lambda x: d.Dataset.range(3).map(lambda y: x * 10 + y), num_parallel_calls=d.experimental.AUTOTUNE
    ),
    "parallel-interleave-autotune-cycle": lambda d: d.Dataset.range(5).interleave(
        lambda x: d.Dataset.from_tensors(x).repeat(3), num_parallel_calls=2
    ),
    "parallel-interleave": lambda d: d.Dataset.range(1, 7).interleave(
        lambda x: d.Dataset.range(x), cycle_length=3, block_length=2, num_parallel_calls=2
    ),
    "parallel-interleave-deterministic-map-inside": lambda d: d.Dataset.range(1, 9).interleave(
        lambda x: d.Dataset.range(x).map(lambda y: y * 10 + x).filter(lambda y: y % 3 > 0),
        cycle_length=4,
        block_length=3,
        num_parallel_calls=3,
        deterministic=True,
    ),
    "experimental-parallel-interleave": lambda d: d.Dataset.range(1, 7).apply(
        d.experimental.parallel_interleave(lambda x: d.Dataset.range(x).map(lambda y: y * 10 + x), 3, block_length=2)
    ),
    "experimental-parallel-interleave-small-buffers": lambda d: d.Dataset.range(5).apply(
        d.experimental.parallel_interleave(
            lambda x: d.Dataset.from_tensors(x).repeat(x + 1), 2, buffer_output_elements=1, prefetch_input_elements=0
        )
    ),
    "scan-running-sum": lambda d: d.Dataset.range(6).scan(np.int64(0), lambda s, x: (s + x, s * 10)),
    "scan-growing-state": lambda d: d.Dataset.range(4).scan(
        _tf(d).constant([], _tf(d).int64, name="empty"),
        lambda s, x: (_tf(d).concat([s, [x]], 0), _tf(d).reduce_sum(s)),
    ),
    "scan-experimental-tuple-state": lambda d: d.Dataset.from_tensor_slices((X, Y)).apply(
        d.experimental.scan((np.float32(0), np.int64(1)), lambda s, e: ((s[0] + e[0][1], s[1] * 2), e[1] - s[1]))
    ),
    "map-and-batch": lambda d: d.Dataset.from_tensor_slices((X, Y)).apply(
        d.experimental.map_and_batch(lambda x, y: (x[0] + 1.0, y * 2), 4)
    ),
    "map-and-batch-drop-remainder": lambda d: d.Dataset.range(11).apply(
        d.experimental.map_and_batch(lambda x: {"v": x}, 3, num_parallel_batches=2, drop_remainder=True)
    ),
    "unbatch-tuple": lambda d: d.Dataset.from_tensor_slices((X, Y)).batch(4).unbatch().batch(3),
    "unbatch-dict": lambda d: d.Dataset.from_tensor_slices({"x": X, "y": Y}).batch(3).unbatch(),
    "unbatch-single-experimental": lambda d: d.Dataset.from_tensor_slices(Y).batch(4).apply(d.experimental.unbatch()),
    # TF's flavours: DatasetV1 leaves scan to DatasetV2, so a map after it writes preserve_cardinality=true (and so
    # does unbatch's normalizing map); DatasetV1.apply wraps what it returns as V1 again.
    "scan-then-map-is-v2": lambda d: d.Dataset.range(6).scan(np.int64(0), lambda s, x: (s + x, x)).map(lambda x: x + 1),
    "scan-then-unbatch-is-v2": lambda d: (
        d.Dataset.range(6)
        .batch(2)
        .scan(np.int64(0), lambda s, x: (s + 1, x))
        .unbatch()
        .map(lambda x: x * 2, num_parallel_calls=2)
    ),
    "apply-scan-then-map-is-v1": lambda d: (
        d.Dataset.range(6).apply(d.experimental.scan(np.int64(0), lambda s, x: (s + x, x))).map(lambda x: x + 1)
    ),
    "parse-single-example": lambda d: (
        d.Dataset.from_tensor_slices(SERIALIZED)
        .map(lambda s: _tf(d).io.parse_single_example(s, _features(_tf(d))))
        .filter(lambda e: _tf(d).equal(e["y"] % 2, 0))
        .batch(2)
    ),
}


def _canonical_names(graph_def) -> dict:
    """Function name -> a name without TF's counter, numbered in the order the graph first refers to it."""
    library = {f.signature.name: f for f in graph_def.library.function}
    names: dict = {}

    def visit(nodes):
        for n in nodes:
            for _, value in sorted(n.attr.items()):
                funcs = [value.func] if value.HasField("func") else list(value.list.func)
                for f in funcs:
                    if f.name in library and f.name not in names:
                        base = (
                            "_make_dataset" if f.name.startswith("_make_dataset_") else re.sub(r"_[0-9]+$", "", f.name)
                        )
                        names[f.name] = f"{base}#{len(names)}"
                        visit(library[f.name].node_def)

    visit(graph_def.node)
    return names


def _attrs(attr_map, names) -> dict:
    out = {}
    for key, value in sorted(attr_map.items()):
        if key in IGNORED_ATTRS:
            continue
        value = type(value).FromString(value.SerializeToString())
        funcs = [value.func] if value.HasField("func") else list(value.list.func)
        for f in funcs:
            f.name = names.get(f.name, f.name)
        out[key] = value.SerializeToString(deterministic=True)
    return out


def _graph(graph):
    """The nodes and library functions of ``graph`` with function names canonical."""
    gd = graph.as_graph_def()
    names = _canonical_names(gd)
    nodes = [(n.name, n.op, list(n.input), n.device, _attrs(n.attr, names)) for n in gd.node]
    functions = {}
    for f in gd.library.function:
        sig = type(f.signature).FromString(f.signature.SerializeToString())
        sig.name = names.get(f.signature.name, f.signature.name)
        body = [(n.name, n.op, list(n.input), _attrs(n.attr, names)) for n in f.node_def]
        arg_attrs = {i: _attrs(a.attr, names) for i, a in f.arg_attr.items()}
        functions[sig.name] = (
            sig.SerializeToString(deterministic=True),
            body,
            dict(f.ret),
            dict(f.control_ret),
            _attrs(f.attr, names),
            arg_attrs,
        )
    return nodes, functions


def _assert_same_graph(tg, mg):
    t_nodes, t_functions = _graph(tg)
    m_nodes, m_functions = _graph(mg)
    assert m_nodes == t_nodes
    assert sorted(m_functions) == sorted(t_functions)
    for name in t_functions:
        assert m_functions[name] == t_functions[name], name


@pytest.mark.parametrize("case", list(CASES))
def test_same_graph_library_and_elements_as_tf(tf1, case):
    tg, theirs = _elements(tf1, CASES[case])
    mg, ours = _elements(tm, CASES[case])
    _assert_same_graph(tg, mg)  # preserve_cardinality included: tf.compat.v1.data's maps write false
    _assert_same_elements(ours, theirs)
    assert ours[-1] == ("end", "End of sequence")


def _one_shot(fw, build):
    import tensorflow

    end = tensorflow.errors.OutOfRangeError if fw is not tm else errors.OutOfRangeError
    g = fw.Graph()
    out = []
    with g.as_default():
        it = _v1data(fw).make_one_shot_iterator(build(_data(fw)))
        nxt = it.get_next()
        with fw.Session() as sess:
            while True:
                try:
                    out.append(sess.run(nxt))
                except end:
                    break
            with pytest.raises(end):  # a one-shot iterator does not start again
                sess.run(nxt)
    return g, out


@pytest.mark.parametrize("case", ["map-tuple-captured", "interleave", "parse-single-example"])
def test_one_shot_iterator_is_tfs(tf1, case):
    """make_one_shot_iterator: the dataset's ops copied into a ``_make_dataset`` factory function (TF's
    capture by value), OneShotIterator calling it; the same graph and elements as TF."""
    tg, theirs = _one_shot(tf1, CASES[case])
    mg, ours = _one_shot(tm, CASES[case])
    _assert_same_graph(tg, mg)
    _assert_same_elements(ours, theirs)
    with tm.Graph().as_default():
        it = tm.data.make_one_shot_iterator(tm.data.Dataset.range(3))
        with pytest.raises(ValueError, match=r"likely created using `tf\.data\.Dataset\.make_one_shot_iterator"):
            it.initializer  # noqa: B018


def test_one_shot_iterator_refuses_placeholders_and_variables(tf1):
    for fw in (tf1, tm):
        with fw.Graph().as_default():
            p = fw.placeholder(fw.int64, [3], name="p")
            with pytest.raises(ValueError, match=r"Cannot capture a placeholder \(name:p, type:Placeholder\) by value"):
                _v1data(fw).make_one_shot_iterator(_data(fw).Dataset.from_tensor_slices(p))
            v = fw.Variable(np.arange(3), name="v")
            with pytest.raises(ValueError, match=r"Cannot capture a stateful node \(name:v, type:VariableV2\)"):
                _v1data(fw).make_one_shot_iterator(_data(fw).Dataset.from_tensor_slices(v))


REDUCE_CASES = {
    "sum": lambda d: d.Dataset.range(10).reduce(np.int64(0), lambda s, x: s + x),
    "tuple-state-captured": lambda d: d.Dataset.from_tensor_slices((X, Y)).reduce(
        (np.float32(0), np.int64(0)),
        lambda s, e: (s[0] + _tf(d).reduce_sum(e[0]) * _tf(d).constant(0.5, name="half"), s[1] + e[1]),
    ),
    "growing-state": lambda d: d.Dataset.range(5).reduce(
        _tf(d).constant([], _tf(d).int64, name="empty"), lambda s, x: _tf(d).concat([s, [x * x]], 0)
    ),
}


@pytest.mark.parametrize("case", list(REDUCE_CASES))
def test_reduce_is_tfs(tf1, case):
    """Dataset.reduce: ReduceDataset and its function (traced again with relaxed state shapes until they fit,
    as TF does), and TF's value, here, in TF running our graph, and here running TF's graph."""
    import tensorflow

    graphs, values = {}, {}
    for fw, data in ((tf1, tensorflow.compat.v1.data), (tm, tm.data)):
        g = fw.Graph()
        with g.as_default():
            result = REDUCE_CASES[case](data)
            names = [t.name for t in (result if isinstance(result, tuple) else (result,))]
            with fw.Session() as sess:
                values[fw] = sess.run(names)
        graphs[fw] = (g, names)
    _assert_same_graph(graphs[tf1][0], graphs[tm][0])
    _assert_same_elements([tuple(values[tm])], [tuple(values[tf1])])
    for source, target in ((tm, tf1), (tf1, tm)):
        g, names = graphs[source]
        with target.Graph().as_default():
            target.import_graph_def(
                g.as_graph_def() if target is tm else tf1.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                name="",
            )
            with target.Session() as sess:
                _assert_same_elements([tuple(sess.run(names))], [tuple(values[tf1])])


def test_unbatch_builds_tfs_normalizing_map(tf1):
    mg, _ = _elements(tm, CASES["unbatch-tuple"])
    ops = [n.op for n in mg.as_graph_def().node]
    assert ops.index("MapDataset") + 1 == ops.index("UnbatchDataset")
    (fdef,) = mg.as_graph_def().library.function
    assert fdef.signature.name.startswith("__inference_Dataset_map_normalize_")
    assert fdef.attr["_tf_data_function"].b


def test_function_names_and_captured_arguments_are_tfs():
    g = tm.Graph()
    with g.as_default():
        c = tm.constant(3.0, name="c")

        def scale(x):
            return x * c

        dataset = tm.data.Dataset.from_tensor_slices(X).map(scale)
        op = dataset._variant_tensor.op
    assert [t.name for t in op.inputs] == ["TensorSliceDataset:0", "c:0"]
    assert op.get_attr("Targuments") == [tm.float32]
    fdef = g.as_graph_def().library.function[0]
    assert re.fullmatch(r"__inference_Dataset_map_scale_[0-9]+", fdef.signature.name)
    assert [a.name for a in fdef.signature.input_arg] == ["args_0", "mul_c"]
    assert fdef.arg_attr[1].attr["_user_specified_name"].s == b"c"


def test_bad_functions_raise_tfs_errors(tf1):
    import tensorflow

    for data, fw in ((tensorflow.compat.v1.data, tf1), (tm.data, tm)):
        g = fw.Graph()
        with g.as_default():
            ds = data.Dataset.range(3)
            with pytest.raises(ValueError, match=r"`predicate` must return a `tf\.bool` scalar tensor"):
                ds.filter(lambda x: x)
            with pytest.raises(ValueError, match="Cannot unbatch an input with scalar components"):
                ds.unbatch()
    # TF 2.21 fails formatting this message in graph mode (a Tensor's repr); its wording is kept here.
    with tm.Graph().as_default():
        ds = tm.data.Dataset.range(3)
        with pytest.raises(
            TypeError, match=r"The `map_func` argument must return a `Dataset` object\. Got 'TensorSpec'"
        ):
            ds.flat_map(lambda x: x)
        with pytest.raises(TypeError, match="The `map_func` argument must return a `Dataset` object"):
            ds.interleave(lambda x: x, cycle_length=2)


def test_errors_inside_a_map_function_reach_get_next_and_the_iteration_goes_on(tf1):
    """A record that fails to parse inside map raises TF's InvalidArgumentError at get_next; the next element
    comes after it, as in TF."""
    records = np.array([SERIALIZED[0], b"not an example", SERIALIZED[2]], dtype=object)
    results = {}
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            ds = (
                _data(fw)
                .Dataset.from_tensor_slices(records)
                .map(lambda s, fw=fw: fw.io.parse_single_example(s, _features(fw))["y"])
            )
            it = _v1data(fw).make_initializable_iterator(ds)
            nxt = it.get_next()
            out = []
            with fw.Session() as sess:
                sess.run(it.initializer)
                for _ in range(4):
                    try:
                        out.append(int(sess.run(nxt)))
                    except Exception as e:  # TF's and our error classes are compared by name
                        out.append(type(e).__name__)
        results[fw] = out
    assert results[tm] == results[tf1] == [0, "InvalidArgumentError", 2, "OutOfRangeError"]


# ---------------------------------------------------------------------------------------------
# MetaGraphs with map/filter pipelines over TFRecord files, both ways


@pytest.fixture
def record_files(tmp_path, tf1):
    import tensorflow

    paths = []
    for f in range(2):
        path = str(tmp_path / f"data-{f}.tfrecord")
        with tensorflow.io.TFRecordWriter(path) as w:
            for i in range(5):
                w.write(example(x=[float(10 * f + i), -float(i)], y=[10 * f + i]))
        paths.append(path)
    return paths


def _file_pipeline(fw, files):
    data = _data(fw)
    scale = fw.constant(0.5, name="scale")

    def parse(record):
        parsed = fw.io.parse_single_example(record, _features(fw))
        return parsed["x"] * scale, parsed["y"]

    return (
        data.Dataset.from_tensor_slices(files)
        .interleave(lambda f: data.TFRecordDataset(f), cycle_length=2)
        .map(parse)
        .filter(lambda x, y: fw.not_equal(y % 3, 0))
        .batch(3)
    )


def _export(fw, files, path):
    g = fw.Graph()
    with g.as_default():
        it = _v1data(fw).make_initializable_iterator(_file_pipeline(fw, files))
        x, y = it.get_next()
        fw.add_to_collection("init", it.initializer)
        fw.add_to_collection("next", x)
        fw.add_to_collection("next", y)
        fw.train.export_meta_graph(filename=str(path))


def _run_meta(fw, path):
    import tensorflow

    end = tensorflow.errors.OutOfRangeError if fw is not tm else errors.OutOfRangeError
    g = fw.Graph()
    out = []
    with g.as_default():
        fw.train.import_meta_graph(str(path))
        with fw.Session() as sess:
            sess.run(fw.get_collection("init"))
            nxt = fw.get_collection("next")
            while True:
                try:
                    out.append(tuple(sess.run(nxt)))
                except end:
                    break
    return out


def test_file_datasets_are_tfs_graphs_and_records(tf1, record_files, tmp_path):
    """TFRecordDataset / TextLineDataset / FixedLengthRecordDataset build TF 2.21's graph (file names sliced,
    a one-file reader flat-mapped or interleaved over them) and read the same records."""
    text = tmp_path / "lines.txt"
    text.write_bytes(b"a\nbb\r\n\nccc")
    fixed = tmp_path / "fixed.bin"
    fixed.write_bytes(b"HH" + bytes(range(12)) + b"F")
    for case in FILE_CASES:
        tg, theirs = _elements(tf1, lambda d, case=case: _only(d, case, record_files, str(text), str(fixed)))
        mg, ours = _elements(tm, lambda d, case=case: _only(d, case, record_files, str(text), str(fixed)))
        _assert_same_graph(tg, mg)
        _assert_same_elements(ours, theirs)
        assert len(ours) > 2, case


FILE_CASES = [
    "tfrecord-list",
    "tfrecord-one-file-gzip-options",
    "tfrecord-autotune-reads",
    "tfrecord-2-parallel-reads",
    "tfrecord-3-parallel-reads-of-a-dataset",
    "text-2-parallel-reads",
    "tfrecord-dataset-of-names",
    "text-lines",
    "fixed-length",
]


def _only(data, case, files, text, fixed):
    return {
        "tfrecord-list": lambda: data.TFRecordDataset(files),
        "tfrecord-one-file-gzip-options": lambda: data.TFRecordDataset(files[0], compression_type="", buffer_size=1024),
        "tfrecord-autotune-reads": lambda: data.TFRecordDataset(files, num_parallel_reads=data.experimental.AUTOTUNE),
        # TF's ParallelInterleaveDataset (LegacyParallelInterleaveDatasetV2): N files at a time, TF's order
        "tfrecord-2-parallel-reads": lambda: data.TFRecordDataset(files + files[:1], num_parallel_reads=2),
        "tfrecord-3-parallel-reads-of-a-dataset": lambda: data.TFRecordDataset(
            data.Dataset.from_tensor_slices(files[::-1] + files).take(3), num_parallel_reads=3
        ),
        "text-2-parallel-reads": lambda: data.TextLineDataset([text, text, text], num_parallel_reads=2),
        "tfrecord-dataset-of-names": lambda: data.TFRecordDataset(data.Dataset.from_tensor_slices(files[::-1])),
        "text-lines": lambda: data.TextLineDataset([text, text]),
        "fixed-length": lambda: data.FixedLengthRecordDataset(fixed, 3, header_bytes=2, footer_bytes=1),
    }[case]()


def test_parallel_reads_check_their_arguments_as_tf(tf1, record_files):
    """num_parallel_reads=0 builds a LegacyParallelInterleaveDatasetV2 that TF refuses when the iterator starts."""
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            dataset = _data(fw).TFRecordDataset(record_files, num_parallel_reads=0)
            it = _v1data(fw).make_initializable_iterator(dataset)
            with fw.Session() as sess:
                error = errors.InvalidArgumentError if fw is tm else tf1.errors.InvalidArgumentError
                with pytest.raises(error, match="`cycle_length` must be > 0"):
                    sess.run(it.initializer)
                    sess.run(it.get_next())


def test_tf_exported_tfrecord_map_filter_pipeline_runs_here_and_ours_in_tf(tf1, record_files, tmp_path):
    _export(tf1, record_files, tmp_path / "theirs.meta")
    _export(tm, record_files, tmp_path / "ours.meta")
    expected = _run_meta(tf1, tmp_path / "theirs.meta")
    assert [len(b[1]) for b in expected] == [3, 3, 1]
    _assert_same_elements(_run_meta(tm, tmp_path / "theirs.meta"), expected)
    _assert_same_elements(_run_meta(tf1, tmp_path / "ours.meta"), expected)
    _assert_same_elements(_run_meta(tm, tmp_path / "ours.meta"), expected)


NAMING_PROGRAM = """
import sys
import numpy as np
if sys.argv[1] == "tensorflow":
    import tensorflow
    tf = tensorflow.compat.v1
    tf.disable_v2_behavior()
else:
    import torchmeta as tf
g = tf.Graph()
with g.as_default():
    d = tf.data
    ds = d.Dataset.from_tensor_slices((np.arange(10), np.arange(10.0, dtype=np.float32)))
    ds = ds.map(lambda x, y: (x * 2, y + tf.constant(1.0))).filter(lambda x, y: x > 3)
    ds = ds.map(lambda x, y: x + tf.cast(y, tf.int64), num_parallel_calls=2).batch(2).unbatch()
    ds = ds.interleave(lambda x: d.Dataset.from_tensors(x), cycle_length=2, num_parallel_calls=2)
    ds = ds.flat_map(lambda x: d.Dataset.range(x).map(lambda y: y * 2))
    ds = ds.apply(d.experimental.map_and_batch(lambda x: x, 2)).scan(np.int64(0), lambda s, x: (s + 1, x))
    d.make_one_shot_iterator(ds).get_next()
names = [f.signature.name for f in g.as_graph_def().library.function]
print(" ".join(sorted(n for n in names if not n.startswith("_make_dataset_"))))
"""


def test_function_names_are_tfs_from_a_fresh_process():
    """The same program run from a fresh process names its dataset functions as TF does, counter included: the
    process-wide uid is taken as TF takes it (one per graph and per op output; the function's number after its
    body is traced)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    names = {}
    for framework in ("tensorflow", "torchmeta"):
        done = subprocess.run(
            [sys.executable, "-c", NAMING_PROGRAM, framework], capture_output=True, text=True, timeout=300, env=env
        )
        assert done.returncode == 0, done.stderr
        names[framework] = done.stdout.split()
    assert names["torchmeta"] == names["tensorflow"]
    assert len(names["tensorflow"]) == 9 and all(re.search(r"_[0-9]+$", n) for n in names["tensorflow"])
