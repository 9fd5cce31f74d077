"""What the converter front ends share: exit codes, one-line error messages and a stderr progress bar."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from torchmeta import errors

EXIT_OK = 0
EXIT_BAD_INPUT = 1  # missing, corrupt or unusable checkpoint
EXIT_USAGE = 2  # argparse's code for bad command lines


def run(parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace], int | None], argv) -> int:
    """Parses ``argv`` and runs ``body``; turns failures into an exit code and one line on stderr."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, message already printed)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        return body(args) or EXIT_OK
    except (errors.TorchMetaError, OSError, ValueError, TypeError) as e:
        message = " ".join(str(e).split())  # one line
        source = getattr(args, "src", None) or getattr(args, "prefix", None)
        if isinstance(e, errors.NotFoundError) and message.startswith("Key ") and source:
            message += f" {source}"  # "Key x not found in checkpoint <src>"
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def make_parent_dirs(path: str):
    """Creates the directories an output file goes into (the library leaves that to its callers)."""
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)


def add_progress_flags(parser: argparse.ArgumentParser):
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="always show a progress bar"
    )
    group.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover - the loop returns first


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
        self.enabled = enabled if enabled is not None else _isatty(self.stream)
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


def _isatty(stream) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False
