"""tf.summary (TF1) and the TF 0.x summary names: graphs, collections and values as TF builds them;
event files TensorFlow and TensorBoard read."""

import glob

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.io.events import summary_iterator


def _build(api, old_names):
    g = api.Graph()
    with g.as_default():
        loss = api.constant(2.5, name="loss")
        api.summary.scalar("my loss", loss)
        api.summary.scalar("loss", loss, family="train")
        api.summary.histogram("weights", api.constant([1.0, 2.0, 2.0, 10.0]))
        with api.name_scope("outer"):
            api.summary.scalar("inner", loss)
        if old_names:
            api.scalar_summary(loss.op.name, loss)
        merged = api.summary.merge_all()
        ops = [(op.name, op.type, [t.name for t in op.inputs]) for op in g.get_operations()]
        keys = [t.name for t in api.get_collection(api.GraphKeys.SUMMARIES)]
        with api.Session(graph=g) as sess:
            value = sess.run(merged)
    return ops, keys, value


def test_summary_graph_and_values_match_tf(tf1):
    assert _build(tm, False) == _build(tf1, False)


def test_seed_scalar_summary_old_name():
    ops, keys, value = _build(tm, True)
    assert ("ScalarSummary", "ScalarSummary", ["ScalarSummary/tags:0", "loss:0"]) in ops
    summary = tm.summary.Summary.FromString(value)
    assert [v.tag for v in summary.value][-1] == "loss"
    assert summary.value[-1].simple_value == 2.5
    assert tm.merge_all_summaries is not None


def test_merge_all_of_empty_collection_is_none():
    assert tm.summary.merge_all() is None


def test_merge_rejects_duplicate_tags():
    a = tm.scalar_summary("same", tm.constant(1.0))
    b = tm.scalar_summary("same", tm.constant(2.0))
    m = tm.summary.merge([a, b])
    with tm.Session() as sess, pytest.raises(tm.errors.InvalidArgumentError, match="Duplicate tag same"):
        sess.run(m)


def test_histogram_of_nan_fails_like_tf():
    h = tm.summary.histogram("h", tm.constant([1.0, np.nan]))
    with tm.Session() as sess, pytest.raises(tm.errors.InvalidArgumentError, match="Nan in summary histogram for: h"):
        sess.run(h)


def test_file_writer_events_read_by_tf_and_tensorboard(tmp_path, tf1):
    loss = tm.constant(0.5, name="loss")
    s = tm.summary.scalar("loss", loss)
    with tm.Session() as sess:
        writer = tm.summary.FileWriter(str(tmp_path), sess.graph)
        for step in range(3):
            writer.add_summary(sess.run(s), global_step=step)
        writer.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    ours = list(summary_iterator(path))
    assert ours[0].file_version == "brain.Event:2"
    theirs = list(tf1.train.summary_iterator(path))
    assert [e.step for e in theirs] == [e.step for e in ours]
    assert [v.simple_value for e in theirs for v in e.summary.value] == [0.5, 0.5, 0.5]
    graph_def = tf1.GraphDef.FromString(theirs[1].graph_def)
    assert [n.name for n in graph_def.node] == ["loss", "loss_1/tags", "loss_1"]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [e.value for e in acc.Scalars("loss_1")] == [0.5, 0.5, 0.5]


def test_tf_written_events_read_here(tmp_path, tf1):
    g = tf1.Graph()
    with g.as_default():
        s = tf1.summary.scalar("x", tf1.constant(3.0))
        with tf1.Session() as sess:
            writer = tf1.summary.FileWriter(str(tmp_path))
            writer.add_summary(sess.run(s), 7)
            writer.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    events = list(tm.train.summary_iterator(path))  # TF1's name for it
    assert events[-1].step == 7 and events[-1].summary.value[0].simple_value == 3.0
    theirs = list(tf1.train.summary_iterator(path))
    assert [e.SerializeToString() for e in events] == [e.SerializeToString() for e in theirs]


def test_corrupt_event_file_raises_data_loss(tmp_path):
    w = tm.summary.FileWriter(str(tmp_path))
    w.add_summary(tm.summary.Summary(value=[tm.summary.Summary.Value(tag="a", simple_value=1.0)]), 1)
    w.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[-6] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))
    with pytest.raises(tm.errors.DataLossError, match="corrupted record"):
        list(summary_iterator(path))


_rng = np.random.default_rng(3)
IMAGE_CASES = {
    "float-signed": (_rng.standard_normal((5, 7, 9, 3)).astype(np.float32) * 30, {}),
    "float-positive-one-output": (_rng.uniform(0, 3, (2, 7, 9, 1)).astype(np.float32), {"max_outputs": 1}),
    "half-rgba": (_rng.standard_normal((2, 16, 16, 4)).astype(np.float16), {}),
    "double-more-outputs-than-images": (_rng.standard_normal((3, 10, 10, 3)) * 1e3, {"max_outputs": 10}),
    "uint8": (_rng.integers(0, 256, (2, 5, 6, 3)).astype(np.uint8), {"family": "train"}),
    "nan-pixels-bad-color": (
        np.where(_rng.uniform(size=(2, 5, 6, 3)) < 0.1, np.nan, _rng.standard_normal((2, 5, 6, 3))).astype(np.float32),
        {},
    ),
    "all-zero": (np.zeros((1, 3, 3, 1), np.float32), {}),
}


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_image_summary_is_tfs(tf1, case):
    """tf.summary.image (the cifar10 tutorial's input summary; missing before): TF's graph and tags, sizes and
    colorspaces, and TF's pixels (float images scaled into uint8 as its kernel scales them, non-finite pixels
    in bad_color). The PNG bytes are Pillow's, so the decoded pixels are compared."""
    import io

    from PIL import Image

    images, kwargs = IMAGE_CASES[case]
    results = []
    for fw in (tf1, tm):
        g = fw.Graph()
        with g.as_default():
            x = fw.placeholder(fw.as_dtype(images.dtype.name), images.shape, name="x")
            merged = fw.summary.merge([fw.summary.image("imgs", x, **kwargs)])
            nodes = [
                (n.name, n.op, list(n.input), {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()})
                for n in g.as_graph_def().node
            ]
            keys = [t.name for t in fw.get_collection(fw.GraphKeys.SUMMARIES)]
            with fw.Session() as sess:
                summary = fw.Summary.FromString(sess.run(merged, {x: images}))
        values = [
            (
                v.tag,
                v.image.height,
                v.image.width,
                v.image.colorspace,
                Image.open(io.BytesIO(v.image.encoded_image_string)),
            )
            for v in summary.value
        ]
        results.append((nodes, keys, [(*v[:4], v[4].mode, np.asarray(v[4]).tolist()) for v in values]))
    assert results[1] == results[0]


def test_image_summary_errors_are_tfs(tf1):
    import tensorflow

    messages = []
    for fw, error in ((tf1, tensorflow.errors.InvalidArgumentError), (tm, tm.errors.InvalidArgumentError)):
        with fw.Graph().as_default():
            x = fw.placeholder(fw.float32)
            summary = fw.summary.image("imgs", x)
            with fw.Session() as sess, pytest.raises(error) as caught:
                sess.run(summary, {x: np.zeros((2, 3, 4, 2), np.float32)})
        messages.append([line for line in caught.value.message.split("\n") if "Tensor must be" in line])
    assert messages[1] == messages[0]
    assert messages[0] == ["Tensor must be 4-D with last dim 1, 3, or 4, not [2,3,4,2]"]


PROTO_NAMES = [
    "Summary",
    "SummaryMetadata",
    "HistogramProto",
    "Event",
    "SessionLog",
    "LogMessage",
    "GraphDef",
    "MetaGraphDef",
    "TensorInfo",
    "NodeDef",
    "AttrValue",
    "NameAttrList",
]


@pytest.mark.parametrize("name", PROTO_NAMES)
def test_tf1_top_level_proto_messages_are_tfs(tf1, name):
    """tf.Summary (cifar10_eval.py: ``summary = tf.Summary(); summary.ParseFromString(...)``) and TF1's other
    top-level protocol buffer classes: the same messages, so each parses the other's bytes."""
    ours, theirs = getattr(tm, name), getattr(tf1, name)
    assert ours.DESCRIPTOR.full_name == theirs.DESCRIPTOR.full_name
    assert [f.name for f in ours.DESCRIPTOR.fields] == [f.name for f in theirs.DESCRIPTOR.fields]
