"""torchmeta-inspect: ``torchmeta show CHECKPOINT`` under its old name (like TF's inspect_checkpoint).

Usage: ``torchmeta-inspect PREFIX [--tensor NAME ...] [--all-tensors] [--summarize N]``

Prints one row per tensor: name, dtype, shape and size in bytes, then a total. ``--tensor`` prints that
tensor's values (reading them checks its crc), ``--all-tensors`` every tensor's values.
Exit codes: 0 done, 1 missing or corrupt input / unknown tensor (one line on stderr), 2 usage.
"""

from __future__ import annotations

from torchmeta.cli import alias_main
from torchmeta.tools.convert import describe_checkpoint as describe

__all__ = ["describe", "main"]


def main(argv: list[str] | None = None) -> int:
    return alias_main("torchmeta-inspect", argv)


if __name__ == "__main__":
    raise SystemExit(main())
