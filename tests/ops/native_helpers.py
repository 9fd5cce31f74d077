"""How the native-kernel tests choose a path: the native kernel (skipped where it cannot be built) or the torch
path, as without a C compiler (TORCHMETA_NATIVE=0). One place for every native kernel's tests (batch
norm, depthwise, pooling, optimizer updates, cross entropy, ...): each module's ``native_build.Library`` is switched
the same way."""

from __future__ import annotations

import contextlib

import pytest


def require_native(module) -> None:
    """Skips the test where ``module``'s native kernel cannot be built (no C compiler)."""
    if not module.available():
        pytest.skip("no C compiler: the native kernel cannot be built")


def use_torch_path(module, monkeypatch) -> None:
    """``module``'s kernel as if it could not be loaded, until the test ends."""
    monkeypatch.setattr(module.library, "lib", None)
    monkeypatch.setattr(module.library, "tried", True)


def choose_path(module, monkeypatch, path: str) -> None:
    """``path`` "native" (skipped where it cannot be built) or "torch"."""
    if path == "torch":
        use_torch_path(module, monkeypatch)
    else:
        require_native(module)


@contextlib.contextmanager
def torch_path(module):
    """Within: ``module``'s torch path (for a reference computed beside the native kernel in one test)."""
    library = module.library
    saved = library.lib, library.tried
    library.lib, library.tried = None, True
    try:
        yield
    finally:
        library.lib, library.tried = saved


def fixtures(module):
    """The ``native`` and ``without_native`` fixtures of a native-kernel test module, for ``module``."""

    @pytest.fixture
    def native():
        """The native kernel, built with the system C compiler (skips where none can be built)."""
        require_native(module)

    @pytest.fixture
    def without_native(monkeypatch):
        """The torch path, as without a C compiler (TORCHMETA_NATIVE=0)."""
        use_torch_path(module, monkeypatch)

    return native, without_native
