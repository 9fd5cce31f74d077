"""``tf.gfile``: TF1's file API names over :mod:`torchmeta.io.gfile` (``tf.io.gfile``)."""

from __future__ import annotations

from torchmeta.io import gfile as _gfile

__all__ = [
    "Copy",
    "DeleteRecursively",
    "Exists",
    "FastGFile",
    "GFile",
    "Glob",
    "IsDirectory",
    "ListDirectory",
    "MakeDirs",
    "MkDir",
    "Open",
    "Remove",
    "Rename",
    "Stat",
    "Walk",
]

GFile = _gfile.GFile
Open = _gfile.GFile


class FastGFile(_gfile.GFile):
    """A GFile (TF1's deprecated 'fast' variant is the same class without thread locking)."""


def Copy(oldpath, newpath, overwrite=False):
    """Copies a file (``tf.io.gfile.copy``)."""
    _gfile.copy(oldpath, newpath, overwrite)


def DeleteRecursively(dirname):
    """Deletes a directory tree (``tf.io.gfile.rmtree``)."""
    _gfile.rmtree(dirname)


def Exists(filename):
    """Whether the path exists (``tf.io.gfile.exists``)."""
    return _gfile.exists(filename)


def Glob(filename):
    """Paths matching a pattern (``tf.io.gfile.glob``)."""
    return _gfile.glob(filename)


def IsDirectory(dirname):
    """Whether the path is a directory (``tf.io.gfile.isdir``)."""
    return _gfile.isdir(dirname)


def ListDirectory(dirname):
    """Entries of a directory (``tf.io.gfile.listdir``)."""
    return _gfile.listdir(dirname)


def MakeDirs(dirname):
    """Creates a directory and its parents (``tf.io.gfile.makedirs``)."""
    _gfile.makedirs(dirname)


def MkDir(dirname):
    """Creates a directory (``tf.io.gfile.mkdir``)."""
    _gfile.mkdir(dirname)


def Remove(filename):
    """Deletes a file (``tf.io.gfile.remove``)."""
    _gfile.remove(filename)


def Rename(oldname, newname, overwrite=False):
    """Renames a file or directory (``tf.io.gfile.rename``)."""
    _gfile.rename(oldname, newname, overwrite)


def Stat(filename):
    """File statistics (``tf.io.gfile.stat``)."""
    return _gfile.stat(filename)


def Walk(top, in_order=True):
    """Walks a directory tree, parents first when ``in_order`` (``tf.io.gfile.walk``)."""
    return _gfile.walk(top, topdown=in_order)
