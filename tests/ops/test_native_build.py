"""Every native kernel builds where a C compiler is present. Where one cannot be built, its callers fall back to
torch and its own tests skip ("no C compiler"), so a C file that stops compiling would otherwise go unnoticed:
this test turns that into a failure showing the compiler's message."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pytest

from torchmeta.ops import native_build

_MODULES = ("batch_norm", "depthwise", "gradient_sum", "lrn", "philox", "pool", "tanh", "training", "xent")
_OPS = Path(native_build.__file__).parent


def test_every_c_file_is_a_library_of_one_module():
    sources = {importlib.import_module(f"torchmeta.ops.{m}_native").library.source.name for m in _MODULES}
    assert sources == {p.name for p in _OPS.glob("_*.c")}


@pytest.mark.parametrize("name", _MODULES)
def test_the_native_kernel_builds_where_a_compiler_is_present(name, tmp_path):
    compiler = native_build.find_compiler()
    if compiler is None or not native_build.enabled():
        pytest.skip("no C compiler (or TORCHMETA_NATIVE=0): the torch path runs")
    library = importlib.import_module(f"torchmeta.ops.{name}_native").library
    if library.available():
        return
    # not built: compile it here to show why (the cached build discards the compiler's output)
    result = subprocess.run(
        [compiler, *native_build.FLAGS, "-o", str(tmp_path / "lib.so"), str(library.source), "-lm"],
        capture_output=True,
        text=True,
        check=False,
    )
    pytest.fail(f"{library.source.name} did not build or load:\n{result.stderr[-4000:]}")
