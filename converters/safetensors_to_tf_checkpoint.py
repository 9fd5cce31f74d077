"""torchmeta-safetensors2tf: ``torchmeta convert SRC DST --to tf`` under its old name.

Usage: ``torchmeta-safetensors2tf SRC DST_PREFIX [--progress|--no-progress|--quiet]``

TF dtypes come from torchmeta's metadata (or the safetensors dtype codes for other files); partitioned
variables saved by torchmeta are written back as their original slices, in name order as TensorFlow's
Saver writes, so a TF -> safetensors -> TF round trip of a Saver checkpoint gives the same bytes.
Exit codes: 0 done, 1 missing or corrupt input (one line on stderr naming the file), 2 usage.
"""

from __future__ import annotations

from torchmeta.cli import alias_main
from torchmeta.tools.convert import safetensors_to_tf as convert

__all__ = ["convert", "main"]


def main(argv: list[str] | None = None) -> int:
    return alias_main("torchmeta-safetensors2tf", argv)


if __name__ == "__main__":
    raise SystemExit(main())
