"""Session.run from many threads at once, and bounded caches: exact counters, use_locking honoured, constant
memory over many steps and many feed shapes."""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np
import pytest

import torchmeta as tm
from torchmeta.framework import registry


def _run_threads(n, fn):
    errors_seen = []

    def body(i):
        try:
            fn(i)
        except BaseException as e:  # reported below; a thread's exception must fail the test
            errors_seen.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors_seen, errors_seen[:3]


@pytest.mark.slow
def test_16_threads_training_and_inference_lose_no_update():
    """8 threads train (Adam + global step), 8 run inference with changing batch sizes and count with
    assign_add; 500 runs each. Every increment lands (TF's unlocked increment may lose some)."""
    threads, runs = 16, 500
    with tm.Graph().as_default() as g:
        x = tm.placeholder(tm.float32, [None, 3], name="x")
        w = tm.Variable(np.full((3, 2), 0.1, np.float32), name="w")
        b = tm.Variable(np.zeros(2, np.float32), name="b", use_resource=True)
        logits = tm.matmul(x, w) + b
        loss = tm.reduce_mean(tm.square(logits - 1.0))
        step = tm.train.get_or_create_global_step()
        train = tm.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
        counter = tm.Variable(np.int64(0), name="counter")
        count = tm.assign_add(counter, 1)
        with tm.Session(graph=g) as sess:
            sess.run(tm.global_variables_initializer())

            def work(i):
                for k in range(runs):
                    batch = np.ones(((i + k) % 5 + 1, 3), np.float32)
                    if i % 2:
                        sess.run([logits, count], {x: batch})
                    else:
                        sess.run(train, {x: batch})

            _run_threads(threads, work)
            assert sess.run(step) == threads // 2 * runs
            assert sess.run(counter) == threads // 2 * runs
            assert np.isfinite(sess.run(w)).all()


def test_use_locking_updates_are_exclusive():
    threads, runs, lr, grad = 8, 200, 0.125, 0.5
    with tm.Graph().as_default() as g:
        v = tm.Variable(np.full(1000, 1000.0, np.float32), name="v")
        update = tm.train.GradientDescentOptimizer(lr, use_locking=True).apply_gradients(
            [(tm.constant(np.full(1000, grad, np.float32)), v)]
        )
        apply = next(op for op in g.get_operations() if op.type == "ApplyGradientDescent")
        assert apply.get_attr("use_locking") is True
        info = registry.get("ApplyGradientDescent")
        kernel, _, _ = info.bind(apply, lambda t, is_ref: None, lambda name: None)
        assert kernel is info.locked_kernel  # honoured: the update holds the variable's lock
        with tm.Session(graph=g) as sess:
            sess.run(v.initializer)
            _run_threads(threads, lambda i: [sess.run(update) for _ in range(runs)])
            expected = np.float32(1000.0)
            for _ in range(threads * runs):
                expected = np.float32(expected - np.float32(lr * grad))
            assert np.all(sess.run(v) == expected)


def test_the_default_use_locking_false_binds_the_plain_kernel():
    with tm.Graph().as_default() as g:
        v = tm.Variable(np.zeros(3, np.float32), name="v")
        tm.train.GradientDescentOptimizer(0.1).apply_gradients([(tm.ones([3]), v)])
        apply = next(op for op in g.get_operations() if op.type == "ApplyGradientDescent")
        info = registry.get("ApplyGradientDescent")
        assert info.bind(apply, lambda t, is_ref: None, lambda name: None)[0] is info.kernel


def _python_memory_growth(step, warmup, steps):
    for _ in range(warmup):
        step()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            step()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def _growth_of_objects_and_rss(step, warmup, steps):
    """(Python objects alive, resident bytes) gained over ``steps`` after ``warmup``: without tracemalloc,
    which would make 10**5 steps slow."""
    for _ in range(warmup):
        step()
    gc.collect()
    objects, rss = len(gc.get_objects()), _rss()
    for _ in range(steps):
        step()
    gc.collect()
    return len(gc.get_objects()) - objects, _rss() - rss


@pytest.mark.slow
def test_100k_steps_with_a_few_feed_shapes_keep_constant_memory():
    with tm.Graph().as_default() as g:
        x = tm.placeholder(tm.float32, [None, 4], name="x")
        w = tm.Variable(np.full((4, 2), 0.5, np.float32), name="w")
        loss = tm.reduce_sum(tm.matmul(x, w))
        train = tm.train.GradientDescentOptimizer(1e-6).minimize(loss)
        feeds = [np.ones((n, 4), np.float32) for n in (1, 2, 3)]
        with tm.Session(graph=g) as sess:
            sess.run(w.initializer)
            i = [0]

            def step():
                sess.run([train, loss], {x: feeds[i[0] % 3]})
                i[0] += 1

            objects, rss = _growth_of_objects_and_rss(step, 1000, 100_000)
            assert objects < 100, objects  # no per-step residue
            assert rss < 32 << 20, rss  # 1e5 steps leaking one small tensor each would add > 30 MB
            assert len(sess._plans) == 2 and len(sess._programs) == 2  # the step, and the initializer
            program = sess._programs.values()[-1]
            assert len(program.by_shapes) == 3 and program.generic is None


def test_10k_feed_shapes_keep_a_bounded_number_of_modules():
    with tm.Graph().as_default() as g:
        x = tm.placeholder(tm.float32, [None, 2], name="x")
        y = tm.reduce_sum(x * 2.0, axis=1)
        with tm.Session(graph=g) as sess:
            n = [0]

            def step():
                n[0] += 1
                out = sess.run(y, {x: np.ones((n[0], 2), np.float32)})
                assert out.shape == (n[0],) and out[0] == 4.0

            growth = _python_memory_growth(step, 100, 10_000)
            (program,) = sess._programs.values()
            assert len(program.by_shapes) == program.MAX_SPECIALIZATIONS and program.generic is not None
            assert len(sess._compiled_modules()) == program.MAX_SPECIALIZATIONS + 1
            assert growth < 256 << 10, growth


def test_plan_and_program_caches_are_lru_of_documented_size(monkeypatch):
    monkeypatch.setattr(tm.Session, "PLAN_CACHE_SIZE", 16)
    monkeypatch.setattr(tm.Session, "PROGRAM_CACHE_SIZE", 8)
    with tm.Graph().as_default() as g:
        x = tm.placeholder(tm.float32, [], name="x")
        outs = [tm.identity(x + float(i), name=f"out{i}") for i in range(100)]
        with tm.Session(graph=g) as sess:
            for i, out in enumerate(outs):
                assert sess.run(out, {x: 1.0}) == 1.0 + i
                assert len(sess._plans) <= 16 and len(sess._programs) <= 8
            recent = sess._programs.values()[-1]
            assert sess.run(outs[-1], {x: 2.0}) == 101.0
            assert sess._programs.values()[-1] is recent  # the most recent entry was kept and reused
