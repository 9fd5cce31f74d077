"""The one dtype table: TF DataType <-> torch dtype <-> numpy dtype <-> safetensors dtype <-> item size."""

from __future__ import annotations

import enum

import ml_dtypes
import numpy as np
import torch

__all__ = ["DType", "as_dtype", "type_string", "QUANTIZED_DTYPES"]


class DType(enum.Enum):
    """A TensorFlow element type; the enum value is TF's ``DataType`` number.

    ``tf.float32`` and friends are members of this enum, so they compare by identity,
    hash fast and print in generated fx code as ``DType.float32``.
    """

    float32 = 1
    float64 = 2
    int32 = 3
    uint8 = 4
    int16 = 5
    int8 = 6
    string = 7
    complex64 = 8
    int64 = 9
    bool = 10
    qint8 = 11
    quint8 = 12
    qint32 = 13
    bfloat16 = 14
    qint16 = 15
    quint16 = 16
    uint16 = 17
    complex128 = 18
    float16 = 19
    resource = 20
    variant = 21
    uint32 = 22
    uint64 = 23
    float8_e5m2 = 24
    float8_e4m3fn = 25
    float8_e4m3fnuz = 26
    float8_e4m3b11fnuz = 27
    float8_e5m2fnuz = 28
    int4 = 29
    uint4 = 30
    int2 = 31
    uint2 = 32
    float4_e2m1fn = 33
    float32_ref = 101
    float64_ref = 102
    int32_ref = 103
    uint8_ref = 104
    int16_ref = 105
    int8_ref = 106
    string_ref = 107
    complex64_ref = 108
    int64_ref = 109
    bool_ref = 110
    qint8_ref = 111
    quint8_ref = 112
    qint32_ref = 113
    bfloat16_ref = 114
    qint16_ref = 115
    quint16_ref = 116
    uint16_ref = 117
    complex128_ref = 118
    float16_ref = 119
    resource_ref = 120
    variant_ref = 121
    uint32_ref = 122
    uint64_ref = 123
    float8_e5m2_ref = 124
    float8_e4m3fn_ref = 125
    float8_e4m3fnuz_ref = 126
    float8_e4m3b11fnuz_ref = 127
    float8_e5m2fnuz_ref = 128
    int4_ref = 129
    uint4_ref = 130
    int2_ref = 131
    uint2_ref = 132
    float4_e2m1fn_ref = 133
    # Aliases TF offers under other names.
    half = 19
    double = 2

    def __repr__(self):
        return f"tf.{self.name}"

    def __str__(self):
        return f"<dtype: {self.name!r}>"

    def __eq__(self, other):
        if self is other:
            return True
        if other is None:
            return False
        try:
            return self is as_dtype(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._value_  # the member's value without enum's descriptor (dict lookups of dtypes are hot)

    def __reduce__(self):
        return (DType, (self.value,))

    # -- TF's DType API --------------------------------------------------------------------
    @property
    def as_datatype_enum(self) -> int:
        return self.value

    @property
    def is_ref_dtype(self) -> bool:
        return self.value > 100

    @property
    def base_dtype(self) -> DType:
        return DType(self.value - 100) if self.value > 100 else self

    @property
    def _as_ref(self) -> DType:
        return self if self.value > 100 else DType(self.value + 100)

    @property
    def real_dtype(self) -> DType:
        base = self.base_dtype
        return {DType.complex64: DType.float32, DType.complex128: DType.float64}.get(base, base)

    @property
    def as_numpy_dtype(self):
        return _INFO[self.base_dtype][1].type

    @property
    def is_floating(self) -> bool:
        return _INFO[self.base_dtype][3] == "f"

    @property
    def is_integer(self) -> bool:
        return _INFO[self.base_dtype][3] in ("i", "u")

    @property
    def is_unsigned(self) -> bool:
        return _INFO[self.base_dtype][3] == "u" or self.base_dtype is DType.bool

    @property
    def is_complex(self) -> bool:
        return _INFO[self.base_dtype][3] == "c"

    @property
    def is_bool(self) -> bool:
        return self.base_dtype is DType.bool

    @property
    def is_quantized(self) -> bool:
        return _INFO[self.base_dtype][3] == "q"

    @property
    def is_numpy_compatible(self) -> bool:
        return self.base_dtype not in (DType.resource, DType.variant)

    @property
    def size(self) -> int:
        """Bytes per element (0 for string, resource and variant, as in TF)."""
        return _INFO[self.base_dtype][4]

    @property
    def min(self):
        return _limits(self)[0]

    @property
    def max(self):
        return _limits(self)[1]

    def is_compatible_with(self, other) -> bool:
        return self.base_dtype is as_dtype(other).base_dtype

    # -- torchmeta's bridges ---------------------------------------------------------------
    @property
    def torch(self) -> torch.dtype | None:
        """The torch dtype holding this type's values, or None (string, resource, variant)."""
        return _INFO[self.base_dtype][0]

    @property
    def numpy(self) -> np.dtype:
        """The numpy dtype of this type's values (object for strings, bytes per element)."""
        return _INFO[self.base_dtype][1]

    @property
    def safetensors(self) -> str | None:
        """The safetensors dtype code storing this type's bytes unchanged, or None."""
        return _INFO[self.base_dtype][5]


_obj = np.dtype(object)
# base dtype: (torch dtype, numpy dtype, kind, size, safetensors code); kind: f float, i int, u uint,
# c complex, b bool, q quantized, s string, r resource, v variant.
_TABLE = {
    DType.float32: (torch.float32, np.dtype(np.float32), "f", 4, "F32"),
    DType.float64: (torch.float64, np.dtype(np.float64), "f", 8, "F64"),
    DType.float16: (torch.float16, np.dtype(np.float16), "f", 2, "F16"),
    DType.bfloat16: (torch.bfloat16, np.dtype(ml_dtypes.bfloat16), "f", 2, "BF16"),
    DType.int8: (torch.int8, np.dtype(np.int8), "i", 1, "I8"),
    DType.int16: (torch.int16, np.dtype(np.int16), "i", 2, "I16"),
    DType.int32: (torch.int32, np.dtype(np.int32), "i", 4, "I32"),
    DType.int64: (torch.int64, np.dtype(np.int64), "i", 8, "I64"),
    DType.uint8: (torch.uint8, np.dtype(np.uint8), "u", 1, "U8"),
    DType.uint16: (torch.uint16, np.dtype(np.uint16), "u", 2, "U16"),
    DType.uint32: (torch.uint32, np.dtype(np.uint32), "u", 4, "U32"),
    DType.uint64: (torch.uint64, np.dtype(np.uint64), "u", 8, "U64"),
    DType.bool: (torch.bool, np.dtype(np.bool_), "b", 1, "BOOL"),
    DType.complex64: (torch.complex64, np.dtype(np.complex64), "c", 8, "C64"),
    DType.complex128: (torch.complex128, np.dtype(np.complex128), "c", 16, None),
    DType.qint8: (torch.int8, np.dtype([("qint8", np.int8)]), "q", 1, "I8"),
    DType.quint8: (torch.uint8, np.dtype([("quint8", np.uint8)]), "q", 1, "U8"),
    DType.qint16: (torch.int16, np.dtype([("qint16", np.int16)]), "q", 2, "I16"),
    DType.quint16: (torch.uint16, np.dtype([("quint16", np.uint16)]), "q", 2, "U16"),
    DType.qint32: (torch.int32, np.dtype([("qint32", np.int32)]), "q", 4, "I32"),
    DType.float8_e5m2: (torch.float8_e5m2, np.dtype(ml_dtypes.float8_e5m2), "f", 1, "F8_E5M2"),
    DType.float8_e4m3fn: (
        torch.float8_e4m3fn,
        np.dtype(ml_dtypes.float8_e4m3fn),
        "f",
        1,
        "F8_E4M3",
    ),
    DType.float8_e4m3fnuz: (
        torch.float8_e4m3fnuz,
        np.dtype(ml_dtypes.float8_e4m3fnuz),
        "f",
        1,
        None,
    ),
    DType.float8_e4m3b11fnuz: (None, np.dtype(ml_dtypes.float8_e4m3b11fnuz), "f", 1, None),
    DType.float8_e5m2fnuz: (
        torch.float8_e5m2fnuz,
        np.dtype(ml_dtypes.float8_e5m2fnuz),
        "f",
        1,
        None,
    ),
    DType.float4_e2m1fn: (None, np.dtype(ml_dtypes.float4_e2m1fn), "f", 1, None),
    DType.int4: (None, np.dtype(ml_dtypes.int4), "i", 1, None),
    DType.uint4: (None, np.dtype(ml_dtypes.uint4), "u", 1, None),
    DType.int2: (None, np.dtype(ml_dtypes.int2), "i", 1, None),
    DType.uint2: (None, np.dtype(ml_dtypes.uint2), "u", 1, None),
    DType.string: (None, _obj, "s", 0, None),
    DType.resource: (None, _obj, "r", 0, None),
    DType.variant: (None, _obj, "v", 0, None),
}
# Stored as (torch, numpy, _, kind, size, safetensors) so the properties index one tuple.
_INFO = {d: (t, n, None, k, s, st) for d, (t, n, k, s, st) in _TABLE.items()}

_BY_NAME = {name: member for name, member in DType.__members__.items()}
_BY_NAME.update({"float": DType.float32, "int": DType.int32, "str": DType.string})
_BY_NUMPY = {}
for _d, (_t, _n, _k, _s, _st) in _TABLE.items():
    if _k != "q" and _n != _obj:
        _BY_NUMPY.setdefault(_n, _d)
_BY_TORCH = {}
for _d, (_t, _n, _k, _s, _st) in _TABLE.items():
    if _t is not None and _k != "q":
        _BY_TORCH.setdefault(_t, _d)
_BY_PYTYPE = {float: DType.float32, int: DType.int32, bool: DType.bool, str: DType.string}
_BY_PYTYPE[bytes] = DType.string
_BY_SAFETENSORS = {st: d for d, (_t, _n, k, _s, st) in _TABLE.items() if st and k != "q"}


def as_dtype(type_value) -> DType:
    """Converts a DType, DataType number, name, numpy/torch dtype or Python type to a DType.

    Raises:
      TypeError: if ``type_value`` names no TF type.
    """
    if isinstance(type_value, DType):
        return type_value
    try:
        if isinstance(type_value, int) and not isinstance(type_value, bool):
            return DType(type_value)
        if isinstance(type_value, str):
            return _BY_NAME[type_value]
        if isinstance(type_value, torch.dtype):
            return _BY_TORCH[type_value]
        if isinstance(type_value, type) and type_value in _BY_PYTYPE:
            return _BY_PYTYPE[type_value]
        if type_value is np.object_:
            return DType.string
        np_type = np.dtype(type_value)
        if np_type.kind in "SUO":
            return DType.string
        if np_type.names is not None and len(np_type.names) == 1:
            return _BY_NAME[np_type.names[0]]  # TF's structured qint8/quint8/qint16/quint16/qint32
        if np_type.byteorder not in ("=", "|") and np_type.kind in "iufcb":
            np_type = np_type.newbyteorder("=")
        return _BY_NUMPY[np_type]
    except (KeyError, ValueError, TypeError):
        pass
    if hasattr(type_value, "as_datatype_enum"):  # a TensorFlow DType, when TF is imported too
        return DType(type_value.as_datatype_enum)
    raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")


def from_safetensors(code: str) -> DType:
    """The DType whose bytes a safetensors dtype code holds."""
    return _BY_SAFETENSORS[code]


def _limits(dtype: DType):
    base = dtype.base_dtype
    if base.is_bool:
        return False, True
    np_type = base.numpy
    if base.is_floating:
        info = ml_dtypes.finfo(np_type) if np_type.kind == "V" else np.finfo(np_type)
        return float(info.min), float(info.max)
    if base.is_integer:
        info = ml_dtypes.iinfo(np_type) if np_type.kind == "V" else np.iinfo(np_type)
        return int(info.min), int(info.max)
    raise TypeError(f"Cannot find minimum value of {dtype}.")


# Module-level names TF exposes (tf.float32, tf.half, ...).
globals().update({k: v for k, v in DType.__members__.items() if k != "bool"})


_UINT_VIEW = {
    1: (np.uint8, torch.uint8),
    2: (np.int16, torch.int16),
    4: (np.int32, torch.int32),
    8: (np.int64, torch.int64),
}


def numpy_to_torch(arr: np.ndarray, dtype: DType | None = None) -> torch.Tensor:
    """A torch tensor sharing ``arr``'s memory where possible (copies only when it must).

    Handles what ``torch.from_numpy`` cannot: read-only or oddly strided arrays, 0-d arrays, and
    ml_dtypes / quantized element types (moved as raw bytes, then viewed as the torch dtype).
    """
    dtype = as_dtype(arr.dtype) if dtype is None else dtype.base_dtype
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if not arr.flags.writeable or not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.array(arr, order="C")
    # ml_dtypes types (bfloat16, float8, int4...) and quantized types go through their raw bytes.
    if (
        arr.dtype.kind == "V"
        or arr.dtype.type.__module__.startswith("ml_dtypes")
        or dtype.is_quantized
        or dtype.torch is None
    ):
        if dtype.torch is None:
            raise TypeError(f"torch has no dtype for {dtype.name}")
        raw = np.asarray(arr, order="C").view(_UINT_VIEW[arr.itemsize][0])
        return torch.from_numpy(raw).view(dtype.torch)
    return torch.from_numpy(arr)


def torch_to_numpy(t: torch.Tensor, dtype: DType | None = None) -> np.ndarray:
    """A numpy view of a CPU tensor (bfloat16, float8, ... become ml_dtypes arrays)."""
    if t.requires_grad:
        t = t.detach()
    try:
        return t.numpy()
    except TypeError:
        np_dtype = (dtype or as_dtype(t.dtype)).numpy
        return t.view(_UINT_VIEW[t.element_size()][1]).numpy().view(np_dtype)


_TYPE_STRINGS = {"float32": "float", "float64": "double", "float16": "half"}

# tf.dtypes.QUANTIZED_DTYPES: the quantized types and their reference types.
QUANTIZED_DTYPES = frozenset(
    d for base in (DType.qint8, DType.quint8, DType.qint16, DType.quint16, DType.qint32) for d in (base, base._as_ref)
)


def type_string(dtype) -> str:
    """TensorFlow's DataTypeString, as its error messages print types: ``float``, ``double``, ``int32``,
    ``float_ref``. Accepts anything ``as_dtype`` does."""
    dtype = as_dtype(dtype)
    base = dtype.base_dtype.name
    name = _TYPE_STRINGS.get(base, base)
    return name + "_ref" if dtype.is_ref_dtype else name
