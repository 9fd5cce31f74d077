"""tf.summary (TF1) and the TF 0.x summary names: graphs, collections and values as TF builds them;
event files TensorFlow and TensorBoard read."""

import glob
import io

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


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)))


_RNG = np.random.RandomState(7)
_WITH_NAN = _RNG.uniform(-2, 3, size=(2, 5, 4, 3)).astype(np.float32)
_WITH_NAN[0, 1, 2, 1] = np.nan
_WITH_NAN[1, 0, 0, 0] = np.inf
IMAGE_CASES = {
    "positive": (_RNG.uniform(0, 1, size=(4, 6, 5, 1)).astype(np.float32), {}),
    "signed": (_RNG.normal(size=(3, 4, 7, 1)).astype(np.float32), {"max_outputs": 2}),
    "nonfinite-rgb": (_WITH_NAN, {}),
    "rgba-half": (_RNG.uniform(-1, 1, size=(2, 3, 3, 4)).astype(np.float16), {}),
    "double-one": (_RNG.uniform(0, 9, size=(2, 3, 5, 3)), {"max_outputs": 1}),
    "uint8": (_RNG.randint(0, 256, size=(2, 4, 4, 3)).astype(np.uint8), {"max_outputs": 5}),
    "zeros-and-tiny": (np.stack([np.zeros((3, 3, 1)), np.full((3, 3, 1), 1e-7)]).astype(np.float32), {}),
    "all-nan": (np.full((1, 2, 2, 1), np.nan, np.float32), {}),
    # the largest value exactly TF's float threshold 1e-6f (below the double 1e-6): scaled, not black
    "at-threshold": (np.array([1e-6, 5e-7, 0.0, -1e-6], np.float32).reshape(2, 2, 1, 1).repeat(2, 0), {}),
}


def _image_summary(api, images, kw):
    g = api.Graph()
    with g.as_default():
        with api.name_scope("scope"):
            api.summary.image("input image", api.constant(images), **kw)
        merged = api.summary.merge_all()
        nodes = [(n.name, n.op, sorted(n.attr)) for n in g.as_graph_def().node]
        with api.Session(graph=g) as sess:
            summary = api.summary.Summary.FromString(sess.run(merged))
    values = [(v.tag, v.image.height, v.image.width, v.image.colorspace) for v in summary.value]
    return nodes, values, [_pixels(v.image.encoded_image_string) for v in summary.value]


@pytest.mark.parametrize("case", sorted(IMAGE_CASES))
def test_image_summary_is_tfs(tf1, case):
    """tf.summary.image: TF's node, tags, sizes and pixels (float images scaled one at a time by their finite
    pixels' range, in the image's own precision; non-finite pixels painted bad_color)."""
    images, kw = IMAGE_CASES[case]
    nodes, values, pixels = _image_summary(tm, images, kw)
    their_nodes, their_values, their_pixels = _image_summary(tf1, images, kw)
    assert nodes == their_nodes and values == their_values
    for ours, theirs in zip(pixels, their_pixels, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_image_summary_bad_color_attr_is_tfs(tf1):
    """ImageSummary's tensor-valued attr: the default (opaque red) in the NodeDef, and another colour used."""
    images = np.full((1, 2, 2, 3), np.nan, np.float32)
    images[0, 0, 0] = 1.0
    results = []
    for api in (tm, tf1):
        g = api.Graph()
        with g.as_default():
            default = api.raw_ops.ImageSummary(tag="a", tensor=images)
            blue = api.raw_ops.ImageSummary(
                tag="b", tensor=images, bad_color=api.make_tensor_proto(np.array([0, 0, 255], np.uint8))
            )
            with api.Session(graph=g) as sess:
                out = sess.run([default, blue])
        node = g.as_graph_def().node[-2]
        pngs = [api.summary.Summary.FromString(s).value[0].image.encoded_image_string for s in out]
        results.append((node.attr["bad_color"].SerializeToString(), [_pixels(p).tolist() for p in pngs]))
    assert results[0] == results[1]
    assert results[0][1][1][1][1] == [0, 0, 255]


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((2, 3, 3), np.float32), ((1, 2, 2, 2), np.float32), ((1, 0, 3, 1), np.float32), ((1, 2, 2, 4), np.float64)],
)
def test_image_summary_errors_are_tfs(tf1, shape, dtype):
    messages = []
    for api in (tm, tf1):
        g = api.Graph()
        with g.as_default():
            bad_color = api.make_tensor_proto(np.array([1, 2, 3], np.uint8))  # too short for a float RGBA image
            s = api.raw_ops.ImageSummary(tag="t", tensor=np.ones(shape, dtype), bad_color=bad_color)
            with api.Session(graph=g) as sess, pytest.raises(api.errors.InvalidArgumentError) as e:
                sess.run(s)
        messages.append(e.value.message)
    ours, theirs = messages
    assert f"Node: 'ImageSummary'\n{ours}\n\t [[{{{{node ImageSummary}}}}]]" in theirs


TF1_PROTO_CLASSES = [
    "AttrValue",
    "Event",
    "GraphDef",
    "HistogramProto",
    "LogMessage",
    "MetaGraphDef",
    "NameAttrList",
    "NodeDef",
    "RunMetadata",
    "RunOptions",
    "SessionLog",
    "Summary",
    "SummaryMetadata",
    "TensorInfo",
]


@pytest.mark.parametrize("name", TF1_PROTO_CLASSES)
def test_tf1_top_level_proto_classes_are_tfs_messages(tf1, name):
    """tf.GraphDef, tf.Summary, ... (TF1 programs read event files and write hand-made summaries with them)."""
    assert getattr(tm, name).DESCRIPTOR.full_name == getattr(tf1, name).DESCRIPTOR.full_name
    assert getattr(tm.compat.v1, name) is getattr(tm, name)


def test_hand_made_summary_and_graph_def_read_by_tf(tmp_path, tf1):
    """The TF1 idiom ``writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag=..., simple_value=...)]), step)``
    and a graph's ``tf.GraphDef`` parsed back from the event file."""
    with tm.Graph().as_default() as g:
        tm.constant(1.0, name="c")
        writer = tm.summary.FileWriter(str(tmp_path), g)
    writer.add_summary(tm.Summary(value=[tm.Summary.Value(tag="precision", simple_value=0.75)]), 3)
    writer.close()
    events = list(tf1.train.summary_iterator(glob.glob(str(tmp_path / "events.out.tfevents.*"))[0]))
    assert [n.name for n in tm.GraphDef.FromString(events[1].graph_def).node] == ["c"]
    assert (events[-1].step, events[-1].summary.value[0].simple_value) == (3, 0.75)


def _audio_and_text(api, clips, stereo, rate):
    g = api.Graph()
    with g.as_default():
        mono = api.placeholder(api.float32, [None, None], name="mono")
        two = api.placeholder(api.float32, [None, None, 2], name="two")
        sr = api.placeholder(api.float32, [], name="sr")
        api.summary.audio("clip", mono, 8000)
        api.summary.audio("stereo", two, sr, max_outputs=1, family="sound")
        api.summary.text("notes", api.constant([["a **b**", "c"], ["d", "é"]]))
        merged = api.summary.merge_all()
        nodes = [
            (n.name, n.op, list(n.input), {k: v.SerializeToString(deterministic=True) for k, v in n.attr.items()})
            for n in g.as_graph_def().node
        ]
        with api.Session() as sess:
            value = sess.run(merged, {mono: clips, two: stereo, sr: rate})
    return nodes, value


def test_audio_and_text_summaries_are_tfs_bytes(tf1, tmp_path):
    """Graphs node for node and the Summary bytes (WAV files, the text plugin's metadata) TF's kernels write;
    TensorBoard reads both from our event file."""
    rng = np.random.default_rng(3)
    clips = rng.uniform(-1.2, 1.2, (4, 37)).astype(np.float32)
    stereo = rng.uniform(-1, 1, (2, 25, 2)).astype(np.float32)
    ours, theirs = _audio_and_text(tm, clips, stereo, 22050.5), _audio_and_text(tf1, clips, stereo, 22050.5)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    writer = tm.summary.FileWriter(str(tmp_path))
    writer.add_summary(ours[1], global_step=1)
    writer.close()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path), size_guidance={"audio": 0, "tensors": 0})
    acc.Reload()
    assert acc.Tags()["audio"] == [
        "clip/audio/0",
        "clip/audio/1",
        "clip/audio/2",
        "sound/sound/stereo/audio",
    ]  # TF: family/scope
    assert acc.Audio("sound/sound/stereo/audio")[0].sample_rate == np.float32(22050.5)
    assert acc.SummaryMetadata("notes").plugin_data.plugin_name == "text"


def test_text_summary_wants_strings_as_tf(tf1):
    messages = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises(ValueError) as info:
            api.summary.text("t", api.constant([1.0]))
        messages.append(str(info.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize(
    "shape, kw",
    [((37, 1), {}), ((20, 2), {"desired_channels": 3, "desired_samples": 25}), ((9, 3), {"desired_channels": 1})],
)
def test_wav_encoding_and_decoding_are_tfs(tf1, shape, kw):
    """EncodeWav's bytes are TF's (clamping, roundf's halves); DecodeWav reads them as TF does, static shapes too."""
    audio = np.random.default_rng(5).uniform(-1.1, 1.1, shape).astype(np.float32)
    audio[:3, 0] = [0.5 / 32768, -1.5 / 32768, 2.5 / 32768]
    results = []
    for api in (tf1, tm):
        with api.Graph().as_default():
            x = api.placeholder(api.float32, [None, shape[1]])
            wav = api.audio.encode_wav(x, 16000)
            decoded = api.audio.decode_wav(wav, **kw)
            static = [decoded.audio.shape.as_list(), decoded.sample_rate.shape.as_list()]
            with api.Session() as sess:
                results.append((static, sess.run([wav, decoded.audio, decoded.sample_rate], {x: audio})))
    (static_tf, (wav_tf, audio_tf, rate_tf)), (static_tm, (wav_tm, audio_tm, rate_tm)) = results
    assert static_tm == static_tf and wav_tm == wav_tf and rate_tm == rate_tf
    assert audio_tm.dtype == audio_tf.dtype
    np.testing.assert_array_equal(audio_tm, audio_tf)


def test_bad_wav_files_fail_as_tf(tf1):
    cases = [b"RIFX", b"RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x02\x00", b"RIFF\x00\x00\x00\x00WAVEabcd"]
    for contents in cases:
        messages = []
        for api in (tf1, tm):
            with api.Graph().as_default():
                out = api.audio.decode_wav(api.constant(contents))
                with api.Session() as sess, pytest.raises(api.errors.InvalidArgumentError) as info:
                    sess.run(out)
            messages.append(info.value.message)
        assert messages[1] in messages[0]


def test_summary_description_names_are_tfs(tf1):
    """SummaryDescription and TaggedRunMetadata are TF's messages; get_summary_description reads a
    TensorSummary NodeDef's JSON and rejects other ops as TF; all_v2_summary_ops is the empty collection."""
    node = tm.NodeDef(name="t", op="TensorSummary")
    node.attr["description"].s = b'{"typeHint": "scalar"}'
    ours = tm.summary.get_summary_description(node)
    theirs = tf1.summary.get_summary_description(tf1.NodeDef.FromString(node.SerializeToString()))
    assert ours.SerializeToString() == theirs.SerializeToString() and ours.type_hint == "scalar"
    assert (
        tm.summary.TaggedRunMetadata(tag="x").SerializeToString()
        == tf1.summary.TaggedRunMetadata(tag="x").SerializeToString()
    )
    messages = []
    for api in (tf1, tm):
        with pytest.raises(ValueError) as info:
            api.summary.get_summary_description(api.NodeDef(name="s", op="ScalarSummary"))
        messages.append(str(info.value))
        with api.Graph().as_default():
            assert api.summary.all_v2_summary_ops() == []
    assert messages[1] == messages[0]
