"""torchmeta-safetensors2tf: a ``.safetensors`` checkpoint to a TensorFlow V2 checkpoint.

Usage: ``torchmeta-safetensors2tf SRC DST_PREFIX [--progress]``

TF dtypes come from torchmeta's metadata (or the safetensors dtype codes for other files); partitioned
variables saved by torchmeta are written back as their original slices, in name order as TensorFlow's
Saver writes, so a TF -> safetensors -> TF round trip of a Saver checkpoint gives the same bytes.
Exit codes: 0 done, 1 missing or corrupt input (one line on stderr naming the file), 2 usage.
"""

from __future__ import annotations

import argparse

from converters._cli import ProgressBar, add_progress_flags, make_parent_dirs, run
from torchmeta.dtypes import DType
from torchmeta.io import BundleWriter, SafetensorsReader, index_filename


def convert(src: str, dst: str, *, progress: bool | None = None) -> list[str]:
    """Converts the safetensors checkpoint ``src`` to a V2 checkpoint at prefix ``dst``; returns its files."""
    with SafetensorsReader(src) as reader:
        names = reader.keys()
        with (
            ProgressBar(sum(reader.nbytes(n) for n in names), "converting", progress) as bar,
            BundleWriter(dst) as writer,
        ):
            for name in names:
                dtype = reader.get_dtype(name)
                slices = reader.get_tensor_slices(name)
                if slices:
                    shape = reader.get_shape(name)
                    for s in slices:
                        writer.add_slice(name, shape, s, reader.get_slice(name, s), dtype=dtype)
                elif dtype is DType.string or dtype.torch is None:
                    writer.add(name, reader.get_tensor(name), dtype=dtype)
                else:
                    writer.add(name, reader.get_tensor_torch(name), dtype=dtype)  # memory-mapped, streamed
                bar.update(reader.nbytes(name))
    return [index_filename(dst), f"{dst}.data-00000-of-00001"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchmeta-safetensors2tf",
        description="Convert a .safetensors checkpoint to a TensorFlow V2 checkpoint (DST.index + DST.data-*).",
    )
    parser.add_argument("src", help="safetensors file or prefix (PREFIX.safetensors)")
    parser.add_argument("dst", help="output checkpoint prefix, e.g. /ckpt/model-1000")
    add_progress_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    def body(args):
        make_parent_dirs(args.dst)
        files = convert(args.src, args.dst, progress=args.progress)
        print("wrote " + " ".join(files))
        return 0

    return run(build_parser(), body, argv)


if __name__ == "__main__":
    raise SystemExit(main())
