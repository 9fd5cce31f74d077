"""``tf.io.gfile``: TensorFlow's file API (``lib/io/file_io``) on the local file system.

Same functions, arguments and results as TensorFlow's, and the same errors: an ``OSError`` becomes the
``torchmeta.errors`` class TensorFlow maps its errno to, worded ``<path>; <strerror>`` as TensorFlow's
are. Only local paths are supported (no ``gs://``/``s3://``/``hdfs://`` schemes). ``tf.gfile`` (TF1's
``Exists``, ``MakeDirs``, ...) is :mod:`torchmeta.gfile`, over these functions.
"""

from __future__ import annotations

import errno
import glob as _glob
import os
import shutil
import uuid

from torchmeta import errors

__all__ = [
    "GFile",
    "copy",
    "exists",
    "get_registered_schemes",
    "glob",
    "isdir",
    "join",
    "listdir",
    "makedirs",
    "mkdir",
    "remove",
    "rename",
    "rmtree",
    "stat",
    "walk",
    "FileStatistics",
]

# TensorFlow's ErrnoToCode (tensorflow/core/platform/errors.cc) for the errnos file operations raise.
_ERRNO_TO_ERROR = {
    errno.ENOENT: errors.NotFoundError,
    errno.ENXIO: errors.NotFoundError,
    errno.ENODEV: errors.NotFoundError,
    errno.EEXIST: errors.AlreadyExistsError,
    errno.EACCES: errors.PermissionDeniedError,
    errno.EPERM: errors.PermissionDeniedError,
    errno.EROFS: errors.PermissionDeniedError,
    errno.EISDIR: errors.FailedPreconditionError,
    errno.ENOTDIR: errors.FailedPreconditionError,
    errno.ENOTEMPTY: errors.FailedPreconditionError,
    errno.EBUSY: errors.UnavailableError,
    errno.EINVAL: errors.InvalidArgumentError,
    errno.ENAMETOOLONG: errors.InvalidArgumentError,
    errno.ENOSPC: errors.ResourceExhaustedError,
    errno.EFBIG: errors.OutOfRangeError,
    errno.ENOSYS: errors.UnimplementedError,
}


def _error(path, err: OSError):
    """The torchmeta error for ``err`` on ``path``, as ``<path>; <strerror>``."""
    cls = _ERRNO_TO_ERROR.get(err.errno, errors.UnknownError)
    return cls(None, None, f"{os.fsdecode(path)}; {err.strerror or os.strerror(err.errno or 0)}")


def _path(p) -> str:
    if isinstance(p, os.PathLike):
        p = os.fspath(p)
    if isinstance(p, bytes):
        p = p.decode()
    return p


# ---------------------------------------------------------------------------------------------
# GFile


_MODES = ("r", "w", "a", "r+", "w+", "a+")


class GFile:
    """A file (TensorFlow's ``FileIO``): opened on first use, ``str`` in text modes, ``bytes`` with ``b``.

    Args:
      name: the path.
      mode: ``r``, ``w``, ``a``, ``r+``, ``w+``, ``a+``, each optionally with ``b``.

    Raises:
      InvalidArgumentError: for another mode.
      NotFoundError / FailedPreconditionError / PermissionDeniedError: when the file is first used.
    """

    def __init__(self, name, mode="r"):
        self.__name = _path(name)
        self.__mode = mode
        self._read_buf = None
        self._writable_file = None
        self._binary_mode = "b" in mode
        mode = mode.replace("b", "")
        if mode not in _MODES:
            raise errors.InvalidArgumentError(None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._read_check_passed = mode in ("r", "r+", "a+", "w+")
        self._write_check_passed = mode in ("a", "w", "r+", "a+", "w+")
        self._plain_mode = mode

    @property
    def name(self) -> str:
        return self.__name

    @property
    def mode(self) -> str:
        return self.__mode

    def _open(self):
        if self._read_buf is not None or self._writable_file is not None:
            return
        mode = {"r": "rb", "r+": "r+b", "w": "wb", "w+": "w+b", "a": "ab", "a+": "a+b"}[self._plain_mode]
        try:
            f = open(self.__name, mode)  # noqa: SIM115 - kept open for the GFile's lifetime
        except OSError as e:
            raise _error(self.__name, e) from None
        if self._read_check_passed:
            self._read_buf = f
        if self._write_check_passed:
            self._writable_file = f

    def _preread_check(self):
        if not self._read_check_passed:
            raise errors.PermissionDeniedError(None, None, "File isn't open for reading")
        self._open()

    def _prewrite_check(self):
        if not self._write_check_passed:
            raise errors.PermissionDeniedError(None, None, "File isn't open for writing")
        self._open()

    def _prepare_value(self, val):
        if self._binary_mode:
            return val if isinstance(val, bytes) else str(val).encode()
        return val.decode() if isinstance(val, bytes) else val

    def _file(self):
        return self._read_buf if self._read_buf is not None else self._writable_file

    def size(self) -> int:
        """The file's size in bytes."""
        return stat(self.__name).length

    def write(self, file_content) -> None:
        """Writes ``file_content`` (str or bytes) at the current position."""
        self._prewrite_check()
        if isinstance(file_content, str):
            file_content = file_content.encode()
        try:
            self._writable_file.write(file_content)
        except OSError as e:
            raise _error(self.__name, e) from None

    def read(self, n=-1):
        """Up to ``n`` bytes (all when ``n`` is -1), as ``str`` in text mode."""
        self._preread_check()
        try:
            data = self._read_buf.read() if n == -1 else self._read_buf.read(n)
        except OSError as e:
            raise _error(self.__name, e) from None
        return self._prepare_value(data)

    def seek(self, offset=None, whence=0, position=None) -> None:
        """Moves to ``offset`` (``whence`` 0, 1 or 2, as Python's ``seek``)."""
        self._preread_check() if self._read_check_passed else self._prewrite_check()
        if position is not None:
            offset = position
        if offset is None:
            raise TypeError("seek(): offset argument required")
        if whence not in (0, 1, 2):
            raise errors.InvalidArgumentError(
                None, None, f"Invalid whence argument: {whence}. Valid values are 0, 1, or 2."
            )
        f = self._file()
        f.flush()
        f.seek(offset, whence)

    def readline(self):
        """The next line, with its newline."""
        self._preread_check()
        return self._prepare_value(self._read_buf.readline())

    def readlines(self):
        """All remaining lines."""
        self._preread_check()
        lines = []
        while True:
            s = self.readline()
            if not s:
                break
            lines.append(s)
        return lines

    def tell(self) -> int:
        """The current position in bytes."""
        if self._read_check_passed:
            self._preread_check()
        else:
            self._prewrite_check()
        return self._file().tell()

    def __enter__(self):
        return self

    def __exit__(self, unused_type, unused_value, unused_traceback):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        retval = self.readline()
        if not retval:
            raise StopIteration()
        return retval

    next = __next__

    def flush(self) -> None:
        """Writes buffered data to the file."""
        if self._writable_file is not None:
            self._writable_file.flush()

    def close(self) -> None:
        """Flushes and closes the file."""
        f = self._file()
        self._read_buf = None
        self._writable_file = None
        if f is not None:
            f.close()

    def seekable(self) -> bool:
        return True


# ---------------------------------------------------------------------------------------------
# Functions


class FileStatistics:
    """What ``stat`` returns: ``length`` (bytes), ``mtime_nsec`` (whole seconds, as TF's), ``is_directory``."""

    __slots__ = ("is_directory", "length", "mtime_nsec")

    def __init__(self, length=0, mtime_nsec=0, is_directory=False):
        self.length = length
        self.mtime_nsec = mtime_nsec
        self.is_directory = is_directory

    def __repr__(self):
        return f"FileStatistics(length={self.length}, mtime_nsec={self.mtime_nsec}, is_directory={self.is_directory})"


def exists(path) -> bool:
    """Whether ``path`` exists (a file or a directory)."""
    return os.path.exists(_path(path))


def remove(path) -> None:
    """Deletes the file ``path`` (NotFoundError if missing, FailedPreconditionError for a directory)."""
    path = _path(path)
    try:
        if os.path.isdir(path):
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
        os.remove(path)
    except OSError as e:
        raise _error(path, e) from None


def mkdir(path) -> None:
    """Creates the directory ``path``; its parent must exist (an existing directory is fine, as in TF)."""
    path = _path(path)
    try:
        os.mkdir(path)
    except FileExistsError:
        if not os.path.isdir(path):
            raise _error(path, OSError(errno.EEXIST, os.strerror(errno.EEXIST))) from None
    except OSError as e:
        raise _error(path, e) from None


def makedirs(path) -> None:
    """Creates ``path`` and its missing parents (FailedPreconditionError when a file is in the way)."""
    path = _path(path)
    if not path:
        return
    try:
        os.makedirs(path, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        in_the_way = path  # TF's RecursivelyCreateDir names the file where a directory was to be
        while in_the_way and not os.path.lexists(in_the_way):
            in_the_way = os.path.dirname(in_the_way)
        raise errors.FailedPreconditionError(None, None, f"{in_the_way or path} is not a directory") from None
    except OSError as e:
        raise _error(path, e) from None


def copy(src, dst, overwrite=False) -> None:
    """Copies the file ``src`` to ``dst`` (AlreadyExistsError when ``dst`` exists and not ``overwrite``)."""
    src, dst = _path(src), _path(dst)
    if not overwrite and os.path.exists(dst):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    if not os.path.exists(src):
        raise _error(src, OSError(errno.ENOENT, os.strerror(errno.ENOENT)))
    if os.path.isdir(src):
        # TensorFlow creates the destination, then fails reading a directory (EINVAL, naming the destination).
        with open(dst, "wb"):
            pass
        raise _error(dst, OSError(errno.EINVAL, os.strerror(errno.EINVAL)))
    # Through a temporary file in the destination's directory, so ``dst`` appears complete or not at all.
    tmp = os.path.join(os.path.dirname(dst) or ".", f".{os.path.basename(dst)}.tmp{uuid.uuid4().hex}")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise _error(dst if e.filename in (tmp, dst) else src, e) from None


def rename(src, dst, overwrite=False) -> None:
    """Renames (moves) ``src`` to ``dst`` (AlreadyExistsError when ``dst`` exists and not ``overwrite``)."""
    src, dst = _path(src), _path(dst)
    if not overwrite and os.path.exists(dst):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    try:
        os.rename(src, dst)
    except OSError as e:
        raise _error(src, e) from None


def rmtree(path) -> None:
    """Deletes ``path`` and everything under it (a file is simply deleted)."""
    path = _path(path)
    if not os.path.exists(path):
        raise errors.NotFoundError(None, None, f"{path} not found")
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    except OSError as e:
        raise _error(e.filename or path, e) from None


def isdir(path) -> bool:
    """Whether ``path`` is a directory."""
    return os.path.isdir(_path(path))


def listdir(path) -> list:
    """The names of the entries in the directory ``path`` (not sorted, as TF's)."""
    path = _path(path)
    if not os.path.isdir(path):
        raise errors.NotFoundError(None, None, f"Could not find directory {path}")
    try:
        return os.listdir(path)
    except OSError as e:
        raise _error(path, e) from None


def glob(pattern) -> list:
    """The paths matching ``pattern`` (or any of a list of patterns)."""
    patterns = [pattern] if isinstance(pattern, (str, bytes, os.PathLike)) else list(pattern)
    out = []
    for p in patterns:
        out.extend(_glob.glob(_path(p)))
    return out


def stat(path) -> FileStatistics:
    """``FileStatistics`` of ``path`` (NotFoundError if it does not exist)."""
    path = _path(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise _error(path, e) from None
    import stat as _stat

    is_dir = _stat.S_ISDIR(st.st_mode)
    return FileStatistics(length=0 if is_dir else st.st_size, mtime_nsec=int(st.st_mtime) * 10**9, is_directory=is_dir)


def walk(top, topdown=True, onerror=None):
    """Yields ``(dirname, subdirectory names, file names)`` for ``top`` and every directory below it."""
    top = _path(top)
    try:
        listing = listdir(top)
    except errors.NotFoundError as err:
        if onerror:
            onerror(err)
        return
    files, subdirs = [], []
    for item in listing:
        (subdirs if isdir(os.path.join(top, item)) else files).append(item)
    here = (top, subdirs, files)
    if topdown:
        yield here
    for subdir in subdirs:
        yield from walk(os.path.join(top, subdir), topdown, onerror=onerror)
    if not topdown:
        yield here


def join(path, *paths) -> str:
    """``os.path.join`` (TensorFlow's join for local paths)."""
    return os.path.join(_path(path), *[_path(p) for p in paths])


def get_registered_schemes() -> list:
    """The URL schemes besides local paths: none."""
    return []
