"""Data-parallel training across processes (gloo on the CPU): torchmeta.distributed / torchmeta.horovod,
TF's collective ops in the graph, the Saver in a job, failures that end instead of hanging.

Every job runs in subprocesses bounded by timeouts (tests/distributed/launch.py); the ranks write what they
saw and this process, which has TensorFlow, checks it: against single-process training with the whole
batch (step for step, rtol 1e-5), against numpy, and by importing and restoring in TensorFlow.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import torch

import torchmeta as tm
import torchmeta.horovod as hvd
from tests.distributed.launch import Job, free_port, kill, run_job, torchrun, wait_all
from tests.distributed.models import batches, mlp_graph

STEPS, BATCH = 3, 8


def _reference(opt_name, init, steps=STEPS, batch=BATCH):
    """Single-process training with the whole batch from ``init``: variables after every step."""
    out = []
    with tm.Graph().as_default():
        images, labels, loss, variables = mlp_graph(tm)
        opt = tm.train.GradientDescentOptimizer(0.1) if opt_name == "sgd" else tm.train.AdamOptimizer(0.01)
        train_op = opt.minimize(loss)
        with tm.Session() as sess:
            sess.run(tm.global_variables_initializer())
            for v, value in zip(variables, init):
                v.load(value, sess)
            for x, y in batches(steps, batch):
                sess.run(train_op, {images: x, labels: y})
                out.append(sess.run(variables))
    return out


def _load(out, job, nprocs):
    return [dict(np.load(os.path.join(out, f"{job}-rank{r}.npz"))) for r in range(nprocs)]


def _check_data_parallel(ranks, opt_name, steps=STEPS, batch=BATCH):
    n_vars = 6
    root_init = [ranks[0][f"own_init_{i}"] for i in range(n_vars)]
    # The ranks start from different values; the broadcast gives every rank rank 0's.
    assert not np.array_equal(ranks[0]["own_init_0"], ranks[1]["own_init_0"])
    for rank in ranks:
        for i in range(n_vars):
            np.testing.assert_array_equal(rank[f"init_{i}"], root_init[i])
    expected = _reference(opt_name, root_init, steps, batch)
    # Adam moves every weight by about its learning rate (0.01) times m / sqrt(v), whatever the gradient's size: an
    # all-reduced gradient summed in another order moves a weight whose gradient is nearly zero by ~1e-5 (seen on
    # an AVX2 CPU, 1 element of 3584), so Adam's weights are compared to 1% of its learning rate.
    atol = 1e-4 if opt_name == "adam" else 1e-6
    for step in range(steps):
        for rank in ranks:
            for i in range(n_vars):
                np.testing.assert_allclose(rank[f"step{step}_{i}"], expected[step][i], rtol=1e-5, atol=atol)


@pytest.mark.slow
def test_data_parallel_sgd_equals_whole_batch_training_and_rank0_saves(tmp_path, tf1):
    run_job("mlp", tmp_path, 2, ["opt=sgd", "save=1"])
    ranks = _load(tmp_path, "mlp", 2)
    _check_data_parallel(ranks, "sgd")
    _check_saved(tmp_path, tf1, ranks, data_files=1)
    # Six gradients in one bucket: one all-reduce (plus the job's barrier after the save); broadcasts send on
    # rank 0.
    assert list(ranks[0]["collectives"]).count("CollectiveReduceV2") == 2
    assert set(ranks[0]["collectives"]) == {"CollectiveReduceV2", "CollectiveBcastSendV2"}
    assert set(ranks[1]["collectives"]) == {"CollectiveReduceV2", "CollectiveBcastRecvV2"}
    # TensorFlow imports each rank's graph.
    for r in range(2):
        g = tf1.Graph()
        with g.as_default():
            tf1.train.import_meta_graph(str(tmp_path / f"graph-rank{r}.meta"))
            types = {op.type for op in g.get_operations()}
            assert "CollectiveReduceV2" in types


def _check_saved(tmp_path, tf1, ranks, data_files):
    """Every rank got the same path back, found it with latest_checkpoint and restored it; TensorFlow restores
    it too. ``data_files``: 1 when rank 0 wrote it all, 2 when each rank wrote a shard and rank 0 merged them
    (TF's MergeV2Checkpoints layout, no parts left; every rank finds it as soon as save returns)."""
    ckpt = tmp_path / "ckpt"
    prefix = str(ckpt / "model-3")
    for rank in ranks:
        assert str(rank["saved_path"]) == prefix and str(rank["latest"]) == prefix
        for i in range(6):
            np.testing.assert_array_equal(rank[f"restored_{i}"], ranks[0][f"step{STEPS - 1}_{i}"])
    data = [f"model-3.data-{i:05d}-of-{data_files:05d}" for i in range(data_files)]
    assert sorted(p.name for p in ckpt.iterdir()) == sorted(["checkpoint", "model-3.index", *data, "model-3.meta"])
    reader = tf1.train.load_checkpoint(prefix)
    assert sorted(reader.get_variable_to_shape_map()) == [
        "global_step",
        *(f"{layer}/{v}" for layer in ("hidden1", "hidden2", "softmax_linear") for v in ("biases", "weights")),
    ]
    assert reader.get_tensor("global_step") == STEPS
    g = tf1.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(prefix + ".meta")
        with tf1.Session(graph=g) as sess:
            saver.restore(sess, prefix)
            restored = sess.run(tf1.trainable_variables())
    for i, value in enumerate(restored):
        np.testing.assert_array_equal(value, ranks[0][f"step{STEPS - 1}_{i}"])


@pytest.mark.slow
def test_four_processes_with_adam_equal_whole_batch_training(tmp_path):
    """Small buckets (2 KiB: four all-reduces a step), each started while the backward pass goes on; then
    two process sets of two ranks each, and a TF group of 2 that no process set declares."""
    args = ["opt=adam", "steps=2", "bucket_bytes=2048", "record_order=1", "subgroups=1"]
    run_job("mlp", tmp_path, 4, args, timeout=240)
    ranks = _load(tmp_path, "mlp", 4)
    _check_data_parallel(ranks, "adam", steps=2)
    for r, rank in enumerate(ranks):
        order = list(rank["order"])
        # One training step: the forward and backward products, 4 buckets launched and waited for.
        assert order.count("launch") == 4 and order.count("wait") == 4, order
        last_product = max(i for i, e in enumerate(order) if e == "matmul")
        # The first bucket is launched before the backward pass's last product, and nothing waits before it.
        assert order.index("launch") < last_product < order.index("wait"), order
        pair = [0, 1] if r < 2 else [2, 3]
        assert list(rank["group_keys"]) == [2, 9]
        assert int(rank["set_rank"]) == r % 2
        np.testing.assert_array_equal(rank["set_sum"], [float(sum(pair)), 2.0])
        np.testing.assert_array_equal(rank["set_gather"], pair)
        np.testing.assert_array_equal(rank["set_bcast"], [pair[1], pair[1]])
        assert str(rank["undeclared"]) == (
            "FailedPreconditionError: CollectiveReduceV2 'pair_sum': group_key 5 has group_size 2 but the job has "
            "4 processes and no group of 2 ranks is declared for that key; declare it on every process with "
            "torchmeta.distributed.add_process_set(ranks, group_key=5) (hvd.add_process_set) before running the graph"
        )
        np.testing.assert_array_equal(rank["after"], [4.0])


@pytest.mark.slow
def test_backward_passes_per_step_accumulate_then_all_reduce(tmp_path):
    """Horovod's backward_passes_per_step=2 with average_aggregated_gradients: each rank runs its slice as two
    micro-batches; the first run only accumulates, the second all-reduces and applies (Adam's slots and
    step counts included), which equals whole-batch training step for step."""
    run_job("mlp", tmp_path, 2, ["opt=adam", "passes=2"])
    ranks = _load(tmp_path, "mlp", 2)
    _check_data_parallel(ranks, "adam")
    for rank in ranks:
        before = [rank["init_0"]] + [rank[f"step{s}_0"] for s in range(STEPS - 1)]
        for step in range(STEPS):
            np.testing.assert_array_equal(rank[f"step{step}_pass0_0"], before[step])


@pytest.mark.slow
def test_two_nodes_through_one_rendezvous_train_as_one_job(tmp_path, tf1):
    """Two torchrun launches (as on two machines: --nnodes 2, one process each) meet at a c10d rendezvous;
    they save with Saver(sharded=True): each rank writes a shard, rank 0 merges them as TensorFlow does."""
    endpoint = f"127.0.0.1:{free_port()}"
    launch = ["--nnodes", "2", "--nproc_per_node", "1", "--max-restarts", "0", "--rdzv-id", "two-nodes"]
    launch += ["--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint]
    nodes = [
        torchrun(launch, ["-m", "tests.distributed.jobs", "mlp", str(tmp_path), "opt=sgd", "save=1", "sharded=1"])
        for _ in range(2)
    ]
    codes, outputs = wait_all(nodes, timeout=180)
    assert codes == [0, 0], "\n".join(o[-3000:] for o in outputs)
    ranks = _load(tmp_path, "mlp", 2)
    _check_data_parallel(ranks, "sgd")
    _check_saved(tmp_path, tf1, ranks, data_files=2)
    # rank, size, local_rank, local_size, cross_rank (the node), cross_size (nodes)
    assert sorted(tuple(r["topology"]) for r in ranks) == [(0, 2, 0, 1, 0, 2), (1, 2, 0, 1, 1, 2)]


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="NCCL between 2 processes needs 2 GPUs")
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_nccl_data_parallel_equals_whole_batch_training(tmp_path, opt):
    """The NCCL path: each process on cuda:<local_rank>, the Session's ops there, collectives over NCCL."""
    run_job("mlp", tmp_path, 2, [f"opt={opt}", "save=1"], env={"TORCHMETA_DIST_BACKEND": "nccl"})
    ranks = _load(tmp_path, "mlp", 2)
    _check_data_parallel(ranks, opt)
    assert [str(r["device"]) for r in ranks] == ["cuda:0", "cuda:1"]
    assert [str(r["gpu0"]) for r in ranks] == ["cuda:0", "cuda:1"]


def _tf_collective_graph(tf1, path, rank):
    """The graph TensorFlow builds with its collective ops for process ``rank`` of a job of two (rank 0
    sends the broadcast, rank 1 receives it)."""
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [3], name="x")
        keys = dict(group_size=2, group_key=7)
        tf1.identity(
            tf1.raw_ops.CollectiveReduceV2(
                input=x, instance_key=1, merge_op="Add", final_op="Div", ordering_token=[], **keys
            ),
            name="reduce",
        )
        tf1.identity(tf1.raw_ops.CollectiveGatherV2(input=x, instance_key=2, ordering_token=[], **keys), name="gather")
        if rank == 0:
            bcast = tf1.raw_ops.CollectiveBcastSendV2(input=x, instance_key=3, **keys)
        else:
            bcast = tf1.raw_ops.CollectiveBcastRecvV2(T=tf1.float32, shape=[3], instance_key=3, **keys)
        tf1.identity(bcast, name="bcast")
        tf1.train.export_meta_graph(f"{path}-rank{rank}.meta", graph=g)


@pytest.mark.slow
def test_collectives_across_two_processes(tmp_path, tf1):
    tf_graph = str(tmp_path / "tf_collectives")
    for r in range(2):
        _tf_collective_graph(tf1, tf_graph, r)
    run_job("collectives", tmp_path, 2, [f"tf_graph={tf_graph}"])
    ranks = _load(tmp_path, "collectives", 2)
    xs = [np.arange(6, dtype=np.float32).reshape(2, 3) * (r + 1) - 2 for r in range(2)]
    xis = [np.arange(6, dtype=np.int32).reshape(2, 3) * (r + 1) + r for r in range(2)]
    expected = {
        "sum": xs[0] + xs[1],
        "average": (xs[0] + xs[1]) / 2,
        "min": np.minimum(xs[0], xs[1]),
        "max": np.maximum(xs[0], xs[1]),
        "product": xs[0] * xs[1],
        "int_sum": xis[0] + xis[1],
        "int_average": (xis[0] + xis[1]) // 2,
        "grouped": np.stack([(xs[0] + xs[1]) / 2 * k for k in (1, 2, 3)]),
        "gather": np.array([[0, 0], [1, 1], [1, 1]], np.float32),
        "gather_int64": np.array([0, 1, 10, 11, 12], np.int64),
        "bcast": xs[1],
        "bcast_bool": np.array([True, False]),
        "v1_reduce": xs[0] + xs[1],
        "v1_gather": np.concatenate(xs),
        "v1_bcast": xis[0],
        "tf_reduce": np.array([0.5, 1.5, 2.5], np.float32),
        "tf_gather": np.array([0, 1, 2, 1, 2, 3], np.float32),
        "tf_bcast": np.array([0, 1, 2], np.float32),
    }
    fp16 = (xs[0] / 7).astype(np.float16).astype(np.float32) + (xs[1] / 7).astype(np.float16).astype(np.float32)
    expected["fp16"] = (fp16.astype(np.float16) / np.float16(2)).astype(np.float32)
    # The sparse gradient: rows [1, 3, 3] with weight 1 on rank 0, rows [3, 8] with weight 2 on rank 1,
    # all-gathered and averaged.
    table = np.arange(40, dtype=np.float32).reshape(10, 4)
    for row, weight in [(1, 1), (3, 1), (3, 1), (3, 2), (8, 2)]:
        table[row] -= weight / 2
    expected["table"] = table
    for r, rank in enumerate(ranks):
        for key, value in expected.items():
            got = rank[key]
            assert got.shape == value.shape, (r, key)
            assert got.dtype == value.dtype, (r, key)
            np.testing.assert_allclose(got, value, rtol=1e-5, err_msg=f"rank {r}: {key}")
        assert rank["sparse_grad_is_indexed_slices"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, error",
    [([], "UnavailableError"), (["hang=1", "op_timeout=3"], "DeadlineExceededError")],
    ids=["dead-peer", "silent-peer"],
)
def test_a_failing_rank_makes_the_others_fail_with_an_error(tmp_path, args, error):
    job = Job("crash", tmp_path, 2, args)
    codes, outputs = wait_all(job.procs[:1], timeout=90)
    kill(job.procs[1])  # the silent one sleeps on
    wait_all(job.procs[1:], timeout=10)
    assert codes[0] == 0, outputs[0]
    result = [line for line in outputs[0].splitlines() if line.startswith("RESULT")]
    assert result and result[0].startswith(f"RESULT {error}"), outputs[0]
    assert "at CollectiveReduceV2 'gradients_allreduce'" in result[0]


@pytest.mark.slow
def test_collectives_that_do_not_pair_up_fail_on_every_rank(tmp_path):
    outputs = run_job("mismatch", tmp_path, 2)
    for rank, out in enumerate(outputs):
        results = dict(line.split(" ", 2)[1:] for line in out.splitlines() if line.startswith("RESULT"))
        assert results["keys"].startswith(
            "InternalError: Collective all-reduce: the processes are at different "
            "collectives (rank 0 at all-reduce group_key 1 instance_key 1; rank 1 at "
            "all-reduce group_key 1 instance_key 2)"
        ), results
        assert results["sizes"] == (
            "InvalidArgumentError: Shape mismatch in the collective instance 9 (all-reduce): rank 0 has 4 elements, "
            "rank 1 has 3 elements"
        )
        assert results["two_senders"].startswith(
            "InvalidArgumentError: Collective broadcast instance 20 needs "
            "exactly one sending process; ranks [0, 1] send"
        ), results
        assert results["kinds"] == (
            f"InternalError: Collective {['all-reduce', 'broadcast'][rank]}: the processes are at different "
            "collectives (rank 0 at "
            "all-reduce group_key 1 instance_key 22; rank 1 at broadcast group_key 1 instance_key 30); every "
            "process must run the same collectives in the same order"
        ), results
        assert results["exchange"].startswith(
            f"InternalError: Collective {['Saver.save of model', 'all-gather'][rank]}: the processes are at "
            "different collectives (rank 0 at an exchange outside the graph (Saver.save); rank 1 at all-gather "
            "group_key 1 instance_key "
        ), results
        assert results["after"] == results["last"] == "[1.0, 1.0, 1.0]"  # the job goes on


@pytest.mark.slow
@pytest.mark.parametrize("sharded, victim", [(0, 0), (1, 1)], ids=["rank0-writes", "sharded-worker"])
def test_a_killed_writer_leaves_the_latest_checkpoint_restorable(tmp_path, tf1, sharded, victim):
    """SIGKILL the writer (rank 0), or with sharded saves the other rank (it writes a shard), mid-loop."""
    job = Job("save_loop", tmp_path, 2, [f"sharded={sharded}"])
    state = tmp_path / "checkpoint"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (state.exists() and "model-3" in state.read_text()):
        time.sleep(0.05)
    kill(job.procs[victim])  # wherever it is, likely in the middle of a save
    codes, outputs = job.wait(timeout=60)
    survivor = 1 - victim
    assert codes[survivor] == 0 and "RESULT UnavailableError" in outputs[survivor], outputs[survivor]
    latest = tf1.train.latest_checkpoint(str(tmp_path))
    step = int(latest.rsplit("-", 1)[1])
    assert step >= 3
    # Every checkpoint on disk is whole: its index and all its data files.
    for index in tmp_path.glob("model-*.index"):
        n = 2 if sharded else 1
        for i in range(n):
            assert (tmp_path / f"{index.stem}.data-{i:05d}-of-{n:05d}").exists()
    g = tf1.Graph()
    with g.as_default():
        v = tf1.Variable(tf1.zeros([400, 400]), name="v")
        w = tf1.Variable(tf1.zeros([400, 400]), name="w")
        with tf1.Session(graph=g) as sess:
            tf1.train.Saver().restore(sess, latest)
            np.testing.assert_array_equal(sess.run(v), np.full([400, 400], step, np.float32))
            np.testing.assert_array_equal(sess.run(w), np.full([400, 400], -step, np.float32))


@pytest.mark.slow
def test_to_module_trains_data_parallel_and_rank0_saves_for_tf(tmp_path, tf1):
    """DDP, then FSDP2 (fully_shard; FSDP1 refuses a CPU-only machine), over to_module's module."""
    run_job("to_module", tmp_path, 2)
    for wrap in ("ddp", "fsdp"):
        _check_to_module(tmp_path, tf1, wrap)


def _check_to_module(tmp_path, tf1, wrap):
    ranks = _load(tmp_path, wrap, 2)
    # The same model trained in one process on whole batches.
    with tm.Graph().as_default() as graph:
        tm.set_random_seed(7)
        mlp_graph(tm)
        logits = graph.get_operation_by_name("softmax_linear/add").outputs[0]
        module = tm.to_module(graph, inputs=["images:0"], outputs=[logits])
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    for x, y in batches(STEPS, BATCH):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        optimizer.step()
    expected = [getattr(module, attr).detach().numpy() for attr in module.tf_variable_names]
    for rank in ranks:
        assert str(rank["prefix"]) == str(tmp_path / wrap / "model")
        for i, value in enumerate(expected):
            np.testing.assert_allclose(rank[f"var_{i}"], value, rtol=1e-5, atol=1e-6)
    g = tf1.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(str(tmp_path / wrap / "model.meta"))
        with tf1.Session(graph=g) as sess:
            saver.restore(sess, str(tmp_path / wrap / "model"))
            restored = sess.run(tf1.trainable_variables())
    for i, value in enumerate(restored):
        np.testing.assert_array_equal(value, ranks[0][f"var_{i}"])


def test_single_process_api_is_a_job_of_one():
    hvd.init()
    try:
        assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)
        with tm.Graph().as_default():
            x = tm.constant([1.0, 2.0])
            ops = [hvd.allreduce(x), hvd.allgather(x), hvd.broadcast(x, 0)]
            assert [op.op.type for op in ops] == ["CollectiveReduceV2", "CollectiveGatherV2", "CollectiveBcastSendV2"]
            with tm.Session() as sess:
                for value in sess.run(ops):
                    np.testing.assert_array_equal(value, [1.0, 2.0])
            # A job of one adds no collectives to the optimizer's graph, as Horovod's.
            v = tm.Variable([1.0])
            opt = hvd.DistributedOptimizer(tm.train.GradientDescentOptimizer(0.5))
            opt.minimize(tm.reduce_sum(v * v))
            types = [op.type for op in tm.get_default_graph().get_operations()]
            assert types.count("CollectiveReduceV2") == 1
    finally:
        hvd.shutdown()


def test_errors_before_init_and_for_bad_arguments(monkeypatch):
    with pytest.raises(tm.errors.FailedPreconditionError, match="init"):
        hvd.rank()
    with pytest.raises(tm.errors.InvalidArgumentError, match="rank 3 is not in"):
        hvd.init(rank=3, size=2)
    with pytest.raises(tm.errors.InvalidArgumentError, match="backend 'mpi' is not"):
        hvd.init(backend="mpi")
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(tm.errors.InvalidArgumentError, match="WORLD_SIZE='two' is not an integer"):
        hvd.init()
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(tm.errors.InvalidArgumentError, match="needs this process's rank"):
        hvd.init()
    monkeypatch.setenv("RANK", "1")
    with pytest.raises(tm.errors.InvalidArgumentError, match="needs MASTER_ADDR and MASTER_PORT"):
        hvd.init()
    monkeypatch.delenv("WORLD_SIZE")
    monkeypatch.delenv("RANK")
    hvd.init()
    try:
        with tm.Graph().as_default():
            with pytest.raises(tm.errors.InvalidArgumentError, match="dtype string"):
                hvd.allreduce(tm.constant(["a"]))
            with pytest.raises(tm.errors.UnimplementedError, match="Adasum"):
                hvd.allreduce(tm.constant([1.0]), op="Adasum")
            with pytest.raises(tm.errors.InvalidArgumentError, match="backward_passes_per_step must be > 0, not 0"):
                hvd.DistributedOptimizer(tm.train.GradientDescentOptimizer(0.1), backward_passes_per_step=0)
            with pytest.raises(tm.errors.InvalidArgumentError, match="was not added with add_process_set"):
                hvd.allreduce(tm.constant([1.0]), process_set=hvd.ProcessSet([0]))
            recv = tm.raw_ops.CollectiveBcastRecvV2(group_size=1, group_key=1, instance_key=1, shape=[2], T=tm.float32)
            two = tm.raw_ops.CollectiveReduceV2(
                input=tm.constant([1.0]),
                group_size=2,
                group_key=1,
                instance_key=2,
                ordering_token=[],
                merge_op="Add",
                final_op="Id",
            )
            with tm.Session() as sess:
                with pytest.raises(tm.errors.InvalidArgumentError, match="no process sends"):
                    sess.run(recv)
                with pytest.raises(tm.errors.FailedPreconditionError, match="torchrun"):
                    sess.run(two)
    finally:
        hvd.shutdown()


def test_gradients_travel_in_buckets_per_dtype():
    hvd.init()
    try:
        with tm.Graph().as_default():
            values = [np.full([4], i, np.float32) for i in range(5)] + [np.arange(3, dtype=np.int64)]
            tensors = [tm.constant(v) for v in values]
            tensors.append(tm.placeholder_with_default(np.ones([2], np.float32), [None]))  # unknown shape: alone
            # 16-byte float tensors in 40-byte buckets: [0, 1], [2, 3], [4]; the int64 one and the unknown one alone.
            out = hvd.grouped_allreduce(tensors, bucket_bytes=40)
            reduces = [op for op in tm.get_default_graph().get_operations() if op.type == "CollectiveReduceV2"]
            assert len(reduces) == 5
            assert [op.inputs[0].shape.as_list()[0] for op in reduces] == [8, 8, 4, 3, None]
            with tm.Session() as sess:
                got = sess.run(out)
            for g, v in zip(got, [*values, np.ones([2], np.float32)]):
                assert g.dtype == v.dtype
                np.testing.assert_array_equal(g, v)
    finally:
        hvd.shutdown()


def test_a_bucket_is_all_reduced_while_the_backward_pass_goes_on():
    """The Session's program (a job of one, the same code path): each bucket's all-reduce is launched as soon
    as its gradients exist, before the backward pass's last product, and waited for only where its values
    are read, after every bucket is launched."""
    hvd.init()
    try:
        with tm.Graph().as_default():
            images, labels, loss, _ = mlp_graph(tm)
            opt = tm.train.GradientDescentOptimizer(0.1)
            grads_and_vars = opt.compute_gradients(loss)
            reduced = hvd.grouped_allreduce([g for g, _ in grads_and_vars], bucket_bytes=2048)
            train = opt.apply_gradients(zip(reduced, [v for _, v in grads_and_vars]))
            with tm.Session() as sess:
                sess.run(tm.global_variables_initializer())
                x, y = next(batches(1, 8))
                sess.run(train, {images: x, labels: y})
                (code,) = [gm.code for gm in sess._compiled_modules() if "Collective" in gm.code]
        lines = code.splitlines()

        def first(text):
            return next(i for i, line in enumerate(lines) if text in line)

        starts = [i for i, line in enumerate(lines) if "start_collective_reduce_v2(" in line]
        waits = [i for i, line in enumerate(lines) if "lowering_wait_for(" in line]
        products = [i for i, line in enumerate(lines) if "mat_mul(" in line]
        # a step's updates of one kind run as one grouped call (runtime/update_groups.py), placed where the last ran
        updates = [i for i, line in enumerate(lines) if "apply_gradient_descent(" in line or "grouped_update(" in line]
        assert len(starts) == len(waits) == 4
        assert starts[0] < products[-1] < waits[0]  # launched while the backward pass goes on
        assert max(starts) < min(waits) and max(waits) < max(updates)  # every bucket in flight before any wait
        # The last bucket launched holds the first layer's weights: the call that updates them waits for it.
        assert starts[-1] == first("CollectiveReduceV2_3 = ")
        (hidden1_update,) = [i for i in updates if "hidden1_weights" in lines[i]]
        assert first("CollectiveReduceV2_3_wait") < hidden1_update
    finally:
        hvd.shutdown()


def test_horovod_gpu_recipe_maps_the_graphs_gpus():
    """``config.gpu_options.visible_device_list = str(hvd.local_rank())`` (Horovod's TF1 recipe) is accepted and
    maps the graph's /GPU:i to CUDA devices as TF does; on this CPU-only machine a GPU op still needs soft
    placement. (Under NCCL without a list, /GPU:0 is cuda:<local_rank>: test_nccl_data_parallel_...)"""
    hvd.init()
    try:
        config = tm.ConfigProto(allow_soft_placement=True)
        config.gpu_options.allow_growth = True
        config.gpu_options.visible_device_list = str(hvd.local_rank())
        with tm.Graph().as_default():
            with tm.device("/gpu:0"):
                x = tm.constant([1.0, 2.0]) * 2.0
            with tm.Session(config=config) as sess:
                np.testing.assert_array_equal(sess.run(x), [2.0, 4.0])
                assert [sess._cuda_index(i) for i in range(2)] == [0, None]
        listed = tm.Session(config=tm.ConfigProto(gpu_options=tm.GPUOptions(visible_device_list="3,1")))
        assert [listed._cuda_index(i) for i in range(3)] == [3, 1, None]
        assert tm.Session()._cuda_index(2) == 2  # no list, no NCCL job: /GPU:i is cuda:i
        with pytest.raises(tm.errors.InvalidArgumentError, match="visible_device_list"):
            tm.Session(config=tm.ConfigProto(gpu_options=tm.GPUOptions(visible_device_list="a")))._cuda_index(0)
    finally:
        hvd.shutdown()
