"""tf.train.ClusterSpec, replica_device_setter and basic_train_loop against TensorFlow's."""

from __future__ import annotations

import pytest

import torchmeta as tm
from tests.train.helpers import outcome

pytest.importorskip("tensorflow")

CLUSTERS = [
    {"ps": ["ps0:2222", "ps1:2222"], "worker": ["w0:2222", "w1:2222", "w2:2222"]},
    {"worker": {1: "w1:2222", 3: "w3:2222"}, "ps": ("p:1",)},
    {"chief": [], "ps": [b"p:1"]},
]


def _observe_spec(train, cluster):
    spec = train.ClusterSpec(cluster)
    copy = train.ClusterSpec(spec)
    from_def = train.ClusterSpec(spec.as_cluster_def())
    return {
        "repr": repr(spec),
        "dict": spec.as_dict(),
        "jobs": spec.jobs,
        "bool": bool(spec),
        "def": spec.as_cluster_def().SerializeToString(deterministic=True),
        "copies": [copy.as_dict(), from_def.as_dict(), repr(from_def)],
        "eq": [spec == cluster, spec != cluster],
        "tasks": {job: (outcome(spec.num_tasks, job), spec.task_indices(job)) for job in spec.jobs},
        "job_tasks": {job: outcome(spec.job_tasks, job) for job in spec.jobs},
        "errors": [
            outcome(spec.num_tasks, "nope"),
            outcome(spec.task_address, "ps", 7),
            outcome(spec.task_address, "nope", 0),
            outcome(spec.job_tasks, "nope"),
            outcome(spec.task_indices, "nope"),
        ],
    }


@pytest.mark.parametrize("cluster", CLUSTERS, ids=["lists", "sparse", "empty-job"])
def test_cluster_spec_like_tensorflow(tf1, cluster):
    assert _observe_spec(tm.train, cluster) == _observe_spec(tf1.train, cluster)


@pytest.mark.parametrize("bad", [["a"], {"ps": "p:1"}, {"ps": [3]}, {3: ["p:1"]}], ids=str)
def test_cluster_spec_errors_like_tensorflow(tf1, bad):
    expected = outcome(tf1.train.ClusterSpec, bad)
    assert expected[0] == "TypeError"
    assert outcome(tm.train.ClusterSpec, bad) == expected


def _placed(tf, **kwargs):
    """The devices replica_device_setter gives a small model's nodes (and None where it returns None)."""
    with tf.Graph().as_default() as graph:
        setter = tf.train.replica_device_setter(**kwargs)
        if setter is None:
            return None
        with tf.device(setter):
            w = tf.Variable(tf.zeros([2, 2]), name="w")
            b = tf.get_variable("b", [2], initializer=tf.zeros_initializer(), use_resource=True)
            with tf.device("/job:ps/task:1"):
                pinned = tf.Variable(1.0, name="pinned")
            with tf.device("/cpu:0"):
                v = tf.Variable(2.0, name="v")
            with tf.device("/job:other"):
                y = tf.matmul(w, w) + b + pinned + v
            tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y))
        return {node.name: node.device for node in graph.as_graph_def().node}


SETTERS = {
    "tasks": {"ps_tasks": 2},
    "cluster": {"cluster": CLUSTERS[0], "worker_device": "/job:worker/task:1"},
    "cluster-spec-gpu": {"cluster": "spec", "worker_device": "/job:worker/task:0/gpu:0"},
    "no-merge": {"ps_tasks": 3, "merge_devices": False},
    "strategy": {"ps_tasks": 2, "ps_strategy": lambda op: 1, "ps_device": "/job:ps/cpu:0"},
    "no-ps-job": {"cluster": {"worker": ["w:1"]}},
    "no-ps-tasks": {},
}


@pytest.mark.parametrize("case", sorted(SETTERS))
def test_replica_device_setter_like_tensorflow(tf1, case):
    def kwargs(train):
        out = dict(SETTERS[case])
        if out.get("cluster") == "spec":
            out["cluster"] = train.ClusterSpec(CLUSTERS[0])
        return out

    expected = _placed(tf1, **kwargs(tf1.train))
    assert _placed(tm, **kwargs(tm.train)) == expected
    assert (expected is None) == case.startswith("no-ps")


def test_replica_device_setter_rejects_a_strategy_that_is_not_callable(tf1):
    expected = outcome(tf1.train.replica_device_setter, ps_tasks=1, ps_strategy=3)
    assert outcome(tm.train.replica_device_setter, ps_tasks=1, ps_strategy=3) == expected == ("TypeError", expected[1])


class _Supervisor:
    """What basic_train_loop asks of a Supervisor; the first managed session is lost (AbortedError)."""

    def __init__(self, tf, log):
        self.tf, self.log, self.sessions, self.steps = tf, log, 0, 0

    def managed_session(self, master):
        import contextlib

        @contextlib.contextmanager
        def session():
            self.sessions += 1
            self.log.append(("session", master))
            yield self.sessions

        return session()

    def should_stop(self):
        return self.steps >= 4


def _loop(tf):
    log = []
    supervisor = _Supervisor(tf, log)

    def step(sess, scale, offset=0):
        supervisor.steps += 1
        log.append(("step", sess, scale, offset))
        if supervisor.steps == 2:
            raise tf.errors.AbortedError(None, None, "lost")

    tf.train.basic_train_loop(supervisor, step, args=[3], kwargs={"offset": 1}, master="local")
    return log


def test_basic_train_loop_like_tensorflow(tf1):
    assert _loop(tm) == _loop(tf1)
