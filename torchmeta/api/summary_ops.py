"""``tf.summary`` (TF1): scalar/histogram/image/tensor summaries, merge, merge_all and FileWriter.

The TF 0.x names the seed document uses (``tf.scalar_summary``, ``tf.merge_all_summaries``, ...)
are kept too.
"""

from __future__ import annotations

import re
import threading
import time

from google.protobuf import json_format

from torchmeta._proto import event_pb2, summary_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, convert_to_tensor
from torchmeta.framework.meta_graph import create_meta_graph_def
from torchmeta.framework.op_def_library import raw_op
from torchmeta.io.events import EventFileWriter

__all__ = [
    "scalar",
    "histogram",
    "image",
    "audio",
    "text",
    "tensor_summary",
    "get_summary_description",
    "all_v2_summary_ops",
    "SummaryDescription",
    "TaggedRunMetadata",
    "merge",
    "merge_all",
    "FileWriter",
    "FileWriterCache",
    "Summary",
    "Event",
    "SessionLog",
    "scalar_summary",
    "histogram_summary",
    "merge_summary",
    "merge_all_summaries",
]

Summary = summary_pb2.Summary
Event = event_pb2.Event
SessionLog = event_pb2.SessionLog
TaggedRunMetadata = event_pb2.TaggedRunMetadata
SummaryDescription = summary_pb2.SummaryDescription

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")


def _clean_tag(name):
    if name is None:
        return None
    return _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


def _collect(value, collections, default):
    for key in default if collections is None else collections:
        graph_lib.add_to_collection(key, value)


class _SummaryScope:
    """TF's summary_scope: a name scope from the cleaned name; the tag is the scope (family-prefixed)."""

    def __init__(self, name, family=None, default_name=None, values=None):
        self._name = _clean_tag(name)
        self._family = _clean_tag(family)
        base = self._name if self._family is None else f"{self._family}/{self._name}"
        self._scope = graph_lib.name_scope(base, default_name, values)

    def __enter__(self):
        scope = self._scope.__enter__()
        tag = scope.rstrip("/") if self._family is None else f"{self._family}/{scope.rstrip('/')}"
        return tag, scope

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)


def scalar(name, tensor, collections=None, family=None):
    """``tf.summary.scalar``: a ScalarSummary whose tag is the (unique) name scope."""
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        value = raw_op("ScalarSummary", tags=tag, values=tensor, name=scope)
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def histogram(name, values, collections=None, family=None):
    """``tf.summary.histogram``: a HistogramSummary with TF's default buckets."""
    with _SummaryScope(name, family, default_name="HistogramSummary", values=[values]) as (tag, scope):
        value = raw_op("HistogramSummary", tag=tag, values=values, name=scope)
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """``tf.summary.image``: an ImageSummary of up to ``max_outputs`` images of a [batch, h, w, 1|3|4] tensor."""
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        value = raw_op("ImageSummary", tag=tag, tensor=tensor, max_images=max_outputs, name=scope)
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def tensor_summary(
    name, tensor, summary_description=None, collections=None, summary_metadata=None, family=None, display_name=None
):
    """``tf.summary.tensor_summary``: the whole tensor in a TensorSummaryV2."""
    metadata = summary_pb2.SummaryMetadata()
    if summary_metadata is not None:
        metadata.MergeFromString(summary_metadata.SerializeToString())
    if display_name:
        metadata.display_name = display_name
    if summary_description:
        metadata.summary_description = summary_description
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        value = raw_op(
            "TensorSummaryV2",
            tag=tag,
            tensor=tensor,
            serialized_summary_metadata=metadata.SerializeToString(),
            name=scope,
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """``tf.summary.audio``: an AudioSummaryV2 of up to ``max_outputs`` clips of a [batch, frames(, channels)]
    float tensor in [-1, 1], each stored as a WAV file."""
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        sample_rate = convert_to_tensor(sample_rate, dtype=DType.float32, name="sample_rate")
        value = raw_op(
            "AudioSummaryV2", tag=tag, tensor=tensor, max_outputs=max_outputs, sample_rate=sample_rate, name=scope
        )
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def text(name, tensor, collections=None):
    """``tf.summary.text``: a string tensor in a TensorSummaryV2 that TensorBoard's text plugin shows.

    Raises:
      ValueError: if ``tensor`` is not a string tensor.
    """
    if tensor.dtype != DType.string:
        raise ValueError(f"Expected tensor {tensor.name} to have dtype string, got {tensor.dtype}")
    summary_metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
    )
    return tensor_summary(name=name, tensor=tensor, summary_metadata=summary_metadata, collections=collections)


def get_summary_description(node_def):
    """``tf.summary.get_summary_description``: the SummaryDescription (JSON in the ``description`` attr) of a
    TensorSummary NodeDef.

    Raises:
      ValueError: if ``node_def`` is not a TensorSummary node.
    """
    if node_def.op != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {node_def.op}")
    summary_description = SummaryDescription()
    json_format.Parse(node_def.attr["description"].s.decode("utf-8"), summary_description)
    return summary_description


def all_v2_summary_ops():
    """``tf.summary.all_v2_summary_ops``: the graph's TF2 summary ops (the ``_SUMMARY_V2`` collection)."""
    return graph_lib.get_collection(GraphKeys._SUMMARY_COLLECTION)


def merge(inputs, collections=None, name=None):
    """``tf.summary.merge``: one Summary holding the values of all ``inputs``."""
    name = _clean_tag(name)
    with graph_lib.name_scope(name, "Merge", inputs):
        value = raw_op("MergeSummary", inputs=list(inputs), name=name)
        _collect(value, collections, [])
    return value


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """``tf.summary.merge_all``: merges the summaries of collection ``key``; None if it is empty."""
    summaries = graph_lib.get_collection(key, scope=scope)
    return merge(summaries, name=name) if summaries else None


# -- TF 0.x names ----------------------------------------------------------------------------------


def scalar_summary(tags, values, collections=None, name=None):
    """The TF 0.x ``tf.scalar_summary(tags, values)``: tags are used exactly as given."""
    with graph_lib.name_scope(name, "ScalarSummary", [tags, values]) as scope:
        value = raw_op("ScalarSummary", tags=tags, values=values, name=scope)
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def histogram_summary(tag, values, collections=None, name=None):
    """The TF 0.x ``tf.histogram_summary(tag, values)``."""
    with graph_lib.name_scope(name, "HistogramSummary", [tag, values]) as scope:
        value = raw_op("HistogramSummary", tag=tag, values=values, name=scope)
        _collect(value, collections, [GraphKeys.SUMMARIES])
    return value


def merge_summary(inputs, collections=None, name=None):
    """The TF 0.x ``tf.merge_summary(inputs)``."""
    with graph_lib.name_scope(name, "MergeSummary", inputs):
        value = raw_op("MergeSummary", inputs=list(inputs), name=name)
        _collect(value, collections, [])
    return value


def merge_all_summaries(key=GraphKeys.SUMMARIES):
    """The TF 0.x ``tf.merge_all_summaries()``."""
    summaries = graph_lib.get_collection(key)
    return merge_summary(summaries) if summaries else None


# -- writing ---------------------------------------------------------------------------------------


class FileWriter:
    """``tf.summary.FileWriter``: writes Summaries, graphs and meta graphs to an event file in ``logdir``.

    Events are written as they are added (flushed on ``flush``/``close``); TensorBoard reads the file.
    """

    def __init__(
        self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None, filename_suffix=None, session=None
    ):
        self._logdir = str(logdir)
        self._session_run_tags: dict = {}
        self._writer = EventFileWriter(self._logdir, filename_suffix or "")
        if graph is not None or graph_def is not None:
            self.add_graph(graph=graph, graph_def=graph_def)
            # TF's FileWriter also exports the meta graph when given a graph at construction.
            as_def = graph.as_graph_def(add_shapes=True) if isinstance(graph, graph_lib.Graph) else graph
            self.add_meta_graph(create_meta_graph_def(graph_def=graph_def or as_def))

    def get_logdir(self) -> str:
        return self._logdir

    def add_event(self, event) -> None:
        self._writer.add_event(event)

    def _add(self, global_step, **fields):
        event = Event(wall_time=time.time(), **fields)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_summary(self, summary, global_step=None) -> None:
        """Adds a Summary proto or its serialized bytes (what a summary op returns)."""
        if isinstance(summary, bytes):
            parsed = Summary()
            parsed.ParseFromString(summary)
            summary = parsed
        elif not isinstance(summary, Summary):
            parsed = Summary()
            parsed.ParseFromString(summary.SerializeToString())
            summary = parsed
        self._add(global_step, summary=summary)

    def add_session_log(self, session_log, global_step=None) -> None:
        self._add(global_step, session_log=session_log)

    def add_run_metadata(self, run_metadata, tag, global_step=None) -> None:
        """Adds a RunMetadata (``Session.run``'s, e.g. with FULL_TRACE step stats) under ``tag``.

        TensorBoard's graph view shows it as a "session run" with per-node compute time and memory.

        Raises:
          ValueError: if ``tag`` was already used for run metadata by this writer.
        """
        if tag in self._session_run_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._session_run_tags[tag] = True
        tagged = TaggedRunMetadata(tag=tag, run_metadata=run_metadata.SerializeToString())
        self._add(global_step, tagged_run_metadata=tagged)

    def add_graph(self, graph=None, global_step=None, graph_def=None) -> None:
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if graph is not None:
            graph_def = graph.as_graph_def(add_shapes=True)
        if graph_def is None:
            raise TypeError("add_graph() needs a graph or a graph_def")
        self._add(global_step, graph_def=graph_def.SerializeToString(deterministic=True))

    def add_meta_graph(self, meta_graph_def, global_step=None) -> None:
        self._add(global_step, meta_graph_def=meta_graph_def.SerializeToString(deterministic=True))

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def reopen(self) -> None:
        if self._writer.closed:
            self._writer = EventFileWriter(self._logdir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class FileWriterCache:
    """``tf.summary.FileWriterCache``: one FileWriter per log directory, shared by hooks and programs."""

    _cache: dict = {}
    _lock = threading.RLock()

    @staticmethod
    def clear() -> None:
        """Closes and forgets every cached writer."""
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}

    @staticmethod
    def get(logdir) -> FileWriter:
        """The FileWriter for ``logdir`` (created, with the default graph, on first use)."""
        with FileWriterCache._lock:
            if logdir not in FileWriterCache._cache:
                FileWriterCache._cache[logdir] = FileWriter(logdir, graph=graph_lib.get_default_graph())
            return FileWriterCache._cache[logdir]
