"""Fuzz targets: one per public entry point that reads a file.

A target is a function ``fn(data: bytes, work: str)`` registered with :func:`target`: it writes ``data`` where
the entry point reads it (``work`` is an empty scratch directory) and drives the public API as a user would.
It may raise only ``torchmeta.errors`` classes; anything else (or running past the time limit, or memory)
is a finding. Adding a target (TFRecord, SavedModel...) is a few lines here plus seed files in
``tests/fuzz/seeds/<name>/`` (written by ``tests/fuzz/make_seeds.py``):

    @target("events")
    def fuzz_events(data, work):
        for event in events.summary_iterator(_write(work, "events.out.tfevents.1.host", data)):
            event.WhichOneof("what")
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")
REGRESSIONS = os.path.join(HERE, "regressions")
RESTORE_PREFIX = os.path.join(SEEDS, "restore", "model")


@dataclass(frozen=True)
class Target:
    name: str
    fn: Callable[[bytes, str], None]
    text: bool = False  # seeds are text: the mutator also edits tokens

    @property
    def seed_dir(self) -> str:
        return os.path.join(SEEDS, self.name)

    @property
    def regression_dir(self) -> str:
        return os.path.join(REGRESSIONS, self.name)

    def seeds(self) -> list[bytes]:
        out = []
        for name in sorted(os.listdir(self.seed_dir)):
            with open(os.path.join(self.seed_dir, name), "rb") as f:
                out.append(f.read())
        return out


TARGETS: dict[str, Target] = {}


def target(name: str, *, text: bool = False):
    def register(fn):
        if name in TARGETS:
            raise ValueError(f"fuzz target {name!r} registered twice")
        TARGETS[name] = Target(name, fn, text)
        return fn

    return register


class Finding(AssertionError):
    """A property the target checks itself failed (not an exception from torchmeta)."""


def _write(work: str, name: str, data: bytes) -> str:
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


# -- MetaGraphs: import, run, restore ----------------------------------------------------------------------


def _feed_for(tm, op):
    """A zero feed for a Placeholder (unknown dims as 1), or None when the placeholder is unusual."""
    try:
        dtype = tm.as_dtype(op.get_attr("dtype"))
        dims = op.outputs[0].shape.as_list() if op.outputs[0].shape.rank is not None else []
    except Exception:  # a mutated attr: leave it unfed, the run reports it
        return None
    dims = [1 if d is None else d for d in dims]
    if any(d < 0 for d in dims) or int(np.prod(dims, dtype=np.float64)) > 1 << 16 or dtype.numpy is None:
        return None
    if dtype.name == "string":
        return np.full(dims, b"", dtype=object)
    return np.zeros(dims, dtype=dtype.numpy)


def import_run_restore(meta_graph_def) -> None:
    """import_meta_graph, run the collections' fetches, restore the seed checkpoint, run again."""
    import torchmeta as tm

    graph = tm.Graph()
    with graph.as_default():
        saver = tm.train.import_meta_graph(meta_graph_def)
        fetches = []
        for key in ("logits", "train_op"):
            fetches.extend(x for x in graph.get_collection(key) if isinstance(x, (tm.Tensor, tm.Operation)))
        init = tm.global_variables_initializer()
        feeds = {}
        for op in graph.get_operations():
            if op.type == "Placeholder":
                value = _feed_for(tm, op)
                if value is not None:
                    feeds[op.outputs[0]] = value
        with tm.Session(graph=graph) as sess:
            sess.run(init)
            if fetches:
                sess.run(fetches, feeds)
            if saver is not None:
                fmt = "safetensors" if len(graph.get_operations()) % 2 else "tf"
                prefix = RESTORE_PREFIX + (".safetensors" if fmt == "safetensors" else "")
                saver.restore(sess, prefix)
                if fetches:
                    sess.run(fetches, feeds)


@target("meta_binary")
def fuzz_meta_binary(data: bytes, work: str) -> None:
    from torchmeta.io import meta_graph

    import_run_restore(meta_graph.load(data, "fuzz.meta"))


@target("meta_text", text=True)
def fuzz_meta_text(data: bytes, work: str) -> None:
    from torchmeta.io import meta_graph

    import_run_restore(meta_graph.load_file(_write(work, "fuzz.pbtxt", data)))


# -- checkpoints ---------------------------------------------------------------------------------------------


def pack_bundle(index: bytes, data: bytes) -> bytes:
    """One fuzz input holding a V2 checkpoint: ``uint32 len(index) | index | data``."""
    return struct.pack("<I", len(index)) + index + data


def _read_everything(reader) -> dict:
    """Every tensor through every read verb; returns name -> numpy value."""
    values = {}
    for name in reader:
        reader.get_dtype(name)
        shape = reader.get_shape(name)
        slices = reader.get_tensor_slices(name)
        if slices:  # a partitioned variable: its stored slices (a shard's may not cover it)
            values[name] = [reader.get_slice(name, s) for s in slices]
            continue
        value = reader.get_tensor(name)
        if tuple(value.shape) != tuple(shape):
            raise Finding(f"{name}: get_tensor gave shape {value.shape}, get_shape {shape}")
        dtype = reader.get_dtype(name)
        if dtype.name != "string" and dtype.torch is not None:
            t = reader.get_tensor_torch(name, mmap=False)
            if tuple(t.shape) != tuple(shape):
                raise Finding(f"{name}: get_tensor_torch gave shape {tuple(t.shape)}, get_shape {shape}")
        if shape and shape[0] > 1:
            reader.get_slice(name, f"0,{shape[0] // 2}" + ":-" * (len(shape) - 1))
        values[name] = value
    return values


def _same_value(x, y) -> bool:
    if isinstance(x, list) or isinstance(y, list):
        return isinstance(x, list) and isinstance(y, list) and len(x) == len(y) and all(map(_same_value, x, y))
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        return False
    return x.tolist() == y.tolist() if x.dtype.kind == "O" else x.tobytes() == y.tobytes()


def _same(a: dict, b: dict) -> bool:
    return sorted(a) == sorted(b) and all(_same_value(a[name], b[name]) for name in a)


@target("tf_checkpoint")
def fuzz_tf_checkpoint(data: bytes, work: str) -> None:
    from converters import tf_checkpoint_to_safetensors
    from torchmeta import errors, io

    n = struct.unpack("<I", data[:4])[0] if len(data) >= 4 else 0
    prefix = os.path.join(work, "ckpt")
    _write(work, "ckpt.index", data[4 : 4 + n])
    _write(work, "ckpt.data-00000-of-00001", data[4 + n :])
    try:
        with io.open_checkpoint(prefix) as reader:
            values = _read_everything(reader)
    except errors.TorchMetaError:
        values = None
    out = os.path.join(work, "out")
    try:
        tf_checkpoint_to_safetensors.convert(prefix, out)
    except errors.TorchMetaError:
        if os.path.exists(out + ".safetensors"):
            raise Finding("the converter failed but left an output file") from None
        return
    if values is None:
        raise Finding("the converter produced output from a checkpoint that does not read")
    with io.open_checkpoint(out) as converted:
        if not _same(values, _read_everything(converted)):
            raise Finding("the converted checkpoint differs from the input")


@target("safetensors")
def fuzz_safetensors(data: bytes, work: str) -> None:
    from converters import safetensors_to_tf_checkpoint
    from torchmeta import errors, io

    path = _write(work, "ckpt.safetensors", data)
    try:
        with io.open_checkpoint(path) as reader:
            values = _read_everything(reader)
    except errors.TorchMetaError:
        values = None
    out = os.path.join(work, "out")
    try:
        safetensors_to_tf_checkpoint.convert(path, out)
    except errors.TorchMetaError:
        if os.path.exists(out + ".index"):
            raise Finding("the converter failed but left an output file") from None
        return
    if values is None:
        raise Finding("the converter produced output from a checkpoint that does not read")
    with io.open_checkpoint(out) as converted:
        if not _same(values, _read_everything(converted)):
            raise Finding("the converted checkpoint differs from the input")


# -- the checkpoint state file, event files -------------------------------------------------------------------


@target("checkpoint_state", text=True)
def fuzz_checkpoint_state(data: bytes, work: str) -> None:
    import torchmeta as tm

    _write(work, "checkpoint", data)
    tm.train.get_checkpoint_state(work)
    tm.train.latest_checkpoint(work)
    tm.train.get_checkpoint_state(work, "checkpoint")


@target("events")
def fuzz_events(data: bytes, work: str) -> None:
    from torchmeta.io import events

    for event in events.summary_iterator(_write(work, "events.out.tfevents.1.host", data)):
        event.WhichOneof("what")


# -- TFRecord files, tf.train.Example parsing, SavedModels ------------------------------------------------------

TFRECORD_COMPRESSION = ("", "ZLIB", "GZIP")


class _CachedGraph:
    """A graph built once per process (the targets feed it each input), with its session."""

    def __init__(self, build):
        self._build = build
        self._made = None

    def get(self):
        if self._made is None:
            import torchmeta as tm

            graph = tm.Graph()
            with graph.as_default():
                parts = self._build(tm)
            self._made = (tm.Session(graph=graph), parts)
        return self._made


def _build_tfrecord_graph(tm):
    filename = tm.placeholder(tm.string, [], name="filename")
    compression = tm.placeholder(tm.string, [], name="compression")
    iterator = tm.data.make_initializable_iterator(tm.data.TFRecordDataset(filename, compression).batch(2))
    return filename, compression, iterator.initializer, iterator.get_next()


_TFRECORD_GRAPH = _CachedGraph(_build_tfrecord_graph)


@target("tfrecord")
def fuzz_tfrecord(data: bytes, work: str) -> None:
    """The first byte picks the compression; the rest is the file. Read by the iterator and by TFRecordDataset:
    both give the same records, or both fail."""
    from torchmeta import errors
    from torchmeta.io import tfrecord

    compression = TFRECORD_COMPRESSION[data[0] % 3] if data else ""
    path = _write(work, "data.tfrecord", data[1:])
    direct = []
    try:
        for record in tfrecord.tf_record_iterator(path, tfrecord.TFRecordOptions(compression)):
            direct.append(record)
    except errors.DataLossError:
        direct.append(None)  # records up to the bad one, then the error
    sess, (filename, compression_t, init, next_batch) = _TFRECORD_GRAPH.get()
    sess.run(init, {filename: path, compression_t: compression})
    through_dataset = []
    while True:
        try:
            through_dataset.extend(sess.run(next_batch).tolist())
        except errors.OutOfRangeError:
            break
        except errors.DataLossError:
            through_dataset.append(None)
            break
    if direct != through_dataset and not (direct[-1:] == [None] and through_dataset[-1:] == [None]):
        raise Finding("tf_record_iterator and TFRecordDataset read different records")


def _build_example_graph(tm):
    serialized = tm.placeholder(tm.string, [], name="serialized")
    features = {
        "f": tm.io.FixedLenFeature([3], tm.float32, default_value=[0.0, 0.5, 1.0]),
        "i": tm.io.VarLenFeature(tm.int64),
        "b": tm.io.FixedLenFeature([], tm.string, default_value=b""),
        "k": tm.io.FixedLenFeature([2], tm.int64, default_value=[0, 0]),
        "s": tm.io.VarLenFeature(tm.string),
    }
    sequence_features = {
        "seq": tm.io.FixedLenSequenceFeature([2], tm.float32, allow_missing=True),
        "v": tm.io.VarLenFeature(tm.int64),
    }
    single = tm.parse_single_example(serialized, features)
    batch = tm.parse_example(tm.stack([serialized, serialized]), features)
    context, sequence = tm.io.parse_single_sequence_example(
        serialized, context_features={"b": features["b"], "i": features["i"]}, sequence_features=sequence_features
    )
    return serialized, [single, batch, context, sequence]


_EXAMPLE_GRAPH = _CachedGraph(_build_example_graph)


@target("example")
def fuzz_example(data: bytes, work: str) -> None:
    """One serialized proto parsed as an Example (alone and in a batch of two) and as a SequenceExample."""
    from torchmeta import errors

    sess, (serialized, parsers) = _EXAMPLE_GRAPH.get()
    for fetch in parsers:
        with contextlib.suppress(errors.InvalidArgumentError):
            sess.run(fetch, {serialized: data})


def _tensor_or_none(graph, name):
    """The tensor a signature names, or None where it names none (TF's KeyError/ValueError, as a user sees)."""
    try:
        return graph.get_tensor_by_name(name)
    except (KeyError, ValueError):
        return None


SAVED_MODEL_VARIABLES = os.path.join(SEEDS, "saved_model_variables")


@target("saved_model")
def fuzz_saved_model(data: bytes, work: str) -> None:
    """``saved_model.pb`` (the seed model's variables beside it): loaded, every signature run with zero feeds."""
    import shutil

    import torchmeta as tm

    export_dir = os.path.join(work, "export")
    _write(export_dir, "saved_model.pb", data)
    shutil.copytree(SAVED_MODEL_VARIABLES, os.path.join(export_dir, "variables"))
    with tm.Session(graph=tm.Graph()) as sess:
        meta = tm.saved_model.loader.load(sess, ["serve"], export_dir)
        for signature in meta.signature_def.values():
            fetches = [
                t for t in (_tensor_or_none(sess.graph, i.name) for i in signature.outputs.values()) if t is not None
            ]
            feeds = {}
            for info in signature.inputs.values():
                tensor = _tensor_or_none(sess.graph, info.name)
                if tensor is not None and tensor.op.type == "Placeholder":
                    value = _feed_for(tm, tensor.op)
                    if value is not None:
                        feeds[tensor] = value
            if fetches:
                sess.run(fetches, feeds)
