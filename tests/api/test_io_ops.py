"""tf.io.read_file / tf.io.write_file (TF1's tf.read_file / tf.write_file) against TensorFlow: the nodes, the
bytes, the directories created, the shape errors and the kernels' errors."""

from __future__ import annotations

import os

import pytest

import torchmeta as tm
from tests.api import tf_programs as P


def _kernel_line(error, root) -> str:
    """The kernel's own line of a run-time error (TF's message adds the node and the stack around it)."""
    lines = [line for line in str(error.message).splitlines() if str(root) in line or "must be scalar" in line]
    return lines[0].replace(str(root), "ROOT") if lines else str(error.message)


def _failing_op(fw, root, case):
    if case == "missing":
        return fw.read_file(str(root / "missing"))
    if case == "directory":
        return fw.read_file(str(root))
    if case == "write-below-a-file":
        return fw.write_file(str(root / "file" / "f"), "x")
    if case == "mkdir-below-a-file":
        return fw.write_file(str(root / "file" / "sub" / "f"), "x")
    if case == "read-vector":
        return fw.read_file(fw.placeholder_with_default(["a", "b"], None))
    return fw.write_file("f", fw.placeholder_with_default(["a", "b"], None))


def test_write_then_read_file_as_tf(tf1, tmp_path):
    """The same nodes; WriteFile makes the missing directories and ReadFile returns the bytes (any bytes)."""
    data = bytes(range(256)) * 3

    def program(fw, root):
        path = os.path.join(root, "a", "b", "blob.bin")
        write = fw.write_file(path, fw.constant(data))
        name = fw.placeholder(fw.string, [], name="name")
        read = fw.io.read_file(name)
        named = fw.read_file(os.path.join(root, "a", "b", "blob.bin"), name="contents")
        with fw.Session() as sess:
            assert sess.run(write) is None
            return sess.run([read, named], {name: path}), (write, read, named)

    results = []
    for fw in (tf1, tm):
        (tmp_path / "a").exists() and (tmp_path / "a" / "b" / "blob.bin").unlink()
        with fw.Graph().as_default() as g:
            values, (write, read, named) = program(fw, str(tmp_path))
            assert write.type == "WriteFile" and read.shape.as_list() == [] and read.dtype == fw.string
            assert named.op.name == "contents"
            results.append((values, P.nodes(g)))
    assert results[0][0] == results[1][0] == [data, data]
    assert results[1][1] == results[0][1]
    assert tm.io.read_file is tm.read_file and tm.io.write_file is tm.write_file


def test_read_file_with_a_constant_name_is_read_once_per_run_signature_as_tf(tf1, tmp_path):
    """ReadFile is stateless: TF's grappler folds it with its constant file name, so a session keeps returning
    the first contents it read; a placeholder's name reads the file on every run."""
    path = tmp_path / "f.txt"
    out = []
    for fw in (tf1, tm):
        path.write_text("one")
        with fw.Graph().as_default():
            folded = fw.read_file(str(path))
            name = fw.placeholder(fw.string, [])
            fed = fw.read_file(name)
            with fw.Session() as sess:
                first = sess.run([folded, fed], {name: str(path)})
                path.write_text("two!")
                out.append([first, sess.run([folded, fed], {name: str(path)})])
    assert out[0] == out[1] == [[b"one", b"one"], [b"one", b"two!"]]


@pytest.mark.parametrize(
    "case",
    ["missing", "directory", "write-below-a-file", "mkdir-below-a-file", "read-vector", "write-vector"],
)
def test_file_op_errors_as_tf(tf1, tmp_path, case):
    """The kernels' errors: TF's classes and ``<path>; <strerror>`` wording (the file in the way named by
    the directory creation), and the run-time scalar checks for inputs of unknown rank."""
    import tensorflow

    messages = []
    for fw, errs in ((tf1, tensorflow.errors), (tm, tm.errors)):
        root = tmp_path / fw.__name__.split(".")[0]
        root.mkdir()
        (root / "file").write_text("x")
        with fw.Graph().as_default():
            op = _failing_op(fw, root, case)
            with fw.Session() as sess, pytest.raises(errs.OpError) as info:
                sess.run(op)
        messages.append((type(info.value).__name__, _kernel_line(info.value, root)))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("which", ["read", "write-name", "write-contents"])
def test_file_ops_want_scalars_as_tf(tf1, which):
    messages = []
    for fw in (tf1, tm):
        with fw.Graph().as_default(), pytest.raises(ValueError) as info:
            if which == "read":
                fw.read_file(["a"])
            elif which == "write-name":
                fw.write_file(["a"], "x")
            else:
                fw.write_file("a", ["x", "y"])
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_gfile_makedirs_names_the_file_in_the_way_as_tf(tf1, tmp_path):
    import tensorflow

    messages = []
    for fw, errs in ((tensorflow, tensorflow.errors), (tm, tm.errors)):
        root = tmp_path / fw.__name__
        root.mkdir()
        (root / "file").write_text("x")
        for sub in ("file", os.path.join("file", "sub"), os.path.join("file", "sub", "deeper")):
            with pytest.raises(errs.FailedPreconditionError) as info:
                fw.io.gfile.makedirs(str(root / sub))
            messages.append(str(info.value).replace(str(root), "ROOT"))
    assert messages[3:] == messages[:3] == ["ROOT/file is not a directory"] * 3
