"""OPS.md is generated from the registry and kept current (regenerate: python -m torchmeta.ops.support)."""

from pathlib import Path

from torchmeta.ops.support import support_table


def test_ops_md_is_current():
    path = Path(__file__).resolve().parents[2] / "OPS.md"
    assert path.read_text(encoding="utf-8") == support_table() + "\n", "run: python -m torchmeta.ops.support"
