"""Running one scenario with TensorFlow and with torchmeta, and comparing what each did.

A scenario is a function ``scenario(api, directory)`` written against the TF1 API both share
(``api.tf`` is ``tensorflow.compat.v1`` or ``torchmeta``; ``api.Saver`` adds torchmeta's ``format``).
It returns what it observed (values, file names, exceptions via :func:`outcome`); :func:`run_both`
returns both observations with the two directories replaced by ``<dir>``, ready to compare.
"""

from __future__ import annotations

import os
import re

import numpy as np

import torchmeta as tm


class Api:
    """One framework as the scenarios see it."""

    def __init__(self, tf, fmt: str | None = None):
        self.tf = tf
        self.fmt = fmt
        self.is_tm = tf is tm

    def Saver(self, *args, **kwargs):
        if self.is_tm and self.fmt:
            kwargs.setdefault("format", self.fmt)
        return self.tf.train.Saver(*args, **kwargs)

    def Session(self, **kwargs):
        """A Session; TensorFlow's gets two CPU devices, so ``/cpu:1`` placements (sharded savers) run."""
        if not self.is_tm:
            kwargs.setdefault("config", self.tf.ConfigProto(device_count={"CPU": 2}))
        return self.tf.Session(**kwargs)

    @property
    def data_suffixes(self) -> tuple[str, ...]:
        """What a one-shard save writes besides the .meta in this framework's format."""
        if self.is_tm and self.fmt != "tf":
            return (".safetensors",)
        return (".data-00000-of-00001", ".index")


def message(err: BaseException) -> str:
    """The message of an error, without TensorFlow's graph-execution decoration."""
    text = getattr(err, "message", None) or str(err)
    text = re.sub(r"Graph execution error:\n\n(Detected at node .*?\n(    .*\n)*Node: '[^']*'\n)?", "", text)
    # TF's resource-manager detail (its wording depends on what else the container holds)
    text = re.sub(r" Debug info: container=.*? does not exist\.( \(Could not find resource: [^)]*\))?", "", text)
    # shape-inference errors name the node in two styles; the message before that must match
    text = re.sub(r" for '.*with input shapes: .*$", "", text, flags=re.S)
    text = re.sub(r"\n\nOriginal stack trace for .*", "", text, flags=re.S)
    return re.sub(r"\n\t \[\[\{\{node [^}]*\}\}\]\]", "", text)  # the failing node (checked elsewhere)


def outcome(fn, *args, **kwargs):
    """``("ok", result)`` or ``(exception type name, message)``."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as err:
        # torchmeta's InvalidValueError stands where TensorFlow raises ValueError (and is one).
        name = "ValueError" if isinstance(err, tm.errors.InvalidValueError) else type(err).__name__
        return (name, message(err))


def normalize(value, directory: str):
    """``value`` with ``directory`` replaced by ``<dir>`` in every string, numpy arrays as lists."""
    if isinstance(value, str):
        return value.replace(directory, "<dir>")
    if isinstance(value, bytes):
        return value.replace(directory.encode(), b"<dir>")
    if isinstance(value, tuple):
        return tuple(normalize(v, directory) for v in value)
    if isinstance(value, list):
        return [normalize(v, directory) for v in value]
    if isinstance(value, dict):
        return {normalize(k, directory): normalize(v, directory) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.shape, normalize(value.tolist(), directory))
    if isinstance(value, np.generic):
        return ("scalar", str(value.dtype), normalize(value.item(), directory))
    return value


def run_both(tf1, scenario, tmp_path, fmt: str | None = "tf"):
    """``(TensorFlow's observation, torchmeta's observation)`` of ``scenario``, directories normalized."""
    out = []
    for api, sub in ((Api(tf1), "tf"), (Api(tm, fmt), "tm")):
        directory = os.path.join(str(tmp_path), sub)
        os.makedirs(directory, exist_ok=True)
        out.append(normalize(scenario(api, directory), directory))
    return tuple(out)


def files(directory) -> list[str]:
    """The names in ``directory`` (recursively, with ``/``), sorted."""
    out = []
    for root, _, names in os.walk(directory):
        rel = os.path.relpath(root, directory)
        out.extend(name if rel == "." else f"{rel}/{name}" for name in names)
    return sorted(out)


def tf_proto_as_ours(proto, cls):
    """A TensorFlow protobuf message as torchmeta's class of the same message (through its bytes)."""
    return cls.FromString(proto.SerializeToString())


# Colocation is left out (torchmeta's Graph lets a variable's own ``_class`` win over an enclosing
# colocate_with), and so is TF's internal ``_has_manual_control_dependencies`` marker.
IGNORED_ATTRS = ("_class", "_has_manual_control_dependencies")


def graph_structure(g, ignored_attrs=IGNORED_ATTRS):
    """Every node of ``g`` as (name, op type, inputs, control inputs, attrs as serialized bytes)."""
    return [
        (
            op.name,
            op.type,
            [t.name for t in op.inputs],
            sorted(c.name for c in op.control_inputs),
            {
                k: v.SerializeToString(deterministic=True)
                for k, v in sorted(op.node_def.attr.items())
                if k not in ignored_attrs
            },
        )
        for op in g.get_operations()
    ]
