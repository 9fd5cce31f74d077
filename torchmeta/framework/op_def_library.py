"""apply_op: create an op from keyword inputs and attrs, inferring type attrs as TensorFlow does."""

from __future__ import annotations

import collections
import functools

from torchmeta import dtypes
from torchmeta._proto import attr_value_pb2, op_def_pb2, tensor_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import (
    constant_op,  # noqa: F401 - registers the conversion of Python values
    registry,
    tensor_util,
)
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.op_def import output_types_from_attrs
from torchmeta.framework.tensor_shape import as_shape

__all__ = ["apply_op", "make_attr", "outputs_of", "raw_op", "raw_op_result"]


def _is_tensor_like(v) -> bool:
    return isinstance(v, graph_lib.Tensor) or hasattr(v, "_as_graph_element")


def _dtype_of(v):
    if isinstance(v, graph_lib.Tensor):
        return v.dtype.base_dtype
    dt = getattr(v, "dtype", None)
    if _is_tensor_like(v) and dt is not None:
        return dtypes.as_dtype(dt).base_dtype
    return None


def make_attr(attr_def: op_def_pb2.OpDef.AttrDef, value, op_type: str = "") -> attr_value_pb2.AttrValue:
    """Converts a Python value to the AttrValue of ``attr_def``'s type, checking TF's constraints.

    Raises:
      TypeError / ValueError: with TensorFlow's wording for the wrong kind or a disallowed value.
    """
    if isinstance(value, attr_value_pb2.AttrValue) or type(value).__name__ == "AttrValue":
        out = attr_value_pb2.AttrValue()
        out.MergeFromString(value.SerializeToString())
        return out
    kind = attr_def.type
    out = attr_value_pb2.AttrValue()
    if kind.startswith("list("):
        inner = kind[5:-1]
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"Expected list for attr {attr_def.name}, got {type(value).__name__} instead.")
        out.list.SetInParent()
        if attr_def.has_minimum and len(value) < attr_def.minimum:
            raise ValueError(
                f"Attr '{attr_def.name}' of '{op_type}' Op passed list of length {len(value)} less than "
                f"minimum {attr_def.minimum}."
            )
        for v in value:
            _set_scalar(out.list, inner, v, attr_def, op_type, repeated=True)
        return out
    _set_scalar(out, kind, value, attr_def, op_type, repeated=False)
    return out


def _set_scalar(target, kind, value, attr_def, op_type, repeated):
    def put(field, v):
        if repeated:
            getattr(target, field).append(v)
        else:
            setattr(target, field, v)

    if kind == "string":
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, bytes):
            raise TypeError(f"Expected string for argument '{attr_def.name}' not {value!r}.")
        allowed = attr_def.allowed_values.list.s
        if allowed and value not in allowed:
            shown = ", ".join(f'"{a.decode()}"' for a in allowed)
            raise ValueError(
                f"Attr '{attr_def.name}' of '{op_type}' Op passed string '{value.decode()}' not in: {shown}."
            )
        put("s", value)
    elif kind == "int":
        if isinstance(value, bool) or not hasattr(value, "__index__"):
            raise TypeError(f"Expected int for argument '{attr_def.name}' not {value!r}.")
        value = int(value)
        if attr_def.has_minimum and not repeated and value < attr_def.minimum:
            raise ValueError(
                f"Attr '{attr_def.name}' of '{op_type}' Op passed {value} less than minimum {attr_def.minimum}."
            )
        put("i", value)
    elif kind == "float":
        if isinstance(value, bool) or (not isinstance(value, (int, float)) and not hasattr(value, "__float__")):
            raise TypeError(f"Expected float for argument '{attr_def.name}' not {value!r}.")
        put("f", float(value))
    elif kind == "bool":
        if not isinstance(value, bool) and type(value).__name__ != "bool_":
            raise TypeError(f"Expected bool for argument '{attr_def.name}' not {value!r}.")
        put("b", bool(value))
    elif kind == "type":
        dt = dtypes.as_dtype(value)
        allowed = attr_def.allowed_values.list.type
        if allowed and dt.value not in allowed:
            shown = ", ".join(DType(a).name for a in allowed)
            raise TypeError(
                f"Value passed to parameter '{attr_def.name}' has DataType {dt.name} not in list of allowed "
                f"values: {shown}"
            )
        put("type", dt.value)
    elif kind == "shape":
        if hasattr(value, "dim") and hasattr(value, "unknown_rank"):
            proto = value
        else:
            proto = as_shape(value).as_proto()
        if repeated:
            target.shape.add().MergeFromString(proto.SerializeToString())
        else:
            target.shape.MergeFromString(proto.SerializeToString())
    elif kind == "tensor":
        if isinstance(value, tensor_pb2.TensorProto) or type(value).__name__ == "TensorProto":
            proto = value
        else:
            proto = tensor_util.make_tensor_proto(value)
        if repeated:
            target.tensor.add().MergeFromString(proto.SerializeToString())
        else:
            target.tensor.MergeFromString(proto.SerializeToString())
    elif kind == "func":
        func = target.func.add() if repeated else target.func
        if isinstance(value, str):
            func.name = value
        elif hasattr(value, "name") and hasattr(value, "attr") and not callable(value):
            func.MergeFromString(value.SerializeToString())
        elif hasattr(value, "name"):
            func.name = value.name
        else:
            raise TypeError(f"Don't know how to convert {value!r} to a func for argument {attr_def.name}")
    else:
        raise TypeError(f"Unsupported attr type {kind!r} for attr '{attr_def.name}'")


def apply_op(op_type: str, name=None, **kwargs) -> graph_lib.Operation:
    """Adds an op of ``op_type`` to the default graph (or the graph of its inputs).

    Inputs and attrs are passed by their TF names. Python values become Const ops of the dtype
    the op needs; type attrs are inferred from the tensors given; missing attrs take their defaults.

    Raises:
      UnsupportedOpError: if ``op_type`` is not registered.
      TypeError / ValueError: on wrong input dtypes, missing or bad attrs (TensorFlow's wording).
    """
    info = registry.lookup(op_type)
    op_def = info.op_def
    attr_defs = info.attr_defs
    given = [kwargs.get(a.name) for a in op_def.input_arg]
    flat_given = []
    for v in given:
        flat_given.extend(v if isinstance(v, (list, tuple)) else [v])
    g = graph_lib._get_graph_from_inputs([v for v in flat_given if _is_tensor_like(v)])
    with g.as_default(), g.name_scope(name or op_type) as scope:
        attrs: dict[str, attr_value_pb2.AttrValue] = {}
        inferred: dict[str, object] = {}
        # Explicitly given type attrs win; then tensors' dtypes fix the rest.
        for key, value in kwargs.items():
            ad = attr_defs.get(key)
            if ad is not None and ad.type == "type" and value is not None:
                inferred[key] = dtypes.as_dtype(value)
        # the type attrs TF knows when it converts an input: the given ones and those of the inputs before it
        known_types = set(inferred)
        for arg in op_def.input_arg:
            value = kwargs.get(arg.name)
            if value is None:
                raise TypeError(f"{op_type} missing required input '{arg.name}'")
            if arg.type_attr and arg.type_attr not in inferred:
                values = value if arg.number_attr and isinstance(value, (list, tuple)) else [value]
                for v in values:
                    dt = _dtype_of(v)
                    if dt is not None:
                        inferred[arg.type_attr] = dt
                        break
        inputs = []
        must_colocate = []
        for arg in op_def.input_arg:
            value = kwargs.pop(arg.name)
            if arg.number_attr or arg.type_list_attr:
                if not isinstance(value, (list, tuple)):
                    raise TypeError(f"Expected list for '{arg.name}' argument to '{op_type}' Op, not {value!r}.")
                if arg.number_attr:
                    dt = DType(arg.type) if arg.type else inferred.get(arg.type_attr)
                    preferred = _default_type(attr_defs.get(arg.type_attr))
                    try:
                        tensors = [
                            graph_lib.convert_to_tensor(v, dtype=dt, preferred_dtype=preferred, name=f"{arg.name}_{i}")
                            for i, v in enumerate(value)
                        ]
                        if len({t.dtype.base_dtype for t in tensors}) > 1:
                            raise TypeError("not all types match")
                    except (TypeError, ValueError):
                        if arg.type:
                            what = f"that do not match expected type {dt.name}."
                        elif arg.type_attr in known_types and dt is not None:
                            what = f"that do not match type {dt.name} inferred from earlier arguments."
                        else:
                            what = "that don't all match."
                        raise _list_type_error(op_type, arg, value, what) from None
                    if tensors and arg.type_attr:
                        inferred.setdefault(arg.type_attr, tensors[0].dtype.base_dtype)
                    n = len(tensors)
                    if arg.number_attr in attrs and attrs[arg.number_attr].i != n:
                        raise ValueError(
                            f"List argument '{arg.name}' to '{op_type}' Op with length {n} "
                            f"must match length {attrs[arg.number_attr].i} of argument"
                        )
                    attrs[arg.number_attr] = make_attr(attr_defs[arg.number_attr], n, op_type)
                else:
                    try:
                        tensors = [graph_lib.convert_to_tensor(v, name=f"{arg.name}_{i}") for i, v in enumerate(value)]
                    except (TypeError, ValueError):
                        raise _list_type_error(op_type, arg, value, f"that are invalid. Tensors: {value}") from None
                    attrs[arg.type_list_attr] = make_attr(
                        attr_defs[arg.type_list_attr], [t.dtype.base_dtype for t in tensors], op_type
                    )
                inputs.extend(tensors)
                continue
            if arg.type:
                dt, preferred = DType(arg.type), None
            else:
                dt, preferred = inferred.get(arg.type_attr), _default_type(attr_defs.get(arg.type_attr))
            # A Tensor of the wrong dtype is TF's TypeError below, not convert_to_tensor's ValueError.
            tensor = None
            allowed = attr_defs[arg.type_attr].allowed_values.list.type if arg.type_attr in attr_defs else ()
            if dt is None and preferred is not None and allowed and not _is_tensor_like(value):
                # TF's _apply_op_helper: convert without a dtype first and keep that if it is allowed, else
                # convert again with the attr's default (an empty list leaves a float Const behind, as in TF).
                try:
                    first = graph_lib.convert_to_tensor(value, name=arg.name, as_ref=arg.is_ref)
                except TypeError:
                    first = None
                if first is not None and first.dtype.base_dtype.value in allowed:
                    tensor = first
            if tensor is None:
                try:
                    tensor = graph_lib.convert_to_tensor(
                        value,
                        dtype=None if isinstance(value, graph_lib.Tensor) else dt,
                        preferred_dtype=preferred,
                        name=arg.name,
                        as_ref=arg.is_ref,
                    )
                except TypeError as err:
                    if dt is None or not (arg.type or arg.type_attr in known_types):
                        raise
                    raise TypeError(
                        f"Expected {dt.name} passed to parameter '{arg.name}' of op '{op_type}', got {value!r} of "
                        f"type '{type(value).__name__}' instead. Error: {err}"
                    ) from None
            if arg.is_ref:
                if not tensor.dtype.is_ref_dtype:
                    raise TypeError(f"'{arg.name}' argument for '{op_type}' Op requires l-value input")
                must_colocate.append(tensor)
            if arg.type_attr:
                base = tensor.dtype.base_dtype
                known = inferred.get(arg.type_attr)
                if known is not None and known is not base:
                    raise TypeError(
                        f"Input '{arg.name}' of '{op_type}' Op has type {base.name} that does not match "
                        f"type {known.name} of argument '{_first_arg_of(op_def, arg.type_attr)}'."
                    )
                inferred[arg.type_attr] = base
            elif tensor.dtype.base_dtype.value != arg.type:
                raise TypeError(
                    f"Input '{arg.name}' of '{op_type}' Op has type {tensor.dtype.base_dtype.name} that does not "
                    f"match expected type of {DType(arg.type).name}."
                )
            inputs.append(tensor)
            known_types.add(arg.type_attr)
        for attr_name, dt in inferred.items():
            if attr_name not in attrs and attr_name in attr_defs:
                attrs[attr_name] = make_attr(attr_defs[attr_name], dt, op_type)
        for key, value in kwargs.items():
            ad = attr_defs.get(key)
            if ad is None:
                raise TypeError(f"{op_type} got an unexpected keyword argument '{key}'")
            if value is None:
                continue
            if key in attrs and ad.type != "type":
                continue
            attrs[key] = make_attr(ad, value, op_type)
        for ad in op_def.attr:
            if ad.name not in attrs:
                if ad.HasField("default_value"):
                    attrs[ad.name] = _copy_attr(ad.default_value)
                else:
                    raise TypeError(f"No argument for attr {ad.name} of op {op_type}")
        output_types = output_types_from_attrs(op_def, attrs)
        # Attrs in a NodeDef are a map; keep TF's OpDef order for readability of our own dumps.
        ordered = {ad.name: attrs[ad.name] for ad in op_def.attr}
        if must_colocate:
            with g.colocate_with(must_colocate[0].op):
                return g._create_op(op_type, inputs, output_types, ordered, scope[:-1])
        return g._create_op(op_type, inputs, output_types, ordered, scope[:-1])


def _list_type_error(op_type, arg, values, what) -> TypeError:
    """TF's TypeError for a list input that does not convert: each value's own type, as TF lists them."""
    observed = []
    for value in values:
        try:
            observed.append(graph_lib.convert_to_tensor(value, as_ref=arg.is_ref).dtype.base_dtype.name)
        except (TypeError, ValueError):
            observed.append("<NOT CONVERTIBLE TO TENSOR>")
    return TypeError(
        f"Tensors in list passed to '{arg.name}' of '{op_type}' Op have types [{', '.join(observed)}] {what}"
    )


def _first_arg_of(op_def, type_attr):
    for arg in op_def.input_arg:
        if arg.type_attr == type_attr:
            return arg.name
    return type_attr


def _default_type(attr_def):
    if attr_def is not None and attr_def.HasField("default_value") and attr_def.default_value.type:
        return DType(attr_def.default_value.type)
    return None


def _copy_attr(value) -> attr_value_pb2.AttrValue:
    out = attr_value_pb2.AttrValue()
    out.CopyFrom(value)
    return out


def outputs_of(op: graph_lib.Operation):
    """TF raw-op return convention: the Operation, one Tensor, or a list per output arg."""
    op_def = op.op_def
    if not op_def.output_arg:
        return op
    outs = op.outputs
    if len(op_def.output_arg) == 1 and not (op_def.output_arg[0].number_attr or op_def.output_arg[0].type_list_attr):
        return outs[0]
    result, i = [], 0
    for arg in op_def.output_arg:
        if arg.number_attr:
            n = op.get_attr(arg.number_attr)
            result.append(outs[i : i + n])
            i += n
        elif arg.type_list_attr:
            n = len(op.get_attr(arg.type_list_attr))
            result.append(outs[i : i + n])
            i += n
        else:
            result.append(outs[i])
            i += 1
    if len(op_def.output_arg) == 1:
        return result[0]
    return result


def raw_op(op_type: str, name=None, **kwargs):
    """Creates an op and returns its outputs by TF's raw-op convention."""
    return outputs_of(apply_op(op_type, name=name, **kwargs))


@functools.cache
def _output_tuple(op_type: str, fields: tuple):
    return collections.namedtuple(op_type, fields)


def raw_op_result(op: graph_lib.Operation):
    """What ``tf.raw_ops.<Op>`` returns for ``op``: as ``outputs_of``, except that an op with several output
    arguments gives a namedtuple named after the op type whose fields are the output argument names (a list
    for a list argument), as TF's generated op functions build it."""
    result = outputs_of(op)
    output_args = op.op_def.output_arg
    if len(output_args) < 2:
        return result
    return _output_tuple(op.type, tuple(arg.name for arg in output_args))._make(result)
