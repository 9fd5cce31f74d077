"""``tf.test``: TensorFlow's ``TestCase`` basics, so TF1 test files run with only their import line changed.

``TestCase`` (TensorFlow's ``TensorFlowTestCase`` in graph mode) gives each test a fresh default graph
and seeds, sessions (``session()``, ``cached_session()``, ``test_session()``) that become the default
session, ``evaluate``, and TensorFlow's assertions with its messages (``assertAllClose`` over nested
structures, ``assertAllEqual``, ``assertRaisesOpError``, ...). ``main()`` runs the file's tests with
``unittest``.
"""

from __future__ import annotations

import collections.abc
import contextlib
import os
import random
import re
import sys
import tempfile
import unittest

import numpy as np
import torch

from torchmeta import errors
from torchmeta.api import random_ops
from torchmeta.dtypes import DType
from torchmeta.framework import default_session
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.device import DeviceSpec
from torchmeta.runtime import session as session_lib

__all__ = [
    "TestCase",
    "main",
    "get_temp_dir",
    "is_gpu_available",
    "gpu_device_name",
    "is_built_with_cuda",
    "is_built_with_gpu_support",
    "is_built_with_rocm",
    "is_built_with_xla",
]


def _flatten(structure):
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [x for item in structure for x in _flatten(item)]
    return [structure]


def _pack(structure, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*[build(x) for x in s])
        if isinstance(s, (list, tuple)):
            return type(s)(build(x) for x in s)
        return next(it)

    return build(structure)


def _is_graph_value(x) -> bool:
    return isinstance(x, (graph_lib.Tensor, graph_lib.Operation)) or hasattr(x, "_as_graph_element")


def _where(cond):
    return np.where(cond)


class TestCase(unittest.TestCase):
    """Base class for tests of graph code (TensorFlow's ``tf.test.TestCase`` in TF1 mode)."""

    def __init__(self, methodName="runTest"):
        super().__init__(methodName)
        self._cached_session = None
        self._tempdir = None

    def setUp(self):
        super().setUp()
        self._clear_cached_session()
        random.seed(random_ops.DEFAULT_GRAPH_SEED)
        np.random.seed(random_ops.DEFAULT_GRAPH_SEED)
        graph_lib.reset_default_graph()
        random_ops.set_random_seed(random_ops.DEFAULT_GRAPH_SEED)
        if self.id().endswith(".test_session"):
            self.skipTest("Not a test.")

    def tearDown(self):
        self._clear_cached_session()
        super().tearDown()

    def _clear_cached_session(self):
        if self._cached_session is not None:
            self._cached_session.close()
            self._cached_session = None

    def get_temp_dir(self) -> str:
        """A temporary directory for this test (the same one on every call within the test)."""
        if not self._tempdir:
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    # -- sessions ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """A new Session on ``graph`` (default: the default graph), the default session inside the block."""
        graph = graph_lib.get_default_graph() if graph is None else graph
        sess = session_lib.Session(graph=graph, config=config, device=self._device(use_gpu, force_gpu))
        with sess:
            yield sess

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """One Session per test (closed in tearDown), the default session inside the block."""
        graph = graph_lib.get_default_graph() if graph is None else graph
        sess = self._cached_session
        if sess is None:
            sess = session_lib.Session(graph=graph, config=config, device=self._device(use_gpu, force_gpu))
            self._cached_session = sess
        elif sess.graph is not graph:
            raise ValueError(
                "The graph used to get the cached session is different than the one that was used to create the "
                "session. Maybe create a new session with self.session()"
            )
        with graph.as_default(), sess.as_default():
            yield sess

    @contextlib.contextmanager
    def test_session(self, graph=None, config=None, use_gpu=True, force_gpu=False):
        """Deprecated in TensorFlow: ``cached_session`` without ``graph``, else a new ``session``."""
        if self.id().endswith(".test_session"):
            self.skipTest(
                'Tests that have the name "test_session" are automatically skipped by TensorFlow test fixture, as '
                "the name is reserved for creating sessions within tests. Please rename your test if you have a "
                "test with this name."
            )
        ctx = (
            self.cached_session(None, config, use_gpu, force_gpu)
            if graph is None
            else self.session(graph, config, use_gpu, force_gpu)
        )
        with ctx as sess:
            yield sess

    @staticmethod
    def _device(use_gpu, force_gpu):
        if force_gpu:
            if not torch.cuda.is_available():
                raise unittest.SkipTest("force_gpu=True but no GPU is available")
            return "cuda"
        return "cuda" if use_gpu and torch.cuda.is_available() else "cpu"

    def evaluate(self, tensors):
        """The values of ``tensors`` (nested lists/tuples/dicts) in the default session, or a new one."""
        if tensors is None:
            return None
        flat = _flatten(tensors)
        sess = default_session.get_default_session()
        if sess is None:
            with self.test_session() as sess:
                values = sess.run(flat)
        else:
            values = sess.run(flat)
        return _pack(tensors, values)

    def _evaluate_if_both_tensors(self, a, b):
        if _is_graph_value(a) and _is_graph_value(b):
            return self.evaluate((a, b))
        return a, b

    def _get_ndarray(self, a):
        if _is_graph_value(a):
            a = self.evaluate(a)
        if not isinstance(a, np.ndarray):
            try:
                return np.array(a)
            except ValueError as e:
                # numpy >= 1.24 no longer makes object arrays of ragged lists; TF asks for one explicitly.
                if "inhomogeneous shape" in str(e):
                    return np.array(a, dtype=object)
                raise
        return a

    # -- assertions ---------------------------------------------------------------------------------
    def assertStartsWith(self, actual, expected_start, msg=None):
        if not actual.startswith(expected_start):
            fail_msg = f"{actual!r} does not start with {expected_start!r}"
            fail_msg += f" : {msg!r}" if msg else ""
            self.fail(fail_msg)

    def assertNear(self, f1, f2, err, msg=None):
        self.assertTrue(
            f1 == f2 or abs(f1 - f2) <= err,
            f"{f1:f} != {f2:f} +/- {err:f}{f' ({msg})' if msg is not None else ''}",
        )

    def assertArrayNear(self, farray1, farray2, err, msg=None):
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):
        self.assertTrue(bool(np.linalg.norm(ndarray1 - ndarray2) <= err), msg=msg)

    def _assert_array_like_all_close(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        a, b = self._evaluate_if_both_tensors(a, b)
        a = self._get_ndarray(a)
        b = self._get_ndarray(b)
        if a.shape != b.shape and (b.ndim <= 3 or b.size < 500):
            shape_msg = f"Shape mismatch: expected {a.shape}, got {b.shape} with contents {b}."
        else:
            shape_msg = f"Shape mismatch: expected {a.shape}, got {b.shape}."
        self.assertEqual(a.shape, b.shape, shape_msg)
        msgs = [msg]
        a_dtype = a.dtype
        import ml_dtypes

        custom = (np.dtype(ml_dtypes.bfloat16), np.dtype(ml_dtypes.float8_e5m2), np.dtype(ml_dtypes.float8_e4m3fn))
        a = a.astype(np.float32) if a.dtype in custom else a
        b = b.astype(np.float32) if b.dtype in custom else b
        if not np.allclose(a, b, rtol=rtol, atol=atol):
            cond = np.logical_or(np.abs(a - b) > atol + rtol * np.abs(b), np.isnan(a) != np.isnan(b))
            if a.ndim:
                x, y = a[_where(cond)], b[_where(cond)]
                msgs.append(f"not close where = {_where(cond)}")
            else:
                x, y = a, b
            msgs.append(f"not close lhs = {x}")
            msgs.append(f"not close rhs = {y}")
            msgs.append(f"not close dif = {np.abs(x - y)}")
            msgs.append(f"not close tol = {atol + rtol * np.abs(y)}")
            msgs.append(f"dtype = {a_dtype}, shape = {a.shape}")
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg="\n".join(map(str, msgs)), equal_nan=True)

    def _assert_all_close_recursive(self, a, b, rtol=1e-6, atol=1e-6, path=None, msg=None):
        path = path or []
        path_str = ("[" + "][".join(str(p) for p in path) + "]") if path else ""
        msg = msg if msg else ""
        if hasattr(a, "_asdict"):
            a = a._asdict()
        if hasattr(b, "_asdict"):
            b = b._asdict()
        a_is_dict = isinstance(a, collections.abc.Mapping)
        if a_is_dict != isinstance(b, collections.abc.Mapping):
            raise ValueError(f"Can't compare dict to non-dict, a{path_str} vs b{path_str}. {msg}")
        if a_is_dict:
            self.assertCountEqual(
                a.keys(),
                b.keys(),
                msg=f"mismatched keys: a{path_str} has keys {a.keys()}, but b{path_str} has keys {b.keys()}. {msg}",
            )
            for k in a:
                path.append(k)
                self._assert_all_close_recursive(a[k], b[k], rtol=rtol, atol=atol, path=path, msg=msg)
                del path[-1]
        elif isinstance(a, (list, tuple)):
            try:
                a, b = self._evaluate_if_both_tensors(a, b)
                self._assert_array_like_all_close(
                    self._get_ndarray(a),
                    self._get_ndarray(b),
                    rtol=rtol,
                    atol=atol,
                    msg=f"Mismatched value: a{path_str} is different from b{path_str}. {msg}",
                )
            except (ValueError, TypeError, NotImplementedError):
                if len(a) != len(b):
                    raise ValueError(
                        f"Mismatched length: a{path_str} has {len(a)} items, but b{path_str} has {len(b)} items. {msg}"
                    ) from None
                for idx, (a_ele, b_ele) in enumerate(zip(a, b)):
                    path.append(str(idx))
                    self._assert_all_close_recursive(a_ele, b_ele, rtol=rtol, atol=atol, path=path, msg=msg)
                    del path[-1]
        else:
            try:
                self._assert_array_like_all_close(
                    a,
                    b,
                    rtol=rtol,
                    atol=atol,
                    msg=f"Mismatched value: a{path_str} is different from b{path_str}. {msg}",
                )
            except TypeError as e:
                detail = f"Error: a{path_str} has {type(a)}, but b{path_str} has {type(b)}. {msg}"
                e.args = (e.args[0] + " : " + detail, *e.args[1:])
                raise

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        """``a`` and ``b`` (arrays, Tensors, or nested dicts/lists/tuples/namedtuples of them) are close."""
        self._assert_all_close_recursive(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertAllCloseAccordingToType(
        self,
        a,
        b,
        rtol=1e-6,
        atol=1e-6,
        float_rtol=1e-6,
        float_atol=1e-6,
        half_rtol=1e-3,
        half_atol=1e-3,
        bfloat16_rtol=1e-2,
        bfloat16_atol=1e-2,
        msg=None,
    ):
        """``assertAllClose`` with the tolerance widened for float32, float16 and bfloat16 values."""
        import ml_dtypes

        a, b = self._evaluate_if_both_tensors(a, b)
        a = self._get_ndarray(a)
        b = self._get_ndarray(b)
        if np.float32 in (a.dtype, b.dtype) or np.complex64 in (a.dtype, b.dtype):
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if np.float16 in (a.dtype, b.dtype):
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        if np.dtype(ml_dtypes.bfloat16) in (a.dtype, b.dtype):
            rtol, atol = max(rtol, bfloat16_rtol), max(atol, bfloat16_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)
        except AssertionError:
            return
        raise AssertionError(f"The two values are close at all elements. {msg or ''}")

    def assertAllEqual(self, a, b, msg=None):
        """``a`` and ``b`` (arrays or Tensors) have the same shape and values (NaN equals NaN)."""
        msg = msg if msg else ""
        a, b = self._evaluate_if_both_tensors(a, b)
        a = self._get_ndarray(a)
        b = self._get_ndarray(b)
        if b.ndim <= 3 or b.size < 500:
            self.assertEqual(
                a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got {b.shape}. Contents: {b!r}. \n{msg}."
            )
        else:
            self.assertEqual(a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got {b.shape}. {msg}")
        same = a == b
        if a.dtype.kind == "f" or a.dtype.kind == "c":
            same = np.logical_or(same, np.logical_and(np.isnan(a), np.isnan(b)))
        msgs = [msg]
        if not np.all(same):
            diff = np.logical_not(same)
            if a.ndim:
                x, y = a[_where(diff)], b[_where(diff)]
                msgs.append(f"not equal where = {_where(diff)}")
            else:
                x, y = a, b
            msgs.append(f"not equal lhs = {x!r}")
            msgs.append(f"not equal rhs = {y!r}")
            if a.dtype.kind != b.dtype.kind and {a.dtype.kind, b.dtype.kind} <= {"U", "S", "O"}:
                a = np.array([i.encode() if isinstance(i, str) else i for i in a.flat])
                b = np.array([i.encode() if isinstance(i, str) else i for i in b.flat])
            np.testing.assert_array_equal(a, b, err_msg="\n".join(msgs))

    def assertNotAllEqual(self, a, b, msg=None):
        try:
            self.assertAllEqual(a, b)
        except AssertionError:
            return
        raise AssertionError(f"The two values are equal at all elements. {msg or ''}")

    def _all_compare(self, a, target, op, word):
        a = self._get_ndarray(a)
        self.assertTrue(bool(np.all(op(a, target))), f"{a} {word} {target}")

    def assertAllGreater(self, a, comparison_target):
        self._all_compare(a, comparison_target, np.greater, "not all >")

    def assertAllLess(self, a, comparison_target):
        self._all_compare(a, comparison_target, np.less, "not all <")

    def assertAllGreaterEqual(self, a, comparison_target):
        self._all_compare(a, comparison_target, np.greater_equal, "not all >=")

    def assertAllLessEqual(self, a, comparison_target):
        self._all_compare(a, comparison_target, np.less_equal, "not all <=")

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False, open_upper_bound=False):
        target = self._get_ndarray(target)
        lower = target > lower_bound if open_lower_bound else target >= lower_bound
        upper = target < upper_bound if open_upper_bound else target <= upper_bound
        bad = np.logical_not(np.logical_and(lower, upper))
        if np.any(bad):
            raise AssertionError(
                f"{int(np.sum(bad))} of the {target.size} element(s) are outside the range "
                f"{'(' if open_lower_bound else '['}{lower_bound}, {upper_bound}{')' if open_upper_bound else ']'}. "
                f"Subscript(s) and value(s) of the offending elements:\n{np.argwhere(bad)}"
            )

    def assertAllInSet(self, target, expected_set):
        target = self._get_ndarray(target)
        diff = set(np.unique(target.flatten()).tolist()) - set(expected_set)
        if diff:
            raise AssertionError(f"{len(diff)} unique element(s) are not in the set {expected_set}: {diff}")

    def assertDTypeEqual(self, target, expected_dtype):
        target = self._get_ndarray(target)
        if isinstance(expected_dtype, DType):
            expected_dtype = expected_dtype.as_numpy_dtype
        self.assertEqual(target.dtype, expected_dtype)

    def assertShapeEqual(self, input_a, input_b, msg=None):
        """Static shapes (for Tensors) or array shapes are equal."""
        for name, x in (("input_a", input_a), ("input_b", input_b)):
            if not isinstance(x, (np.ndarray, np.generic, graph_lib.Tensor)):
                raise TypeError(f"{name} must be a Numpy ndarray, Numpy scalar, or a Tensor.Instead received {type(x)}")

        def shape(x):
            return x.get_shape().as_list() if isinstance(x, graph_lib.Tensor) else x.shape

        self.assertAllEqual(shape(input_a), shape(input_b), msg=msg)

    def assertDeviceEqual(self, device1, device2, msg=None):
        def canonical(d):
            if isinstance(d, DeviceSpec):
                return d.to_string()
            return DeviceSpec.from_string(d or "").to_string()

        d1, d2 = canonical(device1), canonical(device2)
        self.assertEqual(d1, d2, f"Devices {d1} and {d2} are not equal. {msg}")

    def assertProtoEquals(self, expected_message_maybe_ascii, message, msg=None):
        """``message`` equals the expected proto (a message, or its text format)."""
        from google.protobuf import text_format

        if isinstance(expected_message_maybe_ascii, str):
            expected = type(message)()
            text_format.Merge(expected_message_maybe_ascii, expected)
        else:
            expected = expected_message_maybe_ascii
        self.assertEqual(text_format.MessageToString(expected), text_format.MessageToString(message), msg=msg)

    def assertItemsEqual(self, expected_seq, actual_seq, msg=None):
        return self.assertCountEqual(expected_seq, actual_seq, msg=msg)

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):
        """The block raises ``exception_type`` whose message matches the regex (or satisfies the predicate)."""
        if callable(expected_err_re_or_predicate):
            predicate = expected_err_re_or_predicate
        else:

            def predicate(e):
                err_str = e.message if isinstance(e, errors.OpError) else str(e)
                op = e.op if isinstance(e, errors.OpError) else None
                if op is not None:
                    err_str += "\nCaused by: " + op.name
                return re.search(expected_err_re_or_predicate, err_str)

        try:
            yield
            self.fail(exception_type.__name__ + " not raised")
        except Exception as e:
            if not isinstance(e, exception_type) or not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e

    def assertRaisesOpError(self, expected_err_re_or_predicate):
        """The block raises an ``OpError`` matching the regex (or predicate)."""
        return self.assertRaisesWithPredicateMatch(errors.OpError, expected_err_re_or_predicate)

    def assertRaisesIncompatibleShapesError(self, exception_type=errors.InvalidArgumentError):
        return self.assertRaisesWithPredicateMatch(
            exception_type, r"Incompatible shapes|Dimensions must be equal|required broadcastable shapes"
        )

    def checkedThread(self, target, args=None, kwargs=None):
        """A thread whose exception (if any) fails the test when joined."""
        import threading

        case = self

        class _Checked(threading.Thread):
            def __init__(self):
                super().__init__(target=self._protected)
                self._exception = None

            def _protected(self):
                try:
                    target(*(args or ()), **(kwargs or {}))
                except Exception as e:
                    self._exception = e

            def join(self, timeout=None):
                super().join(timeout)
                if self._exception is not None:
                    case.fail(str(self._exception))

        return _Checked()


def get_temp_dir() -> str:
    """A temporary directory shared by the tests of this process."""
    global _TEMP_DIR
    if _TEMP_DIR is None:
        _TEMP_DIR = tempfile.mkdtemp(prefix=os.path.basename(sys.argv[0] or "test") + "_")
    return _TEMP_DIR


_TEMP_DIR = None


def main(argv=None):
    """Runs the tests of the ``__main__`` module (``unittest.main``) and exits with its status."""
    return unittest.main(argv=argv)


def is_built_with_cuda() -> bool:
    return torch.version.cuda is not None


def is_built_with_rocm() -> bool:
    """Whether the torch build is ROCm's (torchmeta's GPU kernels are torch's)."""
    return torch.version.hip is not None


def is_built_with_xla() -> bool:
    """False: torchmeta compiles with torch.compile, never XLA."""
    return False


def is_built_with_gpu_support() -> bool:
    return is_built_with_cuda()


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None) -> bool:
    """Whether torch sees a CUDA GPU (with at least the given compute capability)."""
    if not torch.cuda.is_available():
        return False
    if min_cuda_compute_capability is None:
        return True
    return torch.cuda.get_device_capability(0) >= tuple(min_cuda_compute_capability)


def gpu_device_name() -> str:
    """``/device:GPU:0`` when a GPU is available, else the empty string."""
    return "/device:GPU:0" if torch.cuda.is_available() else ""
