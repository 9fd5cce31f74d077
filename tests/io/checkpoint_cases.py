"""The tensors of the golden checkpoints, defined once, without TensorFlow.

``tests/data/checkpoints/generate.py`` has TensorFlow save them; the tests write the same tensors with
torchmeta and compare bytes and values.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

# name -> (value, TF dtype name). Sorted by name, the order TensorFlow's Saver writes in.
DTYPE_CASES: dict[str, tuple[np.ndarray, str]] = {
    "bf16": (np.array([1.5, -2.25, 3e38, 0.0], dtype=ml_dtypes.bfloat16), "bfloat16"),
    "bool": (np.array([[True, False, True], [False, False, True]]), "bool"),
    "bool_scalar": (np.array(True), "bool"),
    "c128": (np.array([1 + 2j, -3.5 - 0.25j], dtype=np.complex128), "complex128"),
    "c64": (np.array([[1 - 1j], [2.5 + 0j]], dtype=np.complex64), "complex64"),
    "empty_f32": (np.zeros((2, 0), dtype=np.float32), "float32"),
    "empty_i64": (np.zeros((0,), dtype=np.int64), "int64"),
    "empty_str": (np.zeros((0,), dtype=object), "string"),
    "f16": (np.array([0.5, -65504.0, 6.1e-5], dtype=np.float16), "float16"),
    "f32": (np.arange(12, dtype=np.float32).reshape(3, 4) / 3, "float32"),
    "f32_scalar": (np.array(-0.0, dtype=np.float32), "float32"),
    "f64": (np.array([np.pi, -np.e, 1e300], dtype=np.float64), "float64"),
    "f8e4m3fn": (np.array([1.0, -2.0, 448.0], dtype=ml_dtypes.float8_e4m3fn), "float8_e4m3fn"),
    "f8e5m2": (np.array([1.0, -2.0, 0.5], dtype=ml_dtypes.float8_e5m2), "float8_e5m2"),
    "i16": (np.array([-32768, 32767, 1], dtype=np.int16), "int16"),
    "i32": (np.array([[-(2**31), 2**31 - 1]], dtype=np.int32), "int32"),
    # Non-negative only: TF's bytes for a negative int4 depend on how the tensor was made (see
    # test_int4_negative_values), so they cannot be golden bytes.
    "i4": (np.array([0, 7, 1, 5], dtype=ml_dtypes.int4), "int4"),
    "i64": (np.array(-(2**62) - 5, dtype=np.int64), "int64"),
    "i8": (np.array([-128, 127, 0], dtype=np.int8), "int8"),
    "qi32": (np.array([-7, 70000], dtype=np.int32), "qint32"),
    "qi8": (np.array([-1, 2, 3], dtype=np.int8), "qint8"),
    "qu8": (np.array([250, 2], dtype=np.uint8), "quint8"),
    "str": (
        np.array([[b"hi", b""], [b"\x00\xff bytes", "h\u00e9llo".encode()], [b"x" * 300, b""]], dtype=object),
        "string",
    ),
    "str_scalar": (np.array(b"scalar", dtype=object), "string"),
    "u16": (np.array([65535, 0], dtype=np.uint16), "uint16"),
    "u32": (np.array([4294967295, 1], dtype=np.uint32), "uint32"),
    "u4": (np.array([15, 0, 9], dtype=ml_dtypes.uint4), "uint4"),
    "u64": (np.array([18446744073709551615, 2], dtype=np.uint64), "uint64"),
    "u8": (np.array([[0, 255]], dtype=np.uint8), "uint8"),
}

# Variables of a Saver checkpoint (the Saver sorts them by name). Partitioned ones give their full value and
# the axis and count of TensorFlow's fixed_size_partitioner.
SAVER_VARIABLES: dict[str, np.ndarray] = {
    "a": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32),
    "b": np.array(7, dtype=np.int64),
    "c": np.array([b"hi", b"", b"xyz"], dtype=object),
    "dense/bias": np.array([0.25, -0.5], dtype=np.float64),
    "e": np.array([True, False]),
    "h": np.array([1.5, -2.0], dtype=np.float16),
}
SAVER_PARTITIONED: dict[str, tuple[np.ndarray, int, int]] = {
    "pv": (np.arange(8, dtype=np.float32).reshape(4, 2), 0, 2),
    "pw": (np.arange(15, dtype=np.int32).reshape(3, 5), 1, 2),
}

# A sharded Saver checkpoint: the variables of each device group, groups in TensorFlow's order ("" first,
# then sorted device names). Devices give TensorFlow the grouping; all run on the CPU.
SHARDED_DEVICES = ["", "/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:0"]
SHARDED_VARIABLES: list[dict[str, np.ndarray]] = [
    {"c": np.array(5.0, dtype=np.float32)},
    {"b": np.array([3, 4], dtype=np.int32), "s": np.array([b"x", b"yz"], dtype=object)},
    {"a": np.array([1.0, 2.0], dtype=np.float32)},
]


def partition_bounds(size: int, count: int) -> list[tuple[int, int]]:
    """``(offset, length)`` of each part, as fixed_size_partitioner splits a dimension (bigger parts first)."""
    base, extra = divmod(size, count)
    out, offset = [], 0
    for i in range(count):
        length = base + (1 if i < extra else 0)
        out.append((offset, length))
        offset += length
    return out


def partition_slices(value: np.ndarray, axis: int, count: int) -> list[tuple[np.ndarray, str]]:
    """The ``(part, "shape_and_slice")`` pairs TensorFlow's Saver saves for a partitioned variable."""
    out = []
    for offset, length in partition_bounds(value.shape[axis], count):
        index = [slice(None)] * value.ndim
        index[axis] = slice(offset, offset + length)
        extents = [f"{offset},{length}" if d == axis else f"0,{n}" for d, n in enumerate(value.shape)]
        spec = " ".join([*map(str, value.shape), ":".join(extents)])
        out.append((value[tuple(index)], spec))
    return out


def saver_tensors() -> dict:
    """What write_bundle needs to reproduce the Saver checkpoint: names sorted, partitioned ones as slices."""
    tensors: dict = dict(SAVER_VARIABLES)
    for name, (value, axis, count) in SAVER_PARTITIONED.items():
        tensors[name] = partition_slices(value, axis, count)
    return dict(sorted(tensors.items()))


def saver_values() -> dict[str, np.ndarray]:
    """The full value of every variable of the Saver checkpoint."""
    values = dict(SAVER_VARIABLES)
    values.update({name: v for name, (v, _, _) in SAVER_PARTITIONED.items()})
    return values
