"""Atomic file writes: write a temporary file next to the target, then rename it into place.

A reader never sees a half-written file: it sees the old file or the new one. Temporary names follow
TensorFlow's ``<path>.tempstate<random>``, so tools that clean TensorFlow's leftovers clean ours too.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets

__all__ = ["AtomicFile", "atomic_write", "atomic_write_bytes", "atomic_write_text", "replace_together", "temp_path"]


def temp_path(path: str | os.PathLike) -> str:
    """A fresh temporary name in the same directory as ``path`` (so the final rename stays atomic)."""
    return f"{os.fspath(path)}.tempstate{secrets.randbits(64)}"


class AtomicFile:
    """A binary file written under a temporary name and renamed to ``path`` by :meth:`commit`.

    Use it when the file outlives a ``with`` block (a writer object); otherwise :func:`atomic_write`.

    Args:
      path: the final file name.
      buffering: passed to ``open``.
      fsync: flush the data to disk before the rename (slower, survives power loss).
    """

    def __init__(self, path: str | os.PathLike, *, buffering: int = -1, fsync: bool = False):
        self.path = os.fspath(path)
        self.temp_path = temp_path(self.path)
        self._fsync = fsync
        self.file = open(self.temp_path, "xb", buffering=buffering)  # noqa: SIM115 - closed by commit/discard

    def close(self) -> None:
        """Flushes (and with ``fsync`` syncs) and closes the temporary file, ready to be renamed into place."""
        if self.file.closed:
            return
        try:
            self.file.flush()
            if self._fsync:
                os.fsync(self.file.fileno())
        finally:
            self.file.close()

    def commit(self) -> str:
        """Closes the file and renames it to ``path`` (replacing any old file); returns ``path``."""
        try:
            self.close()
            os.replace(self.temp_path, self.path)
        except BaseException:
            self.discard()
            raise
        return self.path

    def discard(self):
        """Closes and deletes the temporary file; ``path`` is left untouched."""
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp_path)

    @property
    def closed(self) -> bool:
        return self.file.closed


def replace_together(moves) -> None:
    """Renames each ``(source, target)`` in order, as one step: if any file operation fails, the targets
    already replaced get their old contents back and the remaining sources are deleted.

    The old targets are kept as hard links (``<target>.tempstate<random>``) until every rename succeeded, so
    a checkpoint made of several files (TensorFlow's ``.data-*`` + ``.index``) is never left half new, half
    old by a failed save: the previous checkpoint stays restorable whatever step fails.
    """
    moves = [(os.fspath(a), os.fspath(b)) for a, b in moves]
    done: list[tuple[str, str | None]] = []
    backups: list[str] = []
    try:
        for source, target in moves:
            backup = None
            if os.path.lexists(target):
                backup = temp_path(target)
                os.link(target, backup)
                backups.append(backup)
            os.replace(source, target)
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
        for source, _ in moves[len(done) :]:
            with contextlib.suppress(OSError):
                os.unlink(source)
        for backup in backups:
            with contextlib.suppress(OSError):
                os.unlink(backup)
        raise
    for backup in backups:
        with contextlib.suppress(OSError):
            os.unlink(backup)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, fsync: bool = False, encoding: str | None = None):
    """Context manager yielding a file whose contents replace ``path`` only if the block succeeds.

    Example:
      >>> with atomic_write("/tmp/checkpoint", "w") as f:  # doctest: +SKIP
      ...     f.write('model_checkpoint_path: "model-3"\\n')
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write supports modes 'wb' and 'w', not {mode!r}")
    target = AtomicFile(path, fsync=fsync)
    try:
        if mode == "w":
            text = io.TextIOWrapper(target.file, encoding=encoding or "utf-8", newline="")
            yield text
            text.flush()
            text.detach()
        else:
            yield target.file
    except BaseException:
        target.discard()
        raise
    target.commit()


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = False) -> None:
    """Replaces ``path`` with ``data`` atomically."""
    with atomic_write(path, "wb", fsync=fsync) as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike, text: str, *, fsync: bool = False, encoding: str = "utf-8") -> None:
    """Replaces ``path`` with ``text`` atomically."""
    atomic_write_bytes(path, text.encode(encoding), fsync=fsync)
