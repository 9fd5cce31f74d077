"""The op support table (OPS.md), generated from the registry: ``python -m torchmeta.ops.support``."""

from __future__ import annotations

import sys
from pathlib import Path

import torchmeta.ops  # noqa: F401 - registers every op
from torchmeta.framework import registry
from torchmeta.ops.unregistered import UNREGISTERED

__all__ = ["support_table", "main"]


def _gradient(info) -> str:
    if info.gradient is registry.NOT_DIFFERENTIABLE:
        return "not differentiable"
    if info.gradient is registry.NO_REGISTERED_GRADIENT:
        return "none in TF (LookupError)"
    if info.gradient is None:
        return "—"
    return "yes"


def support_table() -> str:
    """Markdown listing every registered op: family module, kernel, shape function, gradient."""
    ops = registry.registered_ops()
    families: dict[str, list] = {}
    for name, info in ops.items():
        module = info.kernel.__module__ if info.kernel is not None else "torchmeta.ops"
        families.setdefault(module.rsplit(".", 1)[-1], []).append((name, info))
    lines = [
        "# Supported TensorFlow ops",
        "",
        "Generated from torchmeta's op registry by `python -m torchmeta.ops.support` (a test keeps it current).",
        "Every op's signature equals the OpDef TensorFlow 2.21 registers; forward results and gradients are",
        "tested against TensorFlow (tests/ops).",
        "",
        f"{len(ops)} ops in {len(families)} families.",
        "",
    ]
    for family in sorted(families):
        entries = sorted(families[family])
        lines += [
            f"## {family} ({len(entries)})",
            "",
            "| op | kernel | shape function | gradient |",
            "|---|---|---|---|",
        ]
        for name, info in entries:
            kernel = "yes" if info.kernel is not None else "—"
            shape = "yes" if info.shape_fn is not None else "—"
            lines.append(f"| {name} | {kernel} | {shape} | {_gradient(info)} |")
        lines.append("")
    lines += [
        f"## Peer converter ops not registered ({len(UNREGISTERED)})",
        "",
        "Op types a peer converter (tf2onnx, tf2jax, tfjs, tract) accepts that torchmeta does not register, and why",
        "(torchmeta/ops/unregistered.py; tests/ops/test_peer_op_coverage.py keeps the list honest).",
        "",
        "| op | reason |",
        "|---|---|",
    ]
    lines += [f"| {name} | {reason} |" for name, reason in sorted(UNREGISTERED.items())]
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "OPS.md"
    target.write_text(support_table() + "\n", encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
