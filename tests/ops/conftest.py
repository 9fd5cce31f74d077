"""Fixtures shared by the op tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def native(monkeypatch):
    """The native kernel, built with the system C compiler (skips without one, as CUDA tests do without a GPU)."""
    import shutil

    from torchmeta.ops import philox_native

    if not (shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")):
        pytest.skip("needs a C compiler")
    monkeypatch.setenv("TORCHMETA_NATIVE", "1")
    monkeypatch.setattr(philox_native.library, "lib", None)
    monkeypatch.setattr(philox_native.library, "tried", False)
    assert philox_native.available()
    return philox_native
