"""tf.train.Coordinator and LooperThread against TensorFlow's: the same scenario, the same outcomes."""

from __future__ import annotations

import threading

import torchmeta as tm


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:
        return (type(e).__name__, str(e))


def _scenario(api):
    C = api.train.Coordinator
    out = []

    # a thread reports an error; join re-raises it; request_stop after join raises it again
    coord = C()

    def failing():
        with coord.stop_on_exception():
            raise ValueError("boom")

    t = threading.Thread(target=failing, name="failing")
    coord.register_thread(t)
    t.start()
    out.append(_outcome(lambda: coord.join(stop_grace_period_secs=5)))
    out.append((coord.should_stop(), coord.joined))
    out.append(_outcome(lambda: coord.raise_requested_exception()))
    try:
        raise KeyError("late")
    except KeyError as e:
        out.append(_outcome(lambda e=e: coord.request_stop(e)))
    coord.clear_stop()
    out.append((coord.should_stop(), coord.joined, _outcome(coord.raise_requested_exception)))

    # an OutOfRangeError is a clean stop; other types can be made clean too
    coord = C()
    with coord.stop_on_exception():
        raise api.errors.OutOfRangeError(None, None, "end of input")
    out.append((coord.should_stop(), _outcome(lambda: coord.join([]))))
    coord = C(clean_stop_exception_types=[KeyError])
    coord.request_stop(KeyError("k"))
    out.append(_outcome(lambda: coord.join([])))

    # the first reported exception wins
    coord = C()
    for err in (ValueError("first"), TypeError("second")):
        try:
            raise err
        except Exception as e:
            coord.request_stop(e)
    out.append(_outcome(lambda: coord.join([])))

    # a thread that does not stop: RuntimeError naming it (or a log line with ignore_live_threads)
    for ignore in (False, True):
        coord = C()
        release = threading.Event()
        t = threading.Thread(target=release.wait, name=f"straggler{int(ignore)}")
        t.start()
        coord.request_stop()
        out.append(
            _outcome(lambda c=coord, t=t, i=ignore: c.join([t], stop_grace_period_secs=0, ignore_live_threads=i))
        )
        release.set()
        t.join()

    # LooperThread: calls target until the coordinator stops
    coord = C()
    calls = []

    def target(step):
        calls.append(step)
        if len(calls) == 5:
            coord.request_stop()

    looper = api.train.LooperThread.loop(coord, None, target, args=(7,))
    out.append(_outcome(lambda: coord.join(stop_grace_period_secs=5)))
    out.append((calls, looper.daemon, looper.is_alive()))
    out.append(_outcome(lambda: api.train.LooperThread("not a coordinator", 1)))
    out.append(_outcome(lambda: api.train.LooperThread(C(), 1, args=(1,))))

    # a LooperThread subclass with start/stop hooks and a failing run_loop
    coord = C()
    seen = []

    class Looper(api.train.LooperThread):
        def start_loop(self):
            seen.append("start")

        def run_loop(self):
            seen.append("run")
            raise RuntimeError("loop failed")

        def stop_loop(self):
            seen.append("stop")

    Looper(coord, None).start()
    out.append(_outcome(lambda: coord.join(stop_grace_period_secs=5)))
    out.append(seen)
    return out


def test_coordinator_matches_tf(tf1):
    assert _scenario(tm) == _scenario(tf1)


def test_coordinator_scenario_outcomes():
    out = _scenario(tm)
    assert out[0] == ("ValueError", "boom")
    assert out[8] == ("RuntimeError", "Coordinator stopped with threads still running: straggler0")
    assert out[11] == ([7, 7, 7, 7, 7], True, False)
