"""torchmeta-inspect: list a checkpoint's tensors (TensorFlow V2 or safetensors), like TF's inspect_checkpoint.

Usage: ``torchmeta-inspect PREFIX [--tensor NAME ...] [--all-tensors] [--summarize N]``

Prints one row per tensor: name, dtype, shape and size in bytes, then a total. ``--tensor`` prints that
tensor's values (reading them checks its crc), ``--all-tensors`` every tensor's values.
Exit codes: 0 done, 1 missing or corrupt input / unknown tensor (one line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from converters._cli import format_bytes, run
from torchmeta.io import CheckpointReader, open_checkpoint


def describe(reader) -> list[tuple[str, str, str, int]]:
    """``(name, dtype, shape, bytes)`` for every tensor of an open checkpoint reader."""
    rows = []
    for name in reader:
        shape = reader.get_shape(name)
        rows.append((name, reader.get_dtype(name).name, "[" + ", ".join(map(str, shape)) + "]", reader.nbytes(name)))
    return rows


def _print_values(reader, name: str, summarize: int, out):
    value = reader.get_tensor(name)
    print(f"tensor_name:  {name}", file=out)
    if summarize < 0:
        options = {"threshold": sys.maxsize}
    else:
        options = {"threshold": summarize, "edgeitems": max(1, min(3, summarize // 2))}
    with np.printoptions(**options):
        print(value, file=out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchmeta-inspect",
        description="List the tensors of a checkpoint (TensorFlow V2 or safetensors): name, dtype, shape, bytes.",
    )
    parser.add_argument("prefix", help="checkpoint prefix (model-1000), one of its files, or a .safetensors file")
    parser.add_argument("--tensor", action="append", default=[], metavar="NAME", help="print this tensor's values")
    parser.add_argument("--all-tensors", action="store_true", help="print every tensor's values")
    parser.add_argument(
        "--summarize", type=int, default=1000, metavar="N", help="print at most about N values per tensor (-1: all)"
    )
    return parser


def main(argv: list[str] | None = None, out=None) -> int:
    out = out or sys.stdout

    def body(args):
        with open_checkpoint(args.prefix) as reader:
            if args.tensor or args.all_tensors:
                for name in reader.keys() if args.all_tensors else args.tensor:
                    _print_values(reader, name, args.summarize, out)
                return 0
            rows = describe(reader)
            widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(("name", "dtype", "shape"))]
            print(f"{'name':<{widths[0]}}  {'dtype':<{widths[1]}}  {'shape':<{widths[2]}}  bytes", file=out)
            for name, dtype, shape, nbytes in rows:
                print(f"{name:<{widths[0]}}  {dtype:<{widths[1]}}  {shape:<{widths[2]}}  {nbytes}", file=out)
            total = sum(r[3] for r in rows)
            kind = (
                f"TensorFlow V2 checkpoint, {reader.num_shards} shard(s)"
                if isinstance(reader, CheckpointReader)
                else "safetensors checkpoint"
            )
            print(f"# {len(rows)} tensors, {total} bytes ({format_bytes(total)}); {kind}", file=out)
        return 0

    return run(build_parser(), body, argv)


if __name__ == "__main__":
    raise SystemExit(main())
