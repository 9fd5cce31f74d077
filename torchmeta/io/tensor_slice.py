"""Tensor slices of partitioned variables: TensorFlow's slice specs, TensorSliceProto and slice keys.

A slice names one extent per dimension, either ``start,length`` or ``-`` (the whole dimension).
SaveV2 / RestoreV2 take it as a ``shape_and_slice`` string: the full shape, then the slice, e.g.
``"4 2 0,2:-"`` (rows 0-1 of a 4x2 tensor). In a V2 bundle each stored slice gets its own entry, keyed by
an OrderedCode string (see :func:`encode_tensor_name_slice`), and the full tensor's entry lists the slices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from torchmeta import errors
from torchmeta._proto import tensor_slice_pb2

__all__ = [
    "TensorSlice",
    "resolve_slice_spec",
    "decode_tensor_name_slice",
    "encode_tensor_name_slice",
    "parse_shape_and_slice",
]

_FULL = -1  # TensorSlice::kFullExtent
_SPECIAL = re.compile(rb"[\x00\xff]")
_ESCAPES = {b"\x00": b"\x00\xff", b"\xff": b"\xff\x00"}


class TensorSlice:
    """A slice of a tensor: one ``(start, length)`` per dimension, ``length=None`` for a whole dimension.

    Example:
      >>> s = TensorSlice.parse("0,2:-")
      >>> s.shape_in((4, 2)), s.to_spec((4, 2)), s.indices((4, 2))
      ((2, 2), '4 2 0,2:-', (slice(0, 2, None), slice(0, 2, None)))
    """

    __slots__ = ("extents",)

    def __init__(self, extents: Sequence[tuple[int, int | None]]):
        self.extents = tuple((int(s), None if n is None or n == _FULL else int(n)) for s, n in extents)
        for start, length in self.extents:
            if start < 0 or (length is not None and length < 0):
                raise errors.InvalidArgumentError(None, None, f"Invalid tensor slice extent {start},{length}")

    @classmethod
    def full(cls, rank: int) -> TensorSlice:
        return cls([(0, None)] * rank)

    @classmethod
    def parse(cls, text: str) -> TensorSlice:
        """Parses ``"0,2:-"`` (TensorFlow's TensorSlice::Parse); ``""`` is a rank-0 slice."""
        if text == "":
            return cls([])
        extents = []
        for part in text.split(":"):
            if part == "-":
                extents.append((0, None))
                continue
            pieces = part.split(",")
            try:
                if len(pieces) != 2:
                    raise ValueError
                extents.append((int(pieces[0]), int(pieces[1])))
            except ValueError:
                raise errors.InvalidArgumentError(
                    None, None, f"Expected a pair of numbers or '-' but got '{part}': string = {text}"
                ) from None
        return cls(extents)

    @classmethod
    def from_proto(cls, proto) -> TensorSlice:
        return cls([(e.start, e.length if e.HasField("length") else None) for e in proto.extent])

    def to_proto(self, proto=None):
        """Fills (or returns a new) TensorSliceProto, as TensorSlice::AsProto does."""
        proto = tensor_slice_pb2.TensorSliceProto() if proto is None else proto
        for start, length in self.extents:
            extent = proto.extent.add()
            extent.start = start
            if length is not None:
                extent.length = length
        return proto

    @property
    def rank(self) -> int:
        return len(self.extents)

    def is_full(self) -> bool:
        """True when every extent is ``-`` (TensorSlice::IsFull)."""
        return all(length is None for _, length in self.extents)

    def covers(self, shape: Sequence[int]) -> bool:
        """True when this slice selects the whole of a tensor of ``shape``."""
        return self.rank == len(shape) and all(
            length is None or (start == 0 and length == dim) for (start, length), dim in zip(self.extents, shape)
        )

    def bounds(self, shape: Sequence[int]) -> list[tuple[int, int]]:
        """``[(start, stop)]`` per dimension within a tensor of ``shape``."""
        return [(s, dim if n is None else s + n) for (s, n), dim in zip(self.extents, shape)]

    def shape_in(self, shape: Sequence[int]) -> tuple[int, ...]:
        """The shape this slice has inside a tensor of ``shape``.

        Raises:
          errors.InvalidArgumentError: rank differs, or the slice goes past the tensor's bounds.
        """
        if self.rank != len(shape):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Mismatching ranks: shape = {list(shape)}, slice = {self}",
            )
        out = []
        for (start, length), dim in zip(self.extents, shape):
            if length is None:
                out.append(dim)
            elif start + length > dim:
                raise errors.InvalidArgumentError(
                    None, None, f"Extent in dimension {len(out)} out of bounds: shape = {list(shape)}, slice = {self}"
                )
            else:
                out.append(length)
        return tuple(out)

    def indices(self, shape: Sequence[int]) -> tuple[slice, ...]:
        """numpy/torch indexing that selects this slice of a tensor of ``shape``."""
        return tuple(slice(a, b) for a, b in self.bounds(shape))

    def intersect(self, other: TensorSlice, shape: Sequence[int]) -> TensorSlice | None:
        """The overlap of two slices of a tensor of ``shape``, or None when they are disjoint."""
        extents = []
        for (a0, a1), (b0, b1) in zip(self.bounds(shape), other.bounds(shape)):
            lo, hi = max(a0, b0), min(a1, b1)
            if lo >= hi:
                return None
            extents.append((lo, hi - lo))
        return TensorSlice(extents)

    def relative_to(self, outer: TensorSlice, shape: Sequence[int]) -> tuple[slice, ...]:
        """Indexing of this slice within the sub-tensor that ``outer`` (which contains it) selects."""
        return tuple(slice(a - o, b - o) for (a, b), (o, _) in zip(self.bounds(shape), outer.bounds(shape)))

    def num_elements(self, shape: Sequence[int]) -> int:
        n = 1
        for a, b in self.bounds(shape):
            n *= b - a
        return n

    def to_spec(self, shape: Sequence[int]) -> str:
        """The ``shape_and_slice`` string SaveV2/RestoreV2 take, e.g. ``"4 2 0,2:-"``."""
        return " ".join([*(str(int(d)) for d in shape), str(self)])

    def __str__(self):
        return ":".join("-" if n is None else f"{s},{n}" for s, n in self.extents)

    def __repr__(self):
        return f"TensorSlice({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, TensorSlice) and self.extents == other.extents

    def __hash__(self):
        return hash(self.extents)


def parse_shape_and_slice(text: str) -> tuple[tuple[int, ...], TensorSlice] | None:
    """Parses a SaveV2/RestoreV2 ``shape_and_slice`` string; ``""`` (a whole tensor) gives None.

    Raises:
      errors.InvalidArgumentError: malformed text, TensorFlow's wording.
    """
    if text == "":
        return None
    parts = text.split(" ")
    if len(parts) < 2:
        raise errors.InvalidArgumentError(
            None, None, f"Expected at least 2 space-separated tokens in shape_and_slice: {text!r}"
        )
    try:
        shape = tuple(int(p) for p in parts[:-1])
    except ValueError:
        raise errors.InvalidArgumentError(None, None, f"Non numerical dimension in shape_and_slice: {text!r}") from None
    if any(d < 0 for d in shape):
        raise errors.InvalidArgumentError(None, None, f"Negative dimension in shape_and_slice: {text!r}")
    tensor_slice = TensorSlice.parse(parts[-1])
    if tensor_slice.rank != len(shape):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Expected {len(shape)} slice dimensions, got {tensor_slice.rank} in shape_and_slice: {text!r}",
        )
    tensor_slice.shape_in(shape)  # bounds check
    return shape, tensor_slice


def resolve_slice_spec(shape: Sequence[int], spec: str | TensorSlice, name: str = "") -> TensorSlice:
    """The slice a reader's ``get_slice`` is asked for, checked against the stored tensor's ``shape``.

    ``spec`` is a ``shape_and_slice`` (``"4 2 0,2:-"``, whose shape must equal ``shape``), just a slice
    (``"0,2:-"``), ``""`` (the whole tensor) or a :class:`TensorSlice`.

    Raises:
      errors.InvalidArgumentError: the spec is malformed or does not fit ``shape``.
    """
    shape = tuple(shape)
    if isinstance(spec, TensorSlice):
        wanted = spec
    elif " " in spec:
        full_shape, wanted = parse_shape_and_slice(spec)
        if full_shape != shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Slice spec {spec!r} is for a tensor of shape {list(full_shape)}, but {name} has shape {list(shape)}",
            )
    elif spec == "":
        wanted = TensorSlice.full(len(shape))
    else:
        wanted = TensorSlice.parse(spec)
    wanted.shape_in(shape)  # rank and bounds
    return wanted


# -- OrderedCode (tensorflow/core/lib/strings/ordered_code.cc), the part slice keys use ----------------

# Header bits of the first two bytes, by encoded length, for WriteSignedNumIncreasing.
_HEADER_BITS = [
    (0, 0),
    (0x80, 0),
    (0xC0, 0),
    (0xE0, 0),
    (0xF0, 0),
    (0xF8, 0),
    (0xFC, 0),
    (0xFE, 0),
    (0xFF, 0),
    (0xFF, 0x80),
    (0xFF, 0xC0),
]
_LENGTH_TO_MASK = [
    0,
    0x80,
    0xC000,
    0xE00000,
    0xF0000000,
    0xF800000000,
    0xFC0000000000,
    0xFE000000000000,
    0xFF00000000000000,
    0x8000000000000000,
    0,
]


def _write_num_increasing(value: int) -> bytes:
    payload = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return bytes([len(payload)]) + payload


def _write_signed_num_increasing(value: int) -> bytes:
    x = ~value if value < 0 else value
    if x < 64:
        return bytes([(0x80 ^ value) & 0xFF])
    length = x.bit_length() // 7 + 1  # n bytes hold 7n - 1 payload bits
    buf = bytearray((value & ((1 << 80) - 1)).to_bytes(10, "big")[10 - length :])
    buf[0] ^= _HEADER_BITS[length][0]
    buf[1] ^= _HEADER_BITS[length][1]
    return bytes(buf)


def _read_signed_num_increasing(data: bytes, pos: int) -> tuple[int, int]:
    negative = not data[pos] & 0x80
    xor = 0xFF if negative else 0
    first = data[pos] ^ xor
    if first != 0xFF:
        length = 7 - ((first ^ 0xFF).bit_length() - 1)
    else:
        second = data[pos + 1] ^ xor
        length = 8 if second < 0x80 else 9 if second < 0xC0 else 10
    raw = data[pos : pos + length]
    if len(raw) != length:
        raise ValueError("truncated number")
    tail = raw[-8:]  # TensorFlow loads at most the last 8 bytes; the header bits before them are dropped
    value = int.from_bytes(bytes(b ^ xor for b in tail), "big") ^ _LENGTH_TO_MASK[length]
    return (~value if negative else value), pos + length


def encode_tensor_name_slice(name: str | bytes, tensor_slice: TensorSlice) -> bytes:
    """The bundle key of one stored slice (TensorFlow's checkpoint::EncodeTensorNameSlice)."""
    raw = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
    out = bytearray(b"\x00")  # WriteNumIncreasing(0): slice keys sort right after the header
    out += _SPECIAL.sub(lambda m: _ESCAPES[m.group()], raw)
    out += b"\x00\x01"
    out += _write_num_increasing(tensor_slice.rank)
    for start, length in tensor_slice.extents:
        out += _write_signed_num_increasing(start)
        out += _write_signed_num_increasing(_FULL if length is None else length)
    return bytes(out)


def decode_tensor_name_slice(key: bytes) -> tuple[str, TensorSlice]:
    """The inverse of :func:`encode_tensor_name_slice`.

    Raises:
      ValueError: ``key`` is not a slice key.
    """
    if not key.startswith(b"\x00"):
        raise ValueError("not a tensor slice key")
    pos = 1
    name = bytearray()
    while True:
        if pos + 1 >= len(key):
            raise ValueError("unterminated name in slice key")
        byte = key[pos]
        if byte == 0x00:
            nxt = key[pos + 1]
            pos += 2
            if nxt == 0x01:
                break
            if nxt != 0xFF:
                raise ValueError("bad escape in slice key")
            name.append(0x00)
        elif byte == 0xFF:
            if key[pos + 1] != 0x00:
                raise ValueError("bad escape in slice key")
            name.append(0xFF)
            pos += 2
        else:
            name.append(byte)
            pos += 1
    n = key[pos]
    rank = int.from_bytes(key[pos + 1 : pos + 1 + n], "big")
    pos += 1 + n
    extents = []
    for _ in range(rank):
        start, pos = _read_signed_num_increasing(key, pos)
        length, pos = _read_signed_num_increasing(key, pos)
        extents.append((start, None if length == _FULL else length))
    if pos != len(key):
        raise ValueError("trailing bytes in slice key")
    return bytes(name).decode("utf-8", "surrogateescape"), TensorSlice(extents)
