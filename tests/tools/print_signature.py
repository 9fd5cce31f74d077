"""Developer aid: print TensorFlow's registered signature of ops as torchmeta ``register_op`` arguments.

Usage: python tests/tools/print_signature.py MatMul Relu ...
The printed strings are TF's public op interface (what TF's REGISTER_OP declares); the test
tests/ops/test_op_defs.py checks that what we register equals it.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tensorflow.python.framework import dtypes, op_def_registry

_SHORT = {"float32": "float", "float64": "double", "float16": "half"}


def _type_name(t):
    name = dtypes.as_dtype(t).name
    return _SHORT.get(name, name)


def _arg(a):
    t = a.type_attr or a.type_list_attr or _type_name(a.type)
    if a.number_attr:
        t = f"{a.number_attr} * {t}"
    if a.is_ref:
        t = f"Ref({t})"
    return f"{a.name}: {t}"


def _value(kind, v):
    if kind == "string":
        return '"' + v.s.decode() + '"'
    if kind == "int":
        return str(v.i)
    if kind == "float":
        return repr(v.f)
    if kind == "bool":
        return "true" if v.b else "false"
    if kind == "type":
        return "DT_" + _type_name(v.type).upper()
    if kind == "shape":
        if v.shape.unknown_rank:
            return "{ unknown_rank: true }"
        return "[" + ", ".join(str(d.size) for d in v.shape.dim) + "]"
    if kind == "tensor":
        from google.protobuf import text_format

        return "{ " + text_format.MessageToString(v.tensor, as_one_line=True) + " }"
    raise ValueError(kind)


def _list_value(kind, v):
    inner = kind[5:-1]
    field = {"string": "s", "int": "i", "float": "f", "bool": "b", "type": "type", "shape": "shape"}[inner]
    items = getattr(v.list, field)
    out = []
    for item in items:
        from tensorflow.core.framework import attr_value_pb2

        single = attr_value_pb2.AttrValue()
        if inner == "shape":
            single.shape.CopyFrom(item)
        else:
            setattr(single, field, item)
        out.append(_value(inner, single))
    return "[" + ", ".join(out) + "]"


def _attr(a):
    kind = a.type
    base = kind[5:-1] if kind.startswith("list(") else kind
    spec = base
    if a.HasField("allowed_values"):
        if base == "type":
            spec = "{" + ", ".join(_type_name(t) for t in a.allowed_values.list.type) + "}"
        else:
            spec = "{" + ", ".join("'" + s.decode() + "'" for s in a.allowed_values.list.s) + "}"
    if kind.startswith("list("):
        spec = f"list({spec})"
    out = f"{a.name}: {spec}"
    if a.has_minimum:
        out += f" >= {a.minimum}"
    if a.HasField("default_value"):
        out += " = " + (
            _list_value(kind, a.default_value) if kind.startswith("list(") else _value(kind, a.default_value)
        )
    return out


def main(names):
    for name in names:
        od = op_def_registry.get(name)
        if od is None:
            print(f"# {name}: not registered in TensorFlow")
            continue
        flags = []
        for attr, kw in (
            ("is_stateful", "stateful"),
            ("is_commutative", "commutative"),
            ("is_aggregate", "aggregate"),
            ("allows_uninitialized_input", "allows_uninitialized_input"),
        ):
            if getattr(od, attr):
                flags.append(f"{kw}=True")
        print(f'@register_op(\n    "{name}",')
        print(f"    inputs={[_arg(a) for a in od.input_arg]!r},")
        print(f"    outputs={[_arg(a) for a in od.output_arg]!r},")
        print(f"    attrs={[_attr(a) for a in od.attr]!r},")
        for f in flags:
            print(f"    {f},")
        if od.HasField("deprecation"):
            print(f"    deprecation=({od.deprecation.version}, {od.deprecation.explanation!r}),")
        print(")\n")


if __name__ == "__main__":
    main(sys.argv[1:])
