"""tf.train.Supervisor against TensorFlow: the default ops it takes or builds, managed_session's initialize or
restore, its files and events, its threads, and how an exception in the ``with`` block ends it."""

from __future__ import annotations

import glob
import os
import re
import time

import numpy as np
import pytest

import torchmeta as tm


def _model(api):
    w = api.Variable([1.0, -2.0], name="w")
    loss = api.reduce_sum(api.square(w), name="loss")
    step = api.train.get_or_create_global_step()
    api.summary.scalar("loss", loss)
    train_op = api.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return w, loss, train_op


def _files(d):
    out = set()
    for name in os.listdir(d):
        if name.startswith("events.out.tfevents."):
            name = "events"
        out.add(re.sub(r"\.(data-\d+-of-\d+|index|safetensors)$", ".data", name))
    return sorted(out)


def _events(d, tf1):
    out = []
    for path in sorted(glob.glob(os.path.join(d, "events.out.tfevents.*"))):
        for e in tf1.train.summary_iterator(path):
            what = e.WhichOneof("what")
            if what == "summary":
                detail = [(v.tag, round(float(v.simple_value), 5)) for v in e.summary.value]
            elif what == "session_log":
                detail = (e.session_log.status, e.session_log.checkpoint_path.replace(d, "<dir>"))
            else:
                detail = None
            out.append((e.step, what, detail))
    return out


def _last_writers_events(events):
    """The records from the last file_version on: the last FileWriter's. (Two writers opened in the same second
    share a file name; TensorFlow's second truncates the first one's records, torchmeta's appends to them.)"""
    starts = [i for i, e in enumerate(events) if e[1] == "file_version"]
    return events[starts[-1] :]


def _train(api, d, steps, wait_for_first_save=False, **sv_kwargs):
    """A Supervisor's managed session trains ``steps`` steps, writes a summary by hand and saves."""
    with api.Graph().as_default() as g:
        w, loss, train_op = _model(api)
        sv = api.train.Supervisor(logdir=d, **sv_kwargs)
        defaults = {
            "finalized": g.finalized,
            "ops": [sv.ready_op.name, sv.init_op.name, sv.ready_for_local_init_op],
            "summary_op": sv.summary_op.name,
            "global_step": sv.global_step.name,
            "saver": type(sv.saver).__name__,
            "save_path": sv.save_path.replace(d, "<dir>"),
            "collections": {
                key: len(g.get_collection(key)) for key in ("ready_op", "init_op", "local_init_op", "savers")
            },
        }
        with sv.managed_session() as sess:
            start = int(sess.run(sv.global_step))
            deadline = time.time() + 30
            while wait_for_first_save and not sv.saver.last_checkpoints and time.time() < deadline:
                time.sleep(0.01)  # the checkpoint thread's save at once, before any step
            for _ in range(steps):
                sess.run(train_op)
            sv.summary_computed(sess, sess.run(sv.summary_op))
            prefix = sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
            values = sess.run(w).tolist()
        return {"defaults": defaults, "start": start, "w": values, "prefix": prefix.replace(d, "<dir>")}


def test_managed_session_initializes_then_restores_as_tf(tf1, tmp_path):
    """No summary or checkpoint threads (secs 0): everything written is deterministic and must equal TF's."""
    out = {}
    for name, api in (("tf", tf1), ("tm", tm)):
        d = str(tmp_path / name)
        first = _train(api, d, 3, save_summaries_secs=0, save_model_secs=0)
        events = _events(d, tf1)
        again = _train(api, d, 2, save_summaries_secs=0, save_model_secs=0)
        out[name] = (first, again, _files(d), events + _last_writers_events(_events(d, tf1)))
    assert out["tm"][0]["defaults"] == out["tf"][0]["defaults"]
    assert out["tm"][0]["defaults"]["ops"] == ["report_uninitialized_variables/boolean_mask/GatherV2:0", "init", None]
    for ours, theirs in zip(out["tm"][:2], out["tf"][:2]):
        assert ours["start"] == theirs["start"] and ours["prefix"] == theirs["prefix"]
        np.testing.assert_allclose(ours["w"], theirs["w"], rtol=1e-6)
    assert out["tm"][1]["start"] == 3 and out["tm"][1]["prefix"] == "<dir>/model.ckpt-5"
    assert out["tm"][2] == out["tf"][2] == ["checkpoint", "events", "graph.pbtxt", "model.ckpt-3.data",
                                          "model.ckpt-3.meta", "model.ckpt-5.data", "model.ckpt-5.meta"]  # fmt: skip
    assert out["tm"][3] == out["tf"][3]
    assert [e[1] for e in out["tm"][3]].count("graph_def") == 2
    assert (3, "session_log", (1, "")) in out["tm"][3]  # the restored session's START at step 3


def test_resumes_from_tensorflows_logdir(tf1, tmp_path):
    d = str(tmp_path)
    _train(tf1, d, 3, save_summaries_secs=0, save_model_secs=0)
    ours = _train(tm, d, 2, save_summaries_secs=0, save_model_secs=0)
    assert ours["start"] == 3
    reference = _train(tf1, str(tmp_path / "reference"), 5, save_summaries_secs=0, save_model_secs=0)
    np.testing.assert_allclose(ours["w"], reference["w"], rtol=1e-6)


def test_standard_services_write_tfs_events(tf1, tmp_path):
    """With the default timers each service fires once at the start: a checkpoint at step 0, the summary op
    and the steps-per-second counter; then the steps' own summary and save, and STOP."""
    out = {}
    for name, api in (("tf", tf1), ("tm", tm)):
        d = str(tmp_path / name)
        _train(api, d, 3, wait_for_first_save=True)
        events = _events(d, tf1)
        # the services' threads race the training steps: compare which records were written, not their steps
        out[name] = (sorted((what, str(detail if what != "summary" else [t for t, _ in detail])) for _, what, detail in events),
                     _files(d))  # fmt: skip
    assert out["tm"] == out["tf"]
    assert "model.ckpt-0.meta" in out["tm"][1]


@pytest.mark.parametrize("error", ["OutOfRangeError", "ValueError"])
def test_an_exception_in_the_block_ends_it_as_in_tf(tf1, tmp_path, error):
    """OutOfRangeError (the end of the input) stops the session quietly; any other error is re-raised."""
    out = {}
    for name, api in (("tf", tf1), ("tm", tm)):
        with api.Graph().as_default():
            _model(api)
            sv = api.train.Supervisor(logdir=str(tmp_path / name), save_summaries_secs=0, save_model_secs=0)
            exc = api.errors.OutOfRangeError(None, None, "done") if error == "OutOfRangeError" else ValueError("bad")
            try:
                with sv.managed_session():
                    raise exc
            except Exception as e:
                out[name] = (type(e).__name__, str(e), sv.should_stop())
            else:
                out[name] = ("ok", None, sv.should_stop())
    assert out["tm"] == out["tf"]


def test_non_chief_and_odd_global_steps_as_tf(tf1, tmp_path):
    """A non-chief needs placed variables (TF's ValueError naming the NodeDef), has no logdir, summary writer or
    checkpoint timer, and may not start the services; a float ``global_step`` is not taken as the step."""
    out = {}
    for name, api in (("tf", tf1), ("tm", tm)):
        seen = []
        with api.Graph().as_default():
            api.Variable(1.0, name="w")
            try:
                api.train.Supervisor(is_chief=False)
            except ValueError as e:
                seen.append(str(e))
        with api.Graph().as_default() as g:
            with api.device("/job:ps/task:0"):
                api.Variable(1.0, name="w")
            sv = api.train.Supervisor(is_chief=False, logdir=str(tmp_path / name))
            seen.append((sv.save_path, sv.summary_writer, sv.save_model_secs, g.finalized))
            try:
                sv.start_standard_services(None)
            except RuntimeError as e:
                seen.append(str(e))
        with api.Graph().as_default():
            api.Variable(1.0, name="global_step")
            sv = api.train.Supervisor()
            seen.append((sv.global_step, sv.save_path))
            with sv.managed_session() as sess:
                seen.append(float(sess.run("global_step:0")))
        out[name] = seen
    assert out["tm"] == out["tf"]
    assert out["tm"][0].startswith('When using replicas, all Variables must have their device set: name: "w"')
