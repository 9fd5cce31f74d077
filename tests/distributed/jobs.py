"""The programs the distributed tests run, one process per rank (launched by tests/distributed/launch.py or
torchrun): ``python -m tests.distributed.jobs JOB OUT_DIR [key=value ...]``.

Each rank writes what the test checks to ``OUT_DIR/<job>-rank<r>.npz`` (or prints it); the test process,
which has TensorFlow, compares.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

torch.set_num_threads(1)

import torchmeta as tf  # noqa: E402
import torchmeta.horovod as hvd  # noqa: E402
from tests.distributed.models import batches, mlp_graph  # noqa: E402
from torchmeta.ops import collective_ops  # noqa: E402

ARGS: dict = {}


def arg(name, default):
    value = ARGS.get(name, default)
    return type(default)(value) if not isinstance(value, type(default)) else value


def out_path(out, name):
    return os.path.join(out, f"{name}-rank{hvd.rank()}.npz")


def train_mlp(out):
    """The seed MLP, data-parallel: each rank starts from its own random values, the hook broadcasts rank
    0's, then ``steps`` steps on rank r's slice of each global batch; variables after every step."""
    opt_name, steps, batch = arg("opt", "sgd"), arg("steps", 3), arg("batch", 8)
    n, r = hvd.size(), hvd.rank()
    with tf.Graph().as_default():
        tf.set_random_seed(1000 + r)  # different values per rank until the broadcast
        images, labels, loss, variables = mlp_graph(tf)
        opt = tf.train.GradientDescentOptimizer(0.1) if opt_name == "sgd" else tf.train.AdamOptimizer(0.01)
        passes = arg("passes", 1)  # backward passes per step: the rank's slice in that many micro-batches
        opt = hvd.DistributedOptimizer(
            opt,
            bucket_bytes=arg("bucket_bytes", 1 << 20),
            backward_passes_per_step=passes,
            average_aggregated_gradients=True,
        )
        train_op = opt.minimize(loss, global_step=tf.train.get_or_create_global_step())
        bcast = hvd.BroadcastGlobalVariablesHook(0)
        bcast.begin()
        saver = tf.train.Saver(format="tf", sharded=bool(arg("sharded", 0)))
        record = {}
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            for i, v in enumerate(sess.run(variables)):
                record[f"own_init_{i}"] = v
            bcast.after_create_session(sess, None)
            for i, v in enumerate(sess.run(variables)):
                record[f"init_{i}"] = v
            for step, (x, y) in enumerate(batches(steps, batch)):
                part = slice(r * batch // n, (r + 1) * batch // n)
                if arg("record_order", 0) and step == 1:  # step 0 lowered the graph; record a plain step
                    with _ExecutionOrder() as order:
                        sess.run(train_op, {images: x[part], labels: y[part]})
                    record["order"] = np.array(order.events)
                else:
                    for p in range(passes):
                        micro = slice(
                            part.start + p * batch // n // passes, part.start + (p + 1) * batch // n // passes
                        )
                        sess.run(train_op, {images: x[micro], labels: y[micro]})
                        if p < passes - 1:  # an accumulating run leaves the variables as they were
                            record[f"step{step}_pass{p}_0"] = sess.run(variables[0])
                for i, v in enumerate(sess.run(variables)):
                    record[f"step{step}_{i}"] = v
            if arg("save", 0):
                ckpt_dir = os.path.join(out, "ckpt")
                os.makedirs(ckpt_dir, exist_ok=True)
                path = saver.save(sess, os.path.join(ckpt_dir, "model"), global_step=steps)
                if not arg("sharded", 0):  # rank 0 wrote alone: wait for it (a sharded save returns complete)
                    hvd.allreduce(tf.constant(0.0)).eval()
                record["saved_path"] = np.array(path)
                record["latest"] = np.array(tf.train.latest_checkpoint(ckpt_dir))
                sess.run(tf.global_variables_initializer())
                saver.restore(sess, tf.train.latest_checkpoint(ckpt_dir))
                for i, v in enumerate(sess.run(variables)):
                    record[f"restored_{i}"] = v
        record["device"] = np.array(str(hvd.device()))
        with tf.device("/gpu:0"):  # the graph's GPU 0 is this process's own GPU (cuda:<local_rank> under NCCL)
            pinned = tf.constant(1.0, name="pinned")
        with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
            record["gpu0"] = np.array(str(sess._op_device(pinned.op)))
        record["topology"] = np.array(
            [hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size(), hvd.cross_rank(), hvd.cross_size()]
        )
        record["collectives"] = np.array(
            sorted(op.type for op in tf.get_default_graph().get_operations() if op.type.startswith("Collective"))
        )
        tf.train.export_meta_graph(os.path.join(out, f"graph-rank{r}.meta"))
    if arg("subgroups", 0):
        record.update(_subgroups())
    np.savez(out_path(out, "mlp"), **record)


class _ExecutionOrder(torch.overrides.TorchFunctionMode):
    """Records, in order, the matrix products computed (the MatMul kernels: torch.mm), each all-reduce launched
    (torch.distributed.all_reduce) and each wait for one (the Work's wait)."""

    def __enter__(self):
        self.events = []
        self._all_reduce = torch.distributed.all_reduce
        events = self.events

        class Work:
            def __init__(self, work):
                self.work = work

            def wait(self, *args, **kwargs):
                events.append("wait")
                return self.work.wait(*args, **kwargs)

        def all_reduce(*args, **kwargs):
            events.append("launch")
            return Work(self._all_reduce(*args, **kwargs))

        torch.distributed.all_reduce = all_reduce
        return super().__enter__()

    def __exit__(self, *exc):
        torch.distributed.all_reduce = self._all_reduce
        return super().__exit__(*exc)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("mm", "matmul", "addmm"):
            self.events.append("matmul")
        return func(*args, **(kwargs or {}))


def _subgroups():
    """Process sets {0, 1} and {2, 3} (Horovod's): each all-reduces within itself, through TF's collective
    ops with its group_key; a TF collective naming a group of 2 that nobody declared fails at once."""
    r = hvd.rank()
    pairs = [hvd.add_process_set([0, 1]), hvd.add_process_set([2, 3], group_key=9)]
    mine = pairs[r // 2]
    record = {"group_keys": np.array([p.group_key for p in pairs]), "set_rank": np.array(mine.rank())}
    with tf.Graph().as_default():
        total = hvd.allreduce(tf.constant([float(r), 1.0]), op=hvd.Sum, process_set=mine)
        gathered = hvd.allgather(tf.constant([r]), process_set=mine)
        bcast = hvd.broadcast(tf.constant([r, r]), root_rank=mine.ranks[1], process_set=mine)
        undeclared = tf.raw_ops.CollectiveReduceV2(
            input=tf.ones([2]),
            group_size=2,
            group_key=5,
            instance_key=1,
            ordering_token=[],
            merge_op="Add",
            final_op="Id",
            name="pair_sum",
        )
        with tf.Session() as sess:
            record["set_sum"], record["set_gather"], record["set_bcast"] = sess.run([total, gathered, bcast])
            try:
                sess.run(undeclared)
                record["undeclared"] = np.array("no error")
            except tf.errors.OpError as e:
                record["undeclared"] = np.array(f"{type(e).__name__}: {e.message}")
            # the job goes on: a collective over everyone after the failure
            record["after"] = sess.run(hvd.allreduce(tf.constant([1.0]), op=hvd.Sum))
    return record


def collectives(out):
    """hvd's builders and TF's collective ops (V2 and V1, and a graph TensorFlow built) across the job."""
    n, r = hvd.size(), hvd.rank()
    record = {}
    with tf.Graph().as_default():
        x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3) * (r + 1) - 2)
        xi = tf.constant(np.arange(6, dtype=np.int32).reshape(2, 3) * (r + 1) + r)
        ops = {
            "sum": hvd.allreduce(x, op=hvd.Sum),
            "average": hvd.allreduce(x),
            "min": hvd.allreduce(x, op=hvd.Min),
            "max": hvd.allreduce(x, op=hvd.Max),
            "product": hvd.allreduce(x, op=hvd.Product),
            "int_sum": hvd.allreduce(xi, op=hvd.Sum),
            "int_average": hvd.allreduce(xi, average=True),
            "fp16": hvd.allreduce(x / 7.0, compression=hvd.Compression.fp16),
            "grouped": tf.stack(hvd.grouped_allreduce([x, 2 * x, 3 * x], bucket_bytes=48)),
            "gather": hvd.allgather(tf.fill([r + 1, 2], float(r))),
            "gather_int64": hvd.allgather(tf.constant([10 * r + i for i in range(r + 2)], tf.int64)),
            "bcast": hvd.broadcast(x, root_rank=n - 1),
            "bcast_bool": hvd.broadcast(tf.constant([r == 0, r == 1]), root_rank=0),
            "v1_reduce": tf.raw_ops.CollectiveReduce(
                input=x, group_size=n, group_key=2, instance_key=101, merge_op="Add", final_op="Id", subdiv_offsets=[0]
            ),
            "v1_gather": tf.raw_ops.CollectiveGather(
                input=x, group_size=n, group_key=2, instance_key=102, shape=[2, 3]
            ),
        }
        if r == 0:
            ops["v1_bcast"] = tf.raw_ops.CollectiveBcastSend(
                input=xi, group_size=n, group_key=2, instance_key=103, shape=[2, 3]
            )
        else:
            ops["v1_bcast"] = tf.raw_ops.CollectiveBcastRecv(
                T=tf.int32, group_size=n, group_key=2, instance_key=103, shape=[2, 3]
            )
        # A sparse gradient: rows looked up on each rank (a different number per rank) are all-gathered.
        table = tf.Variable(np.arange(40, dtype=np.float32).reshape(10, 4), name="table")
        ids = tf.constant([1, 3, 3] if r == 0 else [3, 7 + r % 3])
        loss = tf.reduce_sum(tf.nn.embedding_lookup(table, ids) * float(r + 1))
        opt = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(1.0))
        grads = opt.compute_gradients(loss, [table])
        record["sparse_grad_is_indexed_slices"] = np.array(isinstance(grads[0][0], tf.IndexedSlices))
        train = opt.apply_gradients(grads)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            # Every process runs the collectives in the same order: one op per run here.
            for key in sorted(ops):
                record[key] = sess.run(ops[key])
            sess.run(train)
            record["table"] = sess.run(table)
        if arg("tf_graph", ""):
            with tf.Graph().as_default():
                tf.train.import_meta_graph(f"{arg('tf_graph', '')}-rank{r}.meta")
                with tf.Session() as sess:
                    feed = {"x:0": np.array([r, r + 1, r + 2], np.float32)}
                    for name in ("reduce", "gather", "bcast"):
                        record[f"tf_{name}"] = sess.run(f"{name}:0", feed)
    np.savez(out_path(out, "collectives"), **record)


def crash(out):
    """Rank 1 dies (or, with hang=1, stays alive without joining); rank 0 runs an all-reduce and reports."""
    r = hvd.rank()
    with tf.Graph().as_default():
        x = tf.raw_ops.CollectiveReduceV2(
            input=tf.ones([4]),
            group_size=hvd.size(),
            group_key=1,
            instance_key=1,
            ordering_token=[],
            merge_op="Add",
            final_op="Id",
            timeout_seconds=float(arg("op_timeout", 0.0)),
            name="gradients_allreduce",
        )
        if r == 1:
            if arg("hang", 0):
                time.sleep(120)  # alive but silent; the test kills it
            os._exit(3)
        start = time.monotonic()
        try:
            with tf.Session() as sess:
                sess.run(x)
            print("RESULT no error")
        except tf.errors.OpError as e:
            where = f"{e.op.type} '{e.op.name}'" if e.op is not None else "no node"
            print(f"RESULT {type(e).__name__} after {time.monotonic() - start:.1f} s at {where}: {e.message}")
        os._exit(0)  # the process group is broken: skip its shutdown


def mismatch(out):
    """Collectives that do not pair up: every rank prints the error it gets (all of them must fail alike)."""
    r = hvd.rank()
    with tf.Graph().as_default():
        cases = {
            "keys": dict(input=tf.ones([4]), instance_key=1 + r),
            "sizes": dict(input=tf.ones([4 - r]), instance_key=9),
        }
        ops = {
            name: tf.raw_ops.CollectiveReduceV2(
                group_size=hvd.size(), group_key=1, ordering_token=[], merge_op="Add", final_op="Id", **kw
            )
            for name, kw in cases.items()
        }
        ops["two_senders"] = tf.raw_ops.CollectiveBcastSendV2(
            input=tf.ones([2]), group_size=hvd.size(), group_key=1, instance_key=20
        )
        ops["after"] = hvd.allreduce(tf.fill([3], float(r)), op=hvd.Sum)  # instance keys alike on both ranks
        # different kinds: rank 0 all-reduces while rank 1 broadcasts
        ops["kinds"] = (
            hvd.allreduce(tf.ones([2]), op=hvd.Sum)
            if r == 0
            else tf.raw_ops.CollectiveBcastSendV2(
                input=tf.ones([2]), group_size=hvd.size(), group_key=1, instance_key=30
            )
        )
        gather = hvd.allgather(tf.ones([1]))
        with tf.Session() as sess:
            for name in ["keys", "sizes", "two_senders", "kinds", "after"]:
                try:
                    print(f"RESULT {name} {sess.run(ops[name]).tolist()}", flush=True)
                except tf.errors.OpError as e:
                    print(f"RESULT {name} {type(e).__name__}: {e.message}", flush=True)
            # rank 0 exchanges outside the graph (a sharded save) while rank 1 all-gathers
            try:
                if r == 0:
                    collective_ops.exchange("Saver.save of model", 0)
                else:
                    sess.run(gather)
                print("RESULT exchange no error", flush=True)
            except tf.errors.OpError as e:
                print(f"RESULT exchange {type(e).__name__}: {e.message}", flush=True)
            print(f"RESULT last {sess.run(ops['after']).tolist()}", flush=True)


def save_loop(out):
    """Step s: the variables are filled with s, then every rank saves (rank 0 writes; with sharded=1 each
    rank writes one of the two variables and rank 0 merges) and waits for the others; runs until the test
    kills a rank. The other prints the error it gets then."""
    with tf.Graph().as_default():
        var = tf.Variable(tf.zeros([400, 400]), name="v")
        var2 = tf.Variable(tf.zeros([400, 400]), name="w")
        step = tf.placeholder(tf.float32, [])
        assign = tf.group(tf.assign(var, tf.fill([400, 400], step)), tf.assign(var2, tf.fill([400, 400], -step)))
        barrier = hvd.allreduce(tf.constant(0.0), name="barrier")
        saver = tf.train.Saver(format="tf", max_to_keep=3, sharded=bool(arg("sharded", 0)))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            try:
                for s in range(1, 10_000):
                    sess.run(assign, {step: float(s)})
                    saver.save(sess, os.path.join(out, "model"), global_step=s, write_meta_graph=False)
                    sess.run(barrier)
            except tf.errors.OpError as e:
                print(f"RESULT {type(e).__name__}: {e.message[:200]}", flush=True)
                os._exit(0)


def to_module_job(out):
    """The seed MLP as a torch module (to_module) in DistributedDataParallel or FSDP (fully_shard), trained
    with torch.optim on rank r's slice of each batch; every rank then saves, rank 0 writes."""
    for wrap in ("ddp", "fsdp"):
        _train_module(out, wrap)


def _train_module(out, wrap):
    steps, batch = arg("steps", 3), arg("batch", 8)
    n, r = hvd.size(), hvd.rank()
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(7)
        mlp_graph(tf)
        logits = graph.get_operation_by_name("softmax_linear/add").outputs[0]
        module = tf.to_module(graph, inputs=["images:0"], outputs=[logits])
    if wrap == "ddp":
        model = torch.nn.parallel.DistributedDataParallel(module)
    else:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        model = fully_shard(module, mesh=init_device_mesh("cpu", (n,)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in batches(steps, batch):
        part = slice(r * batch // n, (r + 1) * batch // n)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x[part])), torch.from_numpy(y[part]))
        loss.backward()
        optimizer.step()
    with graph.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.assign_from_module(sess, model)
        prefix = tf.train.Saver(format="tf").save(sess, os.path.join(out, wrap, "model"))
        values = sess.run(tf.trainable_variables())
    np.savez(out_path(out, wrap), prefix=np.array(prefix), **{f"var_{i}": v for i, v in enumerate(values)})


def main(argv):
    job, out = argv[0], argv[1]
    ARGS.update(a.split("=", 1) for a in argv[2:])
    hvd.init(timeout=arg("timeout", 120))
    try:
        JOBS[job](out)
    finally:
        hvd.shutdown()


JOBS = {
    "mlp": train_mlp,
    "collectives": collectives,
    "crash": crash,
    "save_loop": save_loop,
    "mismatch": mismatch,
    "to_module": to_module_job,
}

if __name__ == "__main__":
    t0 = time.time()
    main(sys.argv[1:])
