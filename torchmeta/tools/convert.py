"""Checkpoint conversion and inspection behind ``torchmeta convert`` / ``torchmeta show`` (and the old
``torchmeta-tf2safetensors`` / ``torchmeta-safetensors2tf`` / ``torchmeta-inspect`` aliases).

TF V2 checkpoint -> safetensors checks every tensor's crc32c on the way and keeps TF dtypes, partitioned
variables (stored whole, their slices recorded) and string tensors, so safetensors -> TF gives a Saver
checkpoint back byte for byte. A progress display goes to stderr on a terminal: tqdm's bar when tqdm is
installed (the optional ``progress`` extra), otherwise a one-line bar of its own.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from torchmeta.dtypes import DType
from torchmeta.io import (
    BundleWriter,
    CheckpointReader,
    SafetensorsReader,
    checkpoint_prefix,
    index_filename,
    save_safetensors,
)

try:  # optional: `pip install torchmeta[progress]`
    import tqdm as _tqdm
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None

__all__ = [
    "HAVE_TQDM",
    "ProgressBar",
    "describe_checkpoint",
    "format_bytes",
    "format_tensor_values",
    "progress_bar",
    "safetensors_to_tf",
    "tf_to_safetensors",
]

HAVE_TQDM = _tqdm is not None


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover - the loop returns first


def is_terminal(stream) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """A one-line bar on stderr, shown when stderr is a terminal (or when forced), redrawn at most 10x/s.

    Args:
      total: the amount of work (bytes).
      label: shown before the bar.
      enabled: True/False to force, None to show only on a terminal.
    """

    WIDTH = 30

    def __init__(self, total: int, label: str, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled if enabled is not None else is_terminal(self.stream)
        self.total = max(int(total), 0)
        self.label = label
        self.done = 0
        self._last = 0.0
        self._start = time.monotonic()

    def update(self, amount: int):
        self.done += amount
        if self.enabled and time.monotonic() - self._last >= 0.1:
            self._draw()

    def close(self):
        if self.enabled:
            self._draw()
            elapsed = time.monotonic() - self._start
            self.stream.write(f" in {elapsed:.1f} s\n")
            self.stream.flush()

    def _draw(self):
        self._last = time.monotonic()
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {fraction:4.0%} {format_bytes(self.done)}/{format_bytes(self.total)}"
        )
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        elif self.enabled:
            self.stream.write("\n")


class _TqdmBar:
    """tqdm's bar behind ProgressBar's interface (update in bytes; a newline left on errors)."""

    def __init__(self, total: int, label: str, enabled: bool, stream):
        self._bar = _tqdm.tqdm(
            total=max(int(total), 0),
            desc=label,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            file=stream,
            disable=not enabled,
            leave=True,
            dynamic_ncols=True,
        )

    def update(self, amount: int):
        self._bar.update(amount)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self._bar.close()


def progress_bar(total: int, label: str, enabled: bool | None = None, stream=None, use_tqdm: bool | None = None):
    """A progress display for ``total`` bytes of work: tqdm's when tqdm is installed (``use_tqdm=None``), else
    :class:`ProgressBar`. ``enabled=None`` shows it only when ``stream`` (default stderr) is a terminal."""
    stream = stream or sys.stderr
    enabled = enabled if enabled is not None else is_terminal(stream)
    if (HAVE_TQDM if use_tqdm is None else use_tqdm) and HAVE_TQDM:
        return _TqdmBar(total, label, enabled, stream)
    return ProgressBar(total, label, enabled, stream)


def tf_to_safetensors(
    src: str, dst: str, *, metadata: dict[str, str] | None = None, progress: bool | None = None
) -> str:
    """Converts the V2 checkpoint at ``src`` (prefix or one of its files) to ``<dst>.safetensors``; returns the
    file written."""
    with CheckpointReader(checkpoint_prefix(src)) as reader:
        names = reader.keys()
        tensors = {}
        dtypes = {}
        with progress_bar(sum(reader.nbytes(n) for n in names), "reading", progress) as bar:
            for name in names:
                dtype = reader.get_dtype(name)
                slices = reader.get_tensor_slices(name)
                if slices:
                    shape = reader.get_shape(name)
                    tensors[name] = [(reader.get_slice(name, s), s.to_spec(shape)) for s in slices]
                elif dtype is DType.string or dtype.torch is None:
                    tensors[name] = reader.get_tensor(name)
                else:
                    tensors[name] = reader.get_tensor_torch(name)  # memory-mapped, crc-checked
                dtypes[name] = dtype
                bar.update(reader.nbytes(name))
        return save_safetensors(dst, tensors, metadata, dtypes=dtypes)


def safetensors_to_tf(src: str, dst: str, *, progress: bool | None = None) -> list[str]:
    """Converts the safetensors checkpoint ``src`` to a V2 checkpoint at prefix ``dst``; returns its files.

    TF dtypes come from torchmeta's metadata (or the safetensors dtype codes for other files); partitioned
    variables are written back as their original slices, in name order as TensorFlow's Saver writes them.
    """
    with SafetensorsReader(src) as reader:
        names = reader.keys()
        with (
            progress_bar(sum(reader.nbytes(n) for n in names), "converting", progress) as bar,
            BundleWriter(dst) as writer,
        ):
            for name in names:
                dtype = reader.get_dtype(name)
                slices = reader.get_tensor_slices(name)
                if slices:
                    shape = reader.get_shape(name)
                    for s in slices:
                        writer.add_slice(name, shape, s, reader.get_slice(name, s), dtype=dtype)
                elif dtype is DType.string or dtype.torch is None:
                    writer.add(name, reader.get_tensor(name), dtype=dtype)
                else:
                    writer.add(name, reader.get_tensor_torch(name), dtype=dtype)  # memory-mapped, streamed
                bar.update(reader.nbytes(name))
    return [index_filename(dst), f"{dst}.data-00000-of-00001"]


def describe_checkpoint(reader) -> list[tuple[str, str, str, int]]:
    """``(name, dtype, shape, bytes)`` for every tensor of an open checkpoint reader."""
    rows = []
    for name in reader:
        shape = reader.get_shape(name)
        rows.append((name, reader.get_dtype(name).name, "[" + ", ".join(map(str, shape)) + "]", reader.nbytes(name)))
    return rows


def checkpoint_listing(reader) -> list[str]:
    """The table ``torchmeta show CHECKPOINT`` prints: one row per tensor, then the totals."""
    rows = describe_checkpoint(reader)
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(("name", "dtype", "shape"))]
    lines = [f"{'name':<{widths[0]}}  {'dtype':<{widths[1]}}  {'shape':<{widths[2]}}  bytes"]
    for name, dtype, shape, nbytes in rows:
        lines.append(f"{name:<{widths[0]}}  {dtype:<{widths[1]}}  {shape:<{widths[2]}}  {nbytes}")
    total = sum(r[3] for r in rows)
    kind = (
        f"TensorFlow V2 checkpoint, {reader.num_shards} shard(s)"
        if isinstance(reader, CheckpointReader)
        else "safetensors checkpoint"
    )
    lines.append(f"# {len(rows)} tensors, {total} bytes ({format_bytes(total)}); {kind}")
    return lines


def format_tensor_values(reader, name: str, summarize: int) -> str:
    """``tensor_name:  NAME`` and the values (at most about ``summarize`` of them; -1: all), as TF's
    inspect_checkpoint prints them. Reading the tensor checks its crc."""
    value = reader.get_tensor(name)
    if summarize < 0:
        options = {"threshold": sys.maxsize}
    else:
        options = {"threshold": summarize, "edgeitems": max(1, min(3, summarize // 2))}
    with np.printoptions(**options):
        return f"tensor_name:  {name}\n{value}"
