"""torchmeta-tf2safetensors: ``torchmeta convert SRC DST --to safetensors`` under its old name.

Usage: ``torchmeta-tf2safetensors SRC_PREFIX DST_PREFIX [--metadata KEY=VALUE ...] [--progress|--no-progress|--quiet]``

Every tensor's bytes are checked (crc32c) on the way; TF dtypes, partitioned variables (stored whole, their
slices recorded) and string tensors are kept, so ``torchmeta-safetensors2tf`` gives the checkpoint back.
Exit codes: 0 done, 1 missing or corrupt input (one line on stderr naming the file), 2 usage.
"""

from __future__ import annotations

from torchmeta.cli import alias_main
from torchmeta.tools.convert import tf_to_safetensors as convert

__all__ = ["convert", "main"]


def main(argv: list[str] | None = None) -> int:
    return alias_main("torchmeta-tf2safetensors", argv)


if __name__ == "__main__":
    raise SystemExit(main())
