"""torchmeta-tf2safetensors: a TensorFlow V2 checkpoint to a ``<prefix>.safetensors`` checkpoint.

Usage: ``torchmeta-tf2safetensors SRC_PREFIX DST_PREFIX [--metadata KEY=VALUE ...] [--progress]``

Every tensor's bytes are checked (crc32c) on the way; TF dtypes, partitioned variables (stored whole, their
slices recorded) and string tensors are kept, so ``torchmeta-safetensors2tf`` gives the checkpoint back.
Exit codes: 0 done, 1 missing or corrupt input (one line on stderr naming the file), 2 usage.
"""

from __future__ import annotations

import argparse

from converters._cli import ProgressBar, add_progress_flags, make_parent_dirs, run
from torchmeta.dtypes import DType
from torchmeta.io import CheckpointReader, checkpoint_prefix, safetensors_filename, save_safetensors


def convert(src: str, dst: str, *, metadata: dict[str, str] | None = None, progress: bool | None = None) -> str:
    """Converts the V2 checkpoint at ``src`` to ``<dst>.safetensors``; returns the file written."""
    with CheckpointReader(checkpoint_prefix(src)) as reader:
        names = reader.keys()
        tensors = {}
        dtypes = {}
        with ProgressBar(sum(reader.nbytes(n) for n in names), "reading", progress) as bar:
            for name in names:
                dtype = reader.get_dtype(name)
                slices = reader.get_tensor_slices(name)
                if slices:
                    shape = reader.get_shape(name)
                    tensors[name] = [(reader.get_slice(name, s), s.to_spec(shape)) for s in slices]
                elif dtype is DType.string or dtype.torch is None:
                    tensors[name] = reader.get_tensor(name)
                else:
                    tensors[name] = reader.get_tensor_torch(name)  # memory-mapped, crc-checked
                dtypes[name] = dtype
                bar.update(reader.nbytes(name))
        return save_safetensors(dst, tensors, metadata, dtypes=dtypes)


def _metadata_item(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"wants KEY=VALUE, got {item!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchmeta-tf2safetensors",
        description="Convert a TensorFlow V2 checkpoint (PREFIX.index + PREFIX.data-*) to PREFIX.safetensors.",
    )
    parser.add_argument("src", help="checkpoint prefix, e.g. /ckpt/model-1000 (or one of its files)")
    parser.add_argument("dst", help="output prefix; writes DST.safetensors")
    parser.add_argument(
        "--metadata",
        action="append",
        default=[],
        type=_metadata_item,
        metavar="KEY=VALUE",
        help="extra header metadata",
    )
    add_progress_flags(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    def body(args):
        make_parent_dirs(args.dst)
        path = convert(args.src, args.dst, metadata=dict(args.metadata), progress=args.progress)
        print(f"wrote {safetensors_filename(path)}")
        return 0

    return run(build_parser(), body, argv)


if __name__ == "__main__":
    raise SystemExit(main())
