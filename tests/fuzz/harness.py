"""The fuzz runner: mutates seed files, feeds them to the targets under a memory cap and a time limit.

    PYTHONPATH=$PWD python -m tests.fuzz.harness TARGET [TARGET...] --runs N [--seconds S]
    PYTHONPATH=$PWD python -m tests.fuzz.harness TARGET --atheris --runs N --summary out.json

- Each process caps its address space (``RLIMIT_AS``: what the imports took plus ``--memory-mb``) and arms
  a per-input CPU-time limit (``--timeout``; wall clock: ten times that): a raw Python exception, a timeout or a memory error is a finding.
- Without ``--atheris`` inputs come from a deterministic mutator (``--seed``): bit flips, interesting
  integers, inserted/deleted/duplicated ranges, splices of two seeds, and for text targets token edits
  (numbers, brackets, lines). With ``--atheris`` libFuzzer's coverage-guided mutator drives the target
  (torchmeta's bytecode instrumented), and runs do not stop at a finding.
- Findings are written once per (exception type, innermost torchmeta frame) to
  ``tests/fuzz/regressions/<target>/``; ``tests/fuzz/test_fuzz.py`` replays every file there.
- The last line printed is a JSON summary: inputs run and findings per target.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class InputTimeout(BaseException):
    """The per-input time limit ran out (a BaseException, so ``except Exception`` in the code does not eat it)."""


WALL_FACTOR = 10  # the wall-clock limit per input, in multiples of the CPU-time limit


def _on_alarm(signum, frame):
    raise InputTimeout


def cap_memory(extra_mb: int) -> int:
    """Caps the address space at its current size plus ``extra_mb``; returns the cap in bytes."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    cap = pages * os.sysconf("SC_PAGE_SIZE") + extra_mb * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return cap


def classify(exc: BaseException) -> str | None:
    """None for an acceptable outcome (a torchmeta error), else a key naming the kind of finding."""
    from tests.fuzz.targets import Finding
    from torchmeta import errors

    if isinstance(exc, errors.TorchMetaError) and not isinstance(exc, Finding):
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    where = "?"
    for frame in reversed(frames):
        if f"{os.sep}torchmeta{os.sep}" in frame.filename or f"{os.sep}converters{os.sep}" in frame.filename:
            where = f"{os.path.relpath(frame.filename, _REPO)}:{frame.lineno}"
            break
    kind = "timeout" if isinstance(exc, InputTimeout) else type(exc).__name__
    if isinstance(exc, Finding):
        where = str(exc)[:80]
    return f"{kind} at {where}"


class Runner:
    """Runs one target's inputs in a scratch directory, with the timer, recording findings."""

    def __init__(self, target, timeout: float, save: bool = True):
        self.target = target
        self.timeout = timeout
        self.save = save
        self.runs = 0
        self.findings: dict[str, str] = {}  # key -> file (or the input's hash when not saved)
        self.started = time.monotonic()
        self.summary_path = None
        self._scratch = tempfile.mkdtemp(
            prefix=f"fuzz-{target.name}-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
        )
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.signal(signal.SIGPROF, _on_alarm)

    def close(self):
        shutil.rmtree(self._scratch, ignore_errors=True)

    def summary(self) -> dict:
        return {"runs": self.runs, "seconds": round(time.monotonic() - self.started, 1), "findings": self.findings}

    def report(self) -> None:
        """Writes the summary so far to ``summary_path`` (when set) as JSON."""
        if self.summary_path:
            with open(self.summary_path, "w") as f:
                json.dump({self.target.name: self.summary()}, f, sort_keys=True)

    def run(self, data: bytes) -> str | None:
        """Runs one input; returns the finding's key or None."""
        work = os.path.join(self._scratch, "w")
        if os.path.exists(work):
            shutil.rmtree(work, ignore_errors=True)
        os.mkdir(work)
        self.runs += 1
        key = None
        try:
            # The limit is CPU time (the machine's load does not turn a normal input into a finding); a
            # wall-clock limit WALL_FACTOR times longer catches a hang that burns no CPU.
            signal.setitimer(signal.ITIMER_PROF, self.timeout)
            signal.setitimer(signal.ITIMER_REAL, self.timeout * WALL_FACTOR)
            try:
                self.target.fn(data, work)
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.setitimer(signal.ITIMER_REAL, 0)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            key = classify(exc)
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-8))
        if key is not None and key not in self.findings:
            self.findings[key] = self._record(data, key, detail)
        return key

    def _record(self, data: bytes, key: str, detail: str) -> str:
        digest = hashlib.sha1(data).hexdigest()[:16]
        if not self.save:
            return digest
        os.makedirs(self.target.regression_dir, exist_ok=True)
        path = os.path.join(self.target.regression_dir, f"{digest}.bin")
        with open(path, "wb") as f:
            f.write(data)
        with open(path[: -len(".bin")] + ".txt", "w") as f:
            f.write(f"{key}\n\n{detail}")
        return path


# -- the deterministic mutator ---------------------------------------------------------------------------------

_INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 31, (1 << 63) - 1, (1 << 64) - 1]
_TOKENS = [b"0", b"-1", b"4294967296", b"99999999999999999999", b"1e308", b"{", b"}", b"[", b"]", b'"', b":", b"\n"]
_NUMBER = re.compile(rb"-?\d+")


def mutate(rng: random.Random, data: bytes, other: bytes, text: bool) -> bytes:
    """One to four stacked random edits of ``data`` (``other``: another seed, for splicing)."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        op = rng.randrange(10 if text else 8)
        n = len(buf)
        pos = rng.randrange(n) if n else 0
        if op == 0 and n:  # flip a bit
            buf[pos] ^= 1 << rng.randrange(8)
        elif op == 1 and n:  # a random or interesting byte
            buf[pos] = rng.choice((rng.randrange(256), 0, 0xFF, 0x7F, 0x80))
        elif op == 2 and n:  # an interesting integer, little-endian or as a varint
            value = rng.choice(_INTERESTING)
            width = rng.choice((1, 2, 4, 8, 0))
            if width:
                raw = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
            else:
                raw = bytearray()
                while True:
                    byte, value = value & 0x7F, value >> 7
                    raw.append(byte | (0x80 if value else 0))
                    if not value:
                        break
            buf[pos : pos + len(raw)] = raw
        elif op == 3 and n:  # delete a range
            del buf[pos : pos + rng.choice((1, 2, 4, 16, 256))]
        elif op == 4:  # insert random bytes
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.choice((1, 2, 4, 8))))
        elif op == 5 and n:  # duplicate a range
            end = min(n, pos + rng.choice((2, 8, 64, 512)))
            buf[pos:pos] = buf[pos:end] * rng.choice((1, 2, 16))
        elif op == 6 and n:  # truncate
            del buf[pos:]
        elif op == 7 and other:  # splice with another seed
            cut = rng.randrange(len(other))
            buf = buf[:pos] + bytearray(other[cut:])
        elif op == 8:  # text: replace a number
            matches = list(_NUMBER.finditer(buf))
            if matches:
                m = rng.choice(matches)
                buf[m.start() : m.end()] = rng.choice(
                    [b"0", b"-1", b"65536", b"4294967296", b"3000000000", b"99999999999999999999", b"300"]
                )
        elif op == 9:  # text: a token, or a line duplicated / deleted
            lines = bytes(buf).split(b"\n")
            i = rng.randrange(len(lines))
            choice = rng.randrange(3)
            if choice == 0:
                buf[pos:pos] = rng.choice(_TOKENS)
            elif choice == 1:
                lines.insert(i, lines[i])
                buf = bytearray(b"\n".join(lines))
            else:
                del lines[i]
                buf = bytearray(b"\n".join(lines))
        if len(buf) > 1 << 20:
            del buf[1 << 20 :]
    return bytes(buf)


def fuzz_builtin(runner: Runner, runs: int, seconds: float, seed: int) -> None:
    seeds = runner.target.seeds()
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    for data in seeds:  # the seeds themselves must pass
        runner.run(data)
    while runner.runs < runs and time.monotonic() < deadline:
        base = rng.choice(seeds)
        runner.run(mutate(rng, base, rng.choice(seeds), runner.target.text))


def fuzz_atheris(runner: Runner, runs: int, seconds: float, seed: int) -> None:
    import atheris

    corpus = tempfile.mkdtemp(prefix=f"corpus-{runner.target.name}-")
    for i, data in enumerate(runner.target.seeds()):
        with open(os.path.join(corpus, f"seed{i}"), "wb") as f:
            f.write(data)

    def one(data: bytes):
        runner.run(data)
        if runner.runs % 1000 == 0 or runner.runs >= runs:
            runner.report()  # libFuzzer ends the process with exit(): report as we go

    # libFuzzer's own limits are off: the runner's timer and RLIMIT_AS apply, and findings do not stop it.
    args = [
        sys.argv[0],
        f"-runs={runs}",
        f"-max_total_time={int(seconds)}",
        f"-seed={seed}",
        "-timeout=0",
        "-rss_limit_mb=0",
        "-malloc_limit_mb=0",
        "-max_len=262144",
        "-print_final_stats=1",
        # libFuzzer's own slow-unit/crash files go to the scratch corpus, not the working directory; the
        # runner's timer decides what is a timeout finding.
        f"-artifact_prefix={corpus}{os.sep}",
        corpus,
    ]
    atheris.Setup(args, one)
    try:
        atheris.Fuzz()
    except SystemExit:
        pass
    finally:
        shutil.rmtree(corpus, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="target names (default: all)")
    parser.add_argument("--runs", type=int, default=2000, help="inputs per target")
    parser.add_argument("--seconds", type=float, default=1e9, help="time budget per target")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="CPU seconds per input (wall clock: ten times that)"
    )
    parser.add_argument("--memory-mb", type=int, default=3072, help="address space allowed beyond the imports")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--atheris", action="store_true", help="coverage-guided (libFuzzer) instead of the mutator")
    parser.add_argument("--no-save", action="store_true", help="do not write findings under tests/fuzz/regressions")
    parser.add_argument("--summary", help="also write the JSON summary to this file (updated as an atheris run goes)")
    args = parser.parse_args(argv)
    if args.atheris and len(args.targets) != 1:
        parser.error("--atheris fuzzes one target per process (libFuzzer ends the process)")
    logging.disable(logging.CRITICAL)  # bad state files are logged and ignored, as in TensorFlow

    if args.atheris:
        import atheris

        # atheris's import hook consults an editable install's finder before sys.path: fuzz this checkout.
        sys.meta_path[:] = [
            f for f in sys.meta_path if "EditableFinder" not in getattr(f, "__name__", type(f).__name__)
        ]
        with atheris.instrument_imports(include=["torchmeta", "converters"]):
            import torchmeta
    else:
        import torchmeta  # noqa: F401
    from tests.fuzz.targets import TARGETS

    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if getattr(module, "__name__", "").startswith(("torchmeta", "converters")) and not path.startswith(_REPO):
            parser.error(f"{module.__name__} was imported from {path}, not from {_REPO}")

    names = args.targets or list(TARGETS)
    # Warm every target once (lazy imports inside torchmeta) before capping memory.
    for name in names:
        warm = Runner(TARGETS[name], timeout=60, save=False)
        with contextlib.suppress(Exception):
            warm.run(TARGETS[name].seeds()[0])
        warm.close()
    cap_memory(args.memory_mb)
    summary = {}
    for name in names:
        runner = Runner(TARGETS[name], args.timeout, save=not args.no_save)
        runner.summary_path = args.summary
        try:
            (fuzz_atheris if args.atheris else fuzz_builtin)(runner, args.runs, args.seconds, args.seed)
        finally:
            runner.close()
        summary[name] = runner.summary()
        print(f"{name}: {runner.runs} inputs, {len(runner.findings)} findings", file=sys.stderr, flush=True)
        for key, where in runner.findings.items():
            print(f"  {key} -> {where}", file=sys.stderr, flush=True)
    print(json.dumps(summary, sort_keys=True))
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, sort_keys=True)
    return 1 if any(s["findings"] for s in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
