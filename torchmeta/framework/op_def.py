"""Op signatures written in TensorFlow's REGISTER_OP syntax, parsed into OpDef protos.

An op is declared with the strings TF's C++ ``REGISTER_OP`` uses, e.g.::

    inputs=["a: T", "b: T"], outputs=["product: T"],
    attrs=["transpose_a: bool = false", "T: {half, float, double}"]

Input/output specs: ``name: T`` (type attr), ``name: float`` (fixed type), ``name: N * T`` (number
attr), ``name: Tlist`` (list(type) attr) and ``name: Ref(T)``. Attr specs: ``name: type [>= min] [= default]``
where type is one of string, int, float, bool, type, shape, tensor, func, ``list(...)`` of those, a set
of types ``{float, int32, numbertype}`` or a set of strings ``{'SAME', 'VALID'}``.
"""

from __future__ import annotations

import codecs
import re

from google.protobuf import text_format

from torchmeta._proto import attr_value_pb2, op_def_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from torchmeta.dtypes import DType

__all__ = ["op_def_from_signature", "output_types_from_attrs", "TYPE_SETS"]

# Type-set shorthands, expanded in TensorFlow's order (core/framework/types.h).
_REAL = [
    "float",
    "double",
    "int32",
    "uint8",
    "int16",
    "int8",
    "int64",
    "bfloat16",
    "uint16",
    "half",
    "uint32",
    "uint64",
]
TYPE_SETS = {
    "numbertype": [
        "float",
        "double",
        "int32",
        "uint8",
        "int16",
        "int8",
        "complex64",
        "int64",
        "qint8",
        "quint8",
        "qint32",
        "bfloat16",
        "qint16",
        "quint16",
        "uint16",
        "complex128",
        "half",
        "uint32",
        "uint64",
    ],
    "realnumbertype": _REAL,
    "quantizedtype": ["qint8", "quint8", "qint32", "qint16", "quint16"],
    "complextype": ["complex64", "complex128"],
    "floattype": ["half", "bfloat16", "float", "double"],
}

_TYPE_NAMES = {
    "float": types_pb2.DT_FLOAT,
    "double": types_pb2.DT_DOUBLE,
    "half": types_pb2.DT_HALF,
    "bfloat16": types_pb2.DT_BFLOAT16,
    "int8": types_pb2.DT_INT8,
    "int16": types_pb2.DT_INT16,
    "int32": types_pb2.DT_INT32,
    "int64": types_pb2.DT_INT64,
    "uint8": types_pb2.DT_UINT8,
    "uint16": types_pb2.DT_UINT16,
    "uint32": types_pb2.DT_UINT32,
    "uint64": types_pb2.DT_UINT64,
    "bool": types_pb2.DT_BOOL,
    "string": types_pb2.DT_STRING,
    "complex64": types_pb2.DT_COMPLEX64,
    "complex128": types_pb2.DT_COMPLEX128,
    "qint8": types_pb2.DT_QINT8,
    "quint8": types_pb2.DT_QUINT8,
    "qint16": types_pb2.DT_QINT16,
    "quint16": types_pb2.DT_QUINT16,
    "qint32": types_pb2.DT_QINT32,
    "resource": types_pb2.DT_RESOURCE,
    "variant": types_pb2.DT_VARIANT,
    "float8_e5m2": types_pb2.DT_FLOAT8_E5M2,
    "float8_e4m3fn": types_pb2.DT_FLOAT8_E4M3FN,
    "int4": types_pb2.DT_INT4,
    "uint4": types_pb2.DT_UINT4,
}
_SCALAR_ATTR_TYPES = {"string", "int", "float", "bool", "type", "shape", "tensor", "func"}
_ARG_RE = re.compile(r"^\s*(\w+)\s*:\s*(?:(\w+)\s*\*\s*)?(Ref\(\s*(\w+)\s*\)|\w+)\s*$")
_ATTR_RE = re.compile(r"^\s*(\w+)\s*:\s*([^=>]+?)\s*(?:>=\s*(-?\d+)\s*)?(?:=\s*(.+?))?\s*$")


def _type_enum(name: str) -> int:
    name = name.strip()
    if name.startswith("DT_"):
        return types_pb2.DataType.Value(name)
    try:
        return _TYPE_NAMES[name]
    except KeyError:
        raise ValueError(f"Unknown type name {name!r}") from None


def _expand_types(items: list[str]) -> list[int]:
    out = []
    for item in items:
        item = item.strip()
        out.extend(_type_enum(t) for t in TYPE_SETS.get(item, [item]))
    return out


def _parse_attr_type(spec: str, attr: op_def_pb2.OpDef.AttrDef) -> None:
    """Fills ``attr.type`` and ``attr.allowed_values`` from a type spec."""
    spec = spec.strip()
    is_list = spec.startswith("list(") and spec.endswith(")")
    inner = spec[5:-1].strip() if is_list else spec
    if inner.startswith("{"):
        body = inner[1:-1].strip()
        items = [b.strip() for b in body.split(",") if b.strip()]
        if items and items[0][0] in "'\"":
            base = "string"
            attr.allowed_values.list.s.extend(i[1:-1].encode() for i in items)
        else:
            base = "type"
            attr.allowed_values.list.type.extend(_expand_types(items))
    elif inner in TYPE_SETS:
        base = "type"
        attr.allowed_values.list.type.extend(_expand_types([inner]))
    elif inner in _SCALAR_ATTR_TYPES:
        base = inner
    else:
        raise ValueError(f"Unknown attr type {spec!r}")
    attr.type = f"list({base})" if is_list else base


def _scalar_value(kind: str, text: str, out: attr_value_pb2.AttrValue | None = None):
    text = text.strip()
    if kind == "string":
        if text[:1] in "'\"":
            text = text[1:-1]
        # C escapes, as REGISTER_OP's parser unescapes them (PrintV2's `end = "\n"`).
        return codecs.decode(text, "unicode_escape").encode() if "\\" in text else text.encode()
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        if text not in ("true", "false"):
            raise ValueError(f"Bad bool default {text!r}")
        return text == "true"
    if kind == "type":
        return _type_enum(text)
    if kind == "shape":
        proto = tensor_shape_pb2.TensorShapeProto()
        if text.startswith("["):
            for d in _split_list(text):
                proto.dim.add().size = int(d)
        else:
            text_format.Parse(text.strip("{} "), proto)
        return proto
    if kind == "tensor":  # a TensorProto in text format, as REGISTER_OP writes it (ImageSummary's bad_color)
        proto = tensor_pb2.TensorProto()
        text_format.Parse(text.strip()[1:-1], proto)
        return proto
    raise ValueError(f"Defaults of type {kind!r} are not supported")


def _split_list(text: str) -> list[str]:
    body = text.strip()[1:-1].strip()
    if not body:
        return []
    # Split on commas that are not inside brackets or braces (list(shape) defaults).
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _parse_default(attr: op_def_pb2.OpDef.AttrDef, text: str) -> None:
    value = attr.default_value
    if attr.type.startswith("list("):
        kind = attr.type[5:-1]
        value.list.SetInParent()
        items = [_scalar_value(kind, t) for t in _split_list(text)]
        if kind == "shape":
            value.list.shape.extend(items)
        else:
            getattr(value.list, {"string": "s", "int": "i", "float": "f", "bool": "b", "type": "type"}[kind]).extend(
                items
            )
        return
    v = _scalar_value(attr.type, text)
    if attr.type in ("shape", "tensor"):
        getattr(value, attr.type).CopyFrom(v)
    else:
        setattr(value, {"string": "s", "int": "i", "float": "f", "bool": "b", "type": "type"}[attr.type], v)


def _parse_arg(spec: str, arg: op_def_pb2.OpDef.ArgDef, attr_names: set[str]) -> None:
    m = _ARG_RE.match(spec)
    if not m:
        raise ValueError(f"Bad input/output spec {spec!r}")
    name, number, type_part, ref_inner = m.groups()
    arg.name = name
    type_name = ref_inner or type_part
    if ref_inner:
        arg.is_ref = True
    if number:
        arg.number_attr = number
    if type_name in attr_names:
        arg.type_attr = type_name  # becomes type_list_attr if the attr is a list(type)
    else:
        arg.type = _type_enum(type_name)


def op_def_from_signature(
    name: str,
    inputs=(),
    outputs=(),
    attrs=(),
    *,
    is_stateful: bool = False,
    is_commutative: bool = False,
    is_aggregate: bool = False,
    allows_uninitialized_input: bool = False,
    control_outputs=(),
    deprecation: tuple[int, str] | None = None,
    is_distributed_communication: bool = False,
) -> op_def_pb2.OpDef:
    """Builds the OpDef TensorFlow would register for this REGISTER_OP-style signature."""
    op_def = op_def_pb2.OpDef(name=name)
    attr_defs = {}
    for spec in attrs:
        m = _ATTR_RE.match(spec)
        if not m:
            raise ValueError(f"{name}: bad attr spec {spec!r}")
        attr_name, type_spec, minimum, default = m.groups()
        attr = op_def_pb2.OpDef.AttrDef(name=attr_name)
        _parse_attr_type(type_spec, attr)
        if minimum is not None:
            attr.has_minimum = True
            attr.minimum = int(minimum)
        if default is not None:
            _parse_default(attr, default)
        attr_defs[attr_name] = attr
    for specs, field in ((inputs, op_def.input_arg), (outputs, op_def.output_arg)):
        for spec in specs:
            arg = field.add()
            _parse_arg(spec, arg, set(attr_defs))
            if arg.type_attr and attr_defs[arg.type_attr].type == "list(type)":
                arg.type_list_attr, arg.type_attr = arg.type_attr, ""
    # TF lists attrs inferred from inputs/outputs in the order it meets them, then the rest,
    # but the order it records is the order the REGISTER_OP calls made: keep declaration order.
    op_def.attr.extend(attr_defs.values())
    op_def.is_stateful = is_stateful
    op_def.is_commutative = is_commutative
    op_def.is_aggregate = is_aggregate
    op_def.allows_uninitialized_input = allows_uninitialized_input
    op_def.is_distributed_communication = is_distributed_communication
    op_def.control_output.extend(control_outputs)
    if deprecation is not None:
        op_def.deprecation.version, op_def.deprecation.explanation = deprecation
    return op_def


def output_types_from_attrs(op_def, attrs: dict) -> list[DType]:
    """The output dtypes an op of ``op_def`` with these AttrValues produces (ref types included)."""
    out = []
    for arg in op_def.output_arg:
        if arg.type_list_attr:
            types = [DType(t) for t in attrs[arg.type_list_attr].list.type]
        else:
            dt = DType(arg.type) if arg.type else DType(attrs[arg.type_attr].type)
            n = attrs[arg.number_attr].i if arg.number_attr else 1
            types = [dt] * n
        if arg.is_ref:
            types = [t._as_ref for t in types]
        out.extend(types)
    return out
