"""The code base is ruff-clean (lint and format), as configured in pyproject.toml.

Without ruff the test skips, except under CI (``CI`` set to true), where a missing linter is a failure.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> str | None:
    """ruff on PATH, else the one installed next to this Python (a venv not activated)."""
    found = shutil.which("ruff")
    if found is None:
        found = shutil.which("ruff", path=str(Path(sys.executable).parent))
    return found


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff(args):
    ruff = _ruff()
    if ruff is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("ruff is not installed, and CI must lint: pip install -e '.[test]'")
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
