"""Saver.restore's fast path (torchmeta/train/restore_plan.py): what it recognizes, that it restores
without running the restore op and without a second copy, and the memory a restore peaks at."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.runtime.session import Session
from torchmeta.train.restore_plan import RestorePlan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _variables():
    with tm.device("/cpu:0"):
        a = tm.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="a")
    with tm.device("/cpu:1"):
        r = tm.Variable([1.0, 2.0], name="r", use_resource=True)
    s = tm.Variable([b"x", b"yz"], name="s")
    return a, r, s


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"sharded": True}, {"reshape": True}, {"restore_sequentially": True}, {"name": "x"}],
    ids=["default", "sharded", "reshape", "sequential", "named"],
)
def test_plans_for_the_savers_we_build(kwargs):
    _variables()
    saver = tm.train.Saver(**kwargs)
    plan = RestorePlan.build(tm.get_default_graph(), saver.saver_def)
    assert plan is not None
    assert sorted(i.key for i in plan.items) == ["a", "r", "s"]
    assert {i.key: i.assign_op.type for i in plan.items} == {"a": "Assign", "r": "AssignVariableOp", "s": "Assign"}


def test_no_plan_for_a_restore_op_that_does_more(tmp_path):
    a, _, _ = _variables()
    saver = tm.train.Saver()
    graph = tm.get_default_graph()
    restore_all = graph.get_operation_by_name(saver.saver_def.restore_op_name)
    extra = tm.assign_add(a, tm.ones(a.shape, dtype=a.dtype.base_dtype))  # a restore_all that also runs something else
    restore_all._add_control_inputs([extra.op])
    assert RestorePlan.build(graph, saver.saver_def) is None
    with tm.Session() as sess:  # the graph path still restores (and runs the extra op, as TF would)
        sess.run(tm.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "m"), write_meta_graph=False)
        saver.restore(sess, prefix)
        assert sess.run(a).tolist() == (np.arange(6).reshape(2, 3) + 1).tolist()


def test_no_plan_without_the_named_ops():
    _variables()
    saver_def = tm.train.Saver().saver_def
    saver_def.restore_op_name = "nowhere/restore_all"
    assert RestorePlan.build(tm.get_default_graph(), saver_def) is None


@pytest.mark.parametrize("fmt", ["tf", "safetensors"])
def test_restore_runs_no_graph_and_reads_in_place(tmp_path, fmt, monkeypatch):
    a, r, s = _variables()
    saver = tm.train.Saver(format=fmt)
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "m"), write_meta_graph=False)
        sess.run([a.assign(a * 0), r.assign([0.0, 0.0]), s.assign([b"", b""])])
        slot = sess._variable_slot("a", resource=False)
        memory = slot.value.data_ptr()

        def no_restore_op(self, fetches, *args, **kwargs):
            assert fetches != saver.saver_def.restore_op_name, "the restore op ran"
            return real_run(self, fetches, *args, **kwargs)

        real_run = Session.run
        monkeypatch.setattr(Session, "run", no_restore_op)
        saver.restore(sess, prefix)
        monkeypatch.undo()
        assert slot.value.data_ptr() == memory  # read into the variable's own memory
        assert sess.run(a).tolist() == np.arange(6).reshape(2, 3).tolist()
        assert sess.run(r).tolist() == [1.0, 2.0]
        assert sess.run(s).tolist() == [b"x", b"yz"]


def test_fetched_values_are_not_changed_by_a_later_restore(tmp_path):
    a, _, _ = _variables()
    saver = tm.train.Saver()
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        prefix = saver.save(sess, str(tmp_path / "m"), write_meta_graph=False)
        sess.run(a.assign(a * 0))
        fetched = sess.run(a)
        saver.restore(sess, prefix)
        assert fetched.tolist() == [[0.0] * 3] * 2


# -- peak memory ---------------------------------------------------------------------------------------------

COUNT, MB = 4, 64  # a 256 MiB checkpoint


def _driver(*args):
    out = subprocess.run(
        [sys.executable, "-m", "tests.train.restore_memory", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else None


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's peak-RSS reset")
@pytest.mark.parametrize("fmt", ["safetensors", "tf"])
def test_restore_peak_memory(tmp_path, fmt):
    """Restoring into initialized variables needs (almost) no memory beyond them; into uninitialized
    ones, the checkpoint's size once. Measured as VmHWM in fresh processes (deterministic to a few MB)."""
    _driver("save", tmp_path, fmt, COUNT, MB)
    size = COUNT * MB
    fresh = _driver("restore", tmp_path, fmt, COUNT, MB, "uninitialized")
    warm = _driver("restore", tmp_path, fmt, COUNT, MB, "initialized")
    for result in (fresh, warm):
        if not result["peak_reset"]:
            pytest.skip("cannot reset the peak-RSS counter here")
        assert result["values_correct"]
    assert fresh["peak_above_before_mb"] < 1.2 * size, fresh
    assert warm["peak_above_before_mb"] < 0.2 * size, warm
    assert warm["peak_above_baseline_mb"] < 1.2 * size, warm
