"""tf.io.gfile and tf.gfile against TensorFlow's: the same scenario in two directories, the same outcomes.

Every step records its result or its error (class name and message, with the directory replaced by
``<dir>``); listings are sorted (both list in the file system's order).
"""

from __future__ import annotations

import os

import torchmeta as tm


def _outcome(fn):
    try:
        value = fn()
    except Exception as e:
        return (type(e).__name__, str(e))
    if isinstance(value, list):
        value = sorted(value, key=repr)
    return ("ok", value)


def _stat(s):
    return (s.length, s.is_directory, s.mtime_nsec % 10**9 == 0)


def _scenario(g, d):
    """``g`` is tf.io.gfile; ``d`` an empty directory."""
    p = os.path.join(d, "x")
    steps = []

    def step(fn):
        steps.append(_outcome(fn))

    def read(path, mode="r", n=-1):
        with g.GFile(path, mode) as f:
            return f.read(n)

    def write(path, content, mode="w"):
        with g.GFile(path, mode) as f:
            f.write(content)

    # missing things
    step(lambda: read(p))
    step(lambda: g.remove(p))
    step(lambda: g.rename(p, p + "2"))
    step(lambda: g.listdir(p))
    step(lambda: g.stat(p))
    step(lambda: g.copy(p, p + "2"))
    step(lambda: g.rmtree(p))
    step(lambda: g.mkdir(os.path.join(d, "a", "b")))
    step(lambda: (g.exists(p), g.isdir(p)))
    # directories
    step(lambda: g.makedirs(os.path.join(d, "a", "b")))
    step(lambda: g.makedirs(os.path.join(d, "a", "b")))
    step(lambda: g.mkdir(os.path.join(d, "a", "b")))
    step(lambda: g.mkdir(os.path.join(d, "a", "c")))
    step(lambda: (g.isdir(os.path.join(d, "a")), g.exists(os.path.join(d, "a", "b"))))
    # files
    step(lambda: write(p, "hello\nworld\n"))
    step(lambda: read(p))
    step(lambda: read(p, "rb"))
    step(lambda: read(p, "r", 3))
    step(lambda: write(p, b"\xc3\xa9!", "a"))
    step(lambda: read(p))
    step(lambda: _stat(g.stat(p)))
    step(lambda: g.stat(d).is_directory)
    step(lambda: g.GFile(p).size())

    def lines():
        with g.GFile(p) as f:
            first = f.readline()
            pos = f.tell()
            rest = f.readlines()
        with g.GFile(p) as f:
            f.seek(2)
            middle = f.read(4)
            f.seek(offset=1)
            again = f.readline()
        with g.GFile(p) as f:
            each = list(f)
        return first, pos, rest, middle, again, each

    step(lines)

    def write_then_read():
        with g.GFile(p + "w", "w+") as f:
            f.write("zz")
            f.flush()
            f.seek(0)
            return f.read()

    step(write_then_read)

    def lazily_created():
        f = g.GFile(p + "lazy", "w")
        before = g.exists(p + "lazy")
        f.close()
        return before, g.exists(p + "lazy")

    step(lazily_created)
    step(lambda: g.GFile(p, "x"))
    step(lambda: g.GFile(p, "r").write("a"))
    step(lambda: g.GFile(p, "w").read())
    step(lambda: read(d))
    step(lambda: write(os.path.join(d, "a"), "x"))
    step(lambda: write(os.path.join(d, "nope", "zz"), "x"))
    # copy / rename
    step(lambda: g.copy(p, p + "2"))
    step(lambda: g.copy(p, p + "2"))
    step(lambda: g.copy(p, p + "2", overwrite=True))
    step(lambda: read(p + "2"))
    step(lambda: g.copy(os.path.join(d, "a"), p + "3"))
    step(lambda: g.rename(p, p + "2"))
    step(lambda: g.rename(p + "2", p + "3"))
    step(lambda: g.rename(p + "3", p, overwrite=True))
    step(lambda: g.rename(os.path.join(d, "a"), p, overwrite=True))
    step(lambda: g.makedirs(p))
    step(lambda: g.remove(d))
    # listings
    step(lambda: g.listdir(d))
    step(lambda: g.glob(os.path.join(d, "*")))
    step(lambda: g.glob(os.path.join(d, "a", "?")))
    step(lambda: g.glob([p, os.path.join(d, "a")]))
    step(lambda: g.glob(os.path.join(d, "nothere", "*")))
    step(lambda: [(top, sorted(dirs), sorted(files)) for top, dirs, files in g.walk(d)])
    step(lambda: [(top, sorted(dirs), sorted(files)) for top, dirs, files in g.walk(d, topdown=False)])
    step(lambda: list(g.walk(os.path.join(d, "zz"))))
    step(lambda: g.join(d, "a", "b"))
    # deleting
    step(lambda: g.rmtree(p + "lazy"))
    step(lambda: g.rmtree(os.path.join(d, "a")))
    step(lambda: g.listdir(d))
    return steps


def _normalized(value, d):
    if isinstance(value, str):
        return value.replace(d, "<dir>")
    if isinstance(value, (list, tuple)):
        return type(value)(_normalized(v, d) for v in value)
    return value


def test_io_gfile_matches_tensorflow(tf1, tmp_path):
    import tensorflow as tf

    (tmp_path / "tf").mkdir()
    (tmp_path / "tm").mkdir()
    theirs = _normalized(_scenario(tf.io.gfile, str(tmp_path / "tf")), str(tmp_path / "tf"))
    ours = _normalized(_scenario(tm.io.gfile, str(tmp_path / "tm")), str(tmp_path / "tm"))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"step {i}"
    assert len(ours) == len(theirs)


def _v1_scenario(g, d):
    p = os.path.join(d, "f.txt")
    out = [_outcome(lambda: g.MakeDirs(os.path.join(d, "m", "n")))]
    out.append(_outcome(lambda: g.MkDir(os.path.join(d, "k"))))
    with g.Open(p, "w") as f:
        f.write("one")
    with g.FastGFile(p, "r") as f:
        out.append(f.read())
    out.append(_outcome(lambda: g.Copy(p, p + ".bak")))
    out.append(_outcome(lambda: g.Rename(p + ".bak", p, overwrite=True)))
    out.append(_outcome(lambda: g.Remove(p + ".none")))
    out.append((g.Exists(p), g.IsDirectory(d), sorted(g.ListDirectory(d)), sorted(g.Glob(os.path.join(d, "*")))))
    out.append(g.Stat(p).length)
    out.append([(t, sorted(ds), sorted(fs)) for t, ds, fs in g.Walk(d, in_order=False)])
    out.append(_outcome(lambda: g.DeleteRecursively(os.path.join(d, "m"))))
    out.append(sorted(g.ListDirectory(d)))
    return out


def test_tf1_gfile_names_match_tensorflow(tf1, tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "tm").mkdir()
    theirs = _normalized(_v1_scenario(tf1.gfile, str(tmp_path / "tf")), str(tmp_path / "tf"))
    ours = _normalized(_v1_scenario(tm.gfile, str(tmp_path / "tm")), str(tmp_path / "tm"))
    assert ours == theirs
    assert sorted(n for n in dir(tf1.gfile) if not n.startswith("_")) == sorted(tm.gfile.__all__)


def test_errors_are_torchmeta_errors(tmp_path):
    import pytest

    with pytest.raises(tm.errors.NotFoundError, match="No such file or directory"):
        tm.io.gfile.GFile(str(tmp_path / "missing")).read()
    with pytest.raises(tm.errors.AlreadyExistsError):
        (tmp_path / "a").write_text("1")
        (tmp_path / "b").write_text("2")
        tm.gfile.Rename(str(tmp_path / "a"), str(tmp_path / "b"))
