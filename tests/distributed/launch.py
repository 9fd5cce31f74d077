"""Starting a job of N local processes for a test, each bounded by a timeout (no process outlives a test)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_env(extra=None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    env.setdefault("TORCHMETA_DIST_BACKEND", "gloo")  # the NCCL tests ask for it
    env.update(extra or {})
    return env


class Job:
    """N processes ``python -m tests.distributed.jobs JOB OUT ...`` with torchrun's environment."""

    def __init__(self, job, out, nprocs, args=(), env=None):
        port = free_port()
        self.procs = []
        for rank in range(nprocs):
            rank_env = {
                "RANK": str(rank),
                "WORLD_SIZE": str(nprocs),
                "LOCAL_RANK": str(rank),
                "LOCAL_WORLD_SIZE": str(nprocs),
                "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": str(port),
                **(env or {}),
            }
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.distributed.jobs", job, str(out), *args],
                    cwd=ROOT,
                    env=worker_env(rank_env),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
            )

    def wait(self, timeout):
        """(return codes, outputs); kills every process still running after ``timeout`` seconds."""
        return wait_all(self.procs, timeout)


def torchrun(torchrun_args, command, env=None):
    """``torchrun <torchrun_args> <command>`` (a script and its arguments, or ``-m module ...``) in its own
    process group (killed as a whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", *torchrun_args, *command],
        cwd=ROOT,
        env=worker_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_all(procs, timeout):
    """(return codes, outputs) of Popens; kills those still running after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    outputs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            kill(p)
            out, _ = p.communicate()
            out += f"\n[killed after {timeout} s]"
        outputs.append(out)
    return [p.returncode for p in procs], outputs


def kill(p):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, signal.SIGKILL)


def run_job(job, out, nprocs, args=(), timeout=120, env=None):
    """Runs a job to its end; fails the test with every rank's output unless all ranks exit 0."""
    codes, outputs = Job(job, out, nprocs, args, env).wait(timeout)
    if any(codes):
        text = "\n".join(f"--- rank {r} (exit {c}) ---\n{o[-3000:]}" for r, (c, o) in enumerate(zip(codes, outputs)))
        raise AssertionError(f"job {job} failed:\n{text}")
    return outputs
