"""eject: a TF graph as a standalone PyTorch module, a readable ``.py`` plus a ``.safetensors`` of its weights.

The generated file imports only torch (and safetensors to load the weights): each TF node of the subgraph is one
line of plain torch code in ``forward``, named after the node (``to_module``'s fx graph, translated op by op);
variables become ``nn.Parameter``s named after the TF variables, constants buffers (small integer constants
such as shapes and axes are written inline). Ops without a plain-torch translation are named together in one
``UnimplementedError`` before anything is written.

    eject("model.meta", "out/", inputs=["x:0"], outputs=["y:0"], checkpoint="model-1000")
    eject_saved_model("/tmp/export", "out/")        # the serving_default signature's inputs and outputs

    # later, without torchmeta:
    import model; m = model.load(); y = m(x)
"""

from __future__ import annotations

import json
import keyword
import operator
import os
import re

import torch
from safetensors.torch import save_file

from torchmeta import errors
from torchmeta._proto import graph_pb2, node_def_pb2
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.func_graph import function_graph
from torchmeta.framework.function_library import FunctionLibrary
from torchmeta.framework.importer import import_graph_def
from torchmeta.io import saved_model as saved_model_io
from torchmeta.runtime.module import to_module
from torchmeta.runtime.session import Session
from torchmeta.saved_model import loader
from torchmeta.version import __version__

__all__ = ["eject", "eject_saved_model", "module_source", "SUPPORTED_OPS"]

# -- helpers copied into the generated file (only those it uses) ----------------------------------------------

_HELPERS = {
    "window_pads": '''
def window_pads(size, k, s, d, padding):
    """TF's padding of one spatial dimension: (before, after); SAME puts the odd pixel after."""
    if padding == "VALID":
        return 0, 0
    effective = (k - 1) * d + 1
    out = (size + s - 1) // s
    total = max((out - 1) * s + effective - size, 0)
    return total // 2, total - total // 2
''',
    "conv2d": '''
def conv2d(x, filter, strides, padding, dilations, data_format="NHWC"):
    """TF's Conv2D: NHWC (or NCHW) input, HWIO filter, SAME/VALID padding."""
    if data_format == "NHWC":
        x = x.permute(0, 3, 1, 2)
        strides, dilations = strides[1:3], dilations[1:3]
    else:
        strides, dilations = strides[2:], dilations[2:]
    kh, kw = filter.shape[0], filter.shape[1]
    top, bottom = window_pads(x.shape[2], kh, strides[0], dilations[0], padding)
    left, right = window_pads(x.shape[3], kw, strides[1], dilations[1], padding)
    x = F.pad(x, (left, right, top, bottom))
    groups = x.shape[1] // filter.shape[2]
    y = F.conv2d(x, filter.permute(3, 2, 0, 1), stride=strides, dilation=dilations, groups=groups)
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y
''',
    "max_pool": '''
def max_pool(x, ksize, strides, padding, data_format="NHWC"):
    """TF's MaxPool: padded cells never win (padding with -inf)."""
    if data_format == "NHWC":
        x, ksize, strides = x.permute(0, 3, 1, 2), ksize[1:3], strides[1:3]
    else:
        ksize, strides = ksize[2:], strides[2:]
    top, bottom = window_pads(x.shape[2], ksize[0], strides[0], 1, padding)
    left, right = window_pads(x.shape[3], ksize[1], strides[1], 1, padding)
    x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
    y = F.max_pool2d(x, ksize, strides)
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y
''',
    "avg_pool": '''
def avg_pool(x, ksize, strides, padding, data_format="NHWC"):
    """TF's AvgPool: the mean over the window's cells inside the input (padding is not counted)."""
    if data_format == "NHWC":
        x, ksize, strides = x.permute(0, 3, 1, 2), ksize[1:3], strides[1:3]
    else:
        ksize, strides = ksize[2:], strides[2:]
    top, bottom = window_pads(x.shape[2], ksize[0], strides[0], 1, padding)
    left, right = window_pads(x.shape[3], ksize[1], strides[1], 1, padding)
    pads = (left, right, top, bottom)
    total = F.avg_pool2d(F.pad(x, pads), ksize, strides, divisor_override=1)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), ksize, strides, divisor_override=1)
    y = total / count
    return y.permute(0, 2, 3, 1) if data_format == "NHWC" else y
''',
    "batch_norm": '''
def batch_norm(x, scale, offset, mean, variance, epsilon, data_format="NHWC"):
    """TF's FusedBatchNorm at inference: the stored mean and variance."""
    shape = [1, -1, 1, 1] if data_format == "NCHW" else [-1]
    inv = torch.rsqrt(variance + epsilon) * scale
    return x * inv.reshape(shape) + (offset - mean * inv).reshape(shape)
''',
}
_HELPER_DEPENDENCIES = {"conv2d": ["window_pads"], "max_pool": ["window_pads"], "avg_pool": ["window_pads"]}


class _Emitter:
    """Turns the nodes of ``to_module``'s GraphModule into lines of torch code."""

    def __init__(self, gm):
        self.gm = gm
        self.names: dict = {}  # fx Node -> expression
        self.lines: list[str] = []
        self.helpers: list[str] = []
        self.used_attrs: set[str] = set()
        self.lazy: dict = {}  # fx Node -> the module attribute its expression reads (declared only if used)

    # values
    def v(self, arg) -> str:
        if isinstance(arg, torch.fx.Node):
            if arg.op == "get_attr":
                self.used_attrs.add(arg.target)
                return f"self.{arg.target}"
            if arg in self.lazy:
                self.used_attrs.add(self.lazy[arg])
            return self.names[arg]
        if isinstance(arg, (list, tuple)):
            inner = ", ".join(self.v(a) for a in arg)
            return f"[{inner}]" if isinstance(arg, list) else f"({inner}{',' if len(arg) == 1 else ''})"
        if isinstance(arg, torch.dtype):
            return str(arg)
        if hasattr(arg, "torch") and hasattr(arg, "as_datatype_enum"):  # a torchmeta DType
            return str(arg.torch)
        return repr(arg)

    def const(self, arg):
        """The value of an integer constant argument (a buffer of the module or a Python value), else None."""
        if isinstance(arg, torch.fx.Node) and arg.op == "get_attr":
            value = getattr(self.gm, arg.target)
            if isinstance(value, torch.Tensor) and not value.is_floating_point() and value.numel() <= 64:
                return value.tolist()
            return None
        if isinstance(arg, (int, list, tuple)):
            return arg
        return None

    def scalar(self, arg, other) -> str | None:
        """A 0-d float constant ``arg`` as a Python literal, when ``other`` is a computed tensor."""
        if not (isinstance(arg, torch.fx.Node) and arg.op == "get_attr"):
            return None
        if not isinstance(other, torch.fx.Node) or other.op == "get_attr":
            return None
        value = getattr(self.gm, arg.target)
        if isinstance(value, torch.Tensor) and value.dim() == 0 and value.is_floating_point():
            return repr(float(value))
        return None

    def ints(self, arg) -> str:
        value = self.const(arg)
        if value is not None:
            return repr(value)
        return f"{self.v(arg)}.tolist()"

    def axes(self, arg) -> str:
        value = self.const(arg)
        if value is None:
            return f"{self.v(arg)}.tolist()"
        return repr([value] if isinstance(value, int) else list(value))

    def helper(self, name) -> str:
        for dep in [*_HELPER_DEPENDENCIES.get(name, []), name]:
            if dep not in self.helpers:
                self.helpers.append(dep)
        return name

    @staticmethod
    def rank(node) -> int | None:
        op = node.meta.get("tf_operation")
        return op.outputs[0].shape.ndims if op is not None else None


def _binary(symbol):
    def emit(e, n, a, k):
        # A scalar float constant next to a computed tensor reads best as a Python number (same result dtype).
        x, y = (e.scalar(a[0], a[1]) or e.v(a[0])), (e.scalar(a[1], a[0]) or e.v(a[1]))
        return f"{x} {symbol} {y}"

    return emit


def _call(fn):
    return lambda e, n, a, k: f"{fn}({e.v(a[0])})"


def _matmul(e, n, a, k):
    x = e.v(a[0]) + (".mT" if k.get("transpose_a") or k.get("adj_x") else "")
    y = e.v(a[1]) + (".mT" if k.get("transpose_b") or k.get("adj_y") else "")
    return f"torch.matmul({x}, {y})"


def _bias_add(e, n, a, k):
    if k.get("data_format", "NHWC") == "NCHW":
        rank = e.rank(n)
        return f"{e.v(a[0])} + {e.v(a[1])}.reshape({[-1] + [1] * ((rank or 4) - 2)})"
    return f"{e.v(a[0])} + {e.v(a[1])}"


def _reduction(fn, int_dtype=False):
    def emit(e, n, a, k):
        axes = e.axes(a[1])
        if axes == "[]":
            return e.v(a[0])
        extra = f", dtype={e.v(a[0])}.dtype" if int_dtype else ""
        return f"{fn}({e.v(a[0])}, dim={axes}, keepdim={bool(k.get('keep_dims'))}{extra})"

    return emit


def _arg_reduction(fn):
    return lambda e, n, a, k: f"{fn}({e.v(a[0])}, dim={e.ints(a[1])}).to({e.v(k['output_type'])})"


def _squeeze(e, n, a, k):
    dims = k.get("squeeze_dims") or k.get("axis") or []
    return f"torch.squeeze({e.v(a[0])}, {tuple(dims)!r})" if dims else f"torch.squeeze({e.v(a[0])})"


def _conv2d(e, n, a, k):
    if k.get("padding") == "EXPLICIT":
        return None
    fn = e.helper("conv2d")
    return (
        f"{fn}({e.v(a[0])}, {e.v(a[1])}, strides={k['strides']!r}, padding={k['padding']!r}, "
        f"dilations={k['dilations']!r}, data_format={k['data_format']!r})"
    )


def _pool(name):
    def emit(e, n, a, k):
        if k.get("padding") == "EXPLICIT":
            return None
        fn = e.helper(name)
        return (
            f"{fn}({e.v(a[0])}, ksize={k['ksize']!r}, strides={k['strides']!r}, padding={k['padding']!r}, "
            f"data_format={k['data_format']!r})"
        )

    return emit


def _fused_batch_norm(e, n, a, k):
    if k.get("is_training", True):
        return None
    fn = e.helper("batch_norm")
    y = f"{fn}({', '.join(e.v(x) for x in a[:5])}, {k['epsilon']!r}, data_format={k['data_format']!r})"
    # TF's outputs: y, batch mean, batch variance and three reserve outputs; at inference the stored statistics.
    return f"({y}, {e.v(a[3])}, {e.v(a[4])}, {e.v(a[3])}, {e.v(a[4])}, {e.v(a[4])})"


def _strided_slice(e, n, a, k):
    """Python indexing, when begin/end/strides are constants (TF's masks map onto slices, None and ...)."""
    begin, end, strides = e.const(a[1]), e.const(a[2]), e.const(a[3])
    if begin is None or end is None or strides is None:
        return None
    parts = []
    for i, (b, en, st) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if k["ellipsis_mask"] & bit:
            parts.append("...")
        elif k["new_axis_mask"] & bit:
            parts.append("None")
        elif k["shrink_axis_mask"] & bit:
            parts.append(repr(b))
        else:
            start = "" if k["begin_mask"] & bit else repr(b)
            stop = "" if k["end_mask"] & bit else repr(en)
            parts.append(f"{start}:{stop}" + (f":{st}" if st != 1 else ""))
    if any(st < 0 for st in strides):
        return None  # torch tensors have no negative steps
    return f"{e.v(a[0])}[{', '.join(parts)}]" if parts else e.v(a[0])


def _slice(e, a):
    begin, size = e.const(a[1]), e.const(a[2])
    if begin is None or size is None:
        return None
    parts = [f"{b}:" if sz == -1 else f"{b}:{b + sz}" for b, sz in zip(begin, size)]
    return f"{e.v(a[0])}[{', '.join(parts)}]"


def _pad(e, n, a, k):
    paddings = e.const(a[1])
    if paddings is None:
        return None
    flat = [p for before_after in reversed(paddings) for p in before_after]  # F.pad lists the last dim first
    return f"F.pad({e.v(a[0])}, {flat!r})"


def _gather(e, n, a, k):
    axis = e.const(a[2])
    if not isinstance(axis, int) or axis < 0 or k.get("batch_dims", 0):
        return None
    return f"{e.v(a[0])}[{':, ' * axis}{e.v(a[1])}.long()]"


def _shape(e, n, a, k):
    return f"torch.tensor({e.v(a[0])}.shape, dtype={e.v(k['out_type'])}, device={e.v(a[0])}.device)"


# TF op type -> how it reads in torch: ``emit(emitter, node, args, kwargs) -> expression`` (None: not expressible).
_TRANSLATIONS = {
    "MatMul": _matmul,
    "BatchMatMul": _matmul,
    "BatchMatMulV2": _matmul,
    "BatchMatMulV3": _matmul,
    "BiasAdd": _bias_add,
    "Add": _binary("+"),
    "AddV2": _binary("+"),
    "Sub": _binary("-"),
    "Mul": _binary("*"),
    "RealDiv": _binary("/"),
    "Maximum": lambda e, n, a, k: f"torch.maximum({e.v(a[0])}, {e.v(a[1])})",
    "Minimum": lambda e, n, a, k: f"torch.minimum({e.v(a[0])}, {e.v(a[1])})",
    "SquaredDifference": lambda e, n, a, k: f"torch.square({e.v(a[0])} - {e.v(a[1])})",
    "Neg": lambda e, n, a, k: f"-{e.v(a[0])}",
    "Relu": _call("torch.relu"),
    "Relu6": lambda e, n, a, k: f"torch.clamp({e.v(a[0])}, 0, 6)",
    "Elu": _call("F.elu"),
    "Selu": _call("F.selu"),
    "Softplus": _call("F.softplus"),
    "LeakyRelu": lambda e, n, a, k: f"F.leaky_relu({e.v(a[0])}, {k['alpha']!r})",
    "Sigmoid": _call("torch.sigmoid"),
    "Tanh": _call("torch.tanh"),
    "Exp": _call("torch.exp"),
    "Log": _call("torch.log"),
    "Sqrt": _call("torch.sqrt"),
    "Rsqrt": _call("torch.rsqrt"),
    "Square": _call("torch.square"),
    "Abs": _call("torch.abs"),
    "Softmax": lambda e, n, a, k: f"torch.softmax({e.v(a[0])}, dim=-1)",
    "LogSoftmax": lambda e, n, a, k: f"torch.log_softmax({e.v(a[0])}, dim=-1)",
    "Reshape": lambda e, n, a, k: f"torch.reshape({e.v(a[0])}, {e.ints(a[1])})",
    "Cast": lambda e, n, a, k: f"{e.v(a[0])}.to({e.v(k['DstT'])})",
    "Mean": _reduction("torch.mean"),
    "Sum": _reduction("torch.sum", int_dtype=True),
    "Max": _reduction("torch.amax"),
    "Min": _reduction("torch.amin"),
    "ArgMax": _arg_reduction("torch.argmax"),
    "ArgMin": _arg_reduction("torch.argmin"),
    "Squeeze": _squeeze,
    "ExpandDims": lambda e, n, a, k: f"torch.unsqueeze({e.v(a[0])}, {e.ints(a[1])})",
    "ConcatV2": lambda e, n, a, k: f"torch.cat({e.v(list(a[0]))}, dim={e.ints(a[1])})",
    "Pack": lambda e, n, a, k: f"torch.stack({e.v(list(a[0]))}, dim={k.get('axis', 0)!r})",
    "Transpose": lambda e, n, a, k: f"{e.v(a[0])}.permute({e.ints(a[1])})",
    "Shape": _shape,
    "StridedSlice": _strided_slice,
    "Slice": lambda e, n, a, k: _slice(e, a),
    "Pad": _pad,
    "GatherV2": _gather,
    "Tile": lambda e, n, a, k: f"{e.v(a[0])}.repeat({e.ints(a[1])})",
    "ZerosLike": _call("torch.zeros_like"),
    "OnesLike": _call("torch.ones_like"),
    "Floor": _call("torch.floor"),
    "Ceil": _call("torch.ceil"),
    "Sin": _call("torch.sin"),
    "Cos": _call("torch.cos"),
    "Pow": lambda e, n, a, k: f"torch.pow({e.v(a[0])}, {e.v(a[1])})",
    "Greater": _binary(">"),
    "GreaterEqual": _binary(">="),
    "Less": _binary("<"),
    "LessEqual": _binary("<="),
    "Equal": _binary("=="),
    "SelectV2": lambda e, n, a, k: f"torch.where({e.v(a[0])}, {e.v(a[1])}, {e.v(a[2])})",
    "Conv2D": _conv2d,
    "MaxPool": _pool("max_pool"),
    "AvgPool": _pool("avg_pool"),
    "FusedBatchNorm": _fused_batch_norm,
    "FusedBatchNormV3": _fused_batch_norm,
}
# Ops that pass their input through: their output is a new name for the same tensor (in a module a resource
# variable is its Parameter, so reading it is one too).
_ALIASES = {"Identity", "StopGradient", "Snapshot", "PreventGradient", "ReadVariableOp"}
SUPPORTED_OPS = sorted({*_TRANSLATIONS, *_ALIASES})


def _module_attr_decl(name: str, value: torch.Tensor, is_param: bool, tf_name: str | None) -> str:
    empty = f"torch.empty({tuple(value.shape)!r}, dtype={value.dtype})"
    note = f"  # TF: {tf_name}" if tf_name else ""
    if is_param:
        return f"        self.{name} = torch.nn.Parameter({empty}){note}"
    return f"        self.register_buffer({name!r}, {empty}){note}"


# The scopes that inlining TF2 function calls adds ("StatefulPartitionedCall/StatefulPartitionedCall/MatMul").
_CALL_SCOPES = re.compile(r"^(?:(?:Stateful)?PartitionedCall(?:_\d+)?/)+")


def _var_name(node) -> str:
    """The local variable of a node: its fx name, without the scopes of inlined function calls."""
    tf_name = node.meta.get("tf_name") or ""
    if not _CALL_SCOPES.match(tf_name):
        return node.name
    base = re.sub(r"\W", "_", _CALL_SCOPES.sub("", tf_name))
    return base if base and not base[0].isdigit() else "_" + base


def module_source(
    gm, class_name="Model", weights_name="model.safetensors", source="a TensorFlow graph", all_variables_trainable=False
):
    """The Python source of a standalone module for ``to_module``'s GraphModule ``gm``, and the state to save.

    Returns:
      (source text, {attribute: tensor} for the ``.safetensors`` file).

    Raises:
      UnimplementedError: naming every op type (with its nodes) that has no plain-torch translation.
    """
    e = _Emitter(gm)
    reserved = {"torch", "F", "os", "self", "load", "load_file", class_name, *_HELPERS}
    taken: set[str] = set()

    def local(node_name: str) -> str:
        name = node_name
        while name in reserved or name in taken or keyword.iskeyword(name):
            name += "_"
        taken.add(name)
        return name

    unsupported: dict[str, list[str]] = {}
    inputs = []
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            name = local(node.name)
            e.names[node] = name
            inputs.append(name)
        elif node.op == "get_attr":
            continue
        elif node.op == "call_function":
            op_type = node.meta.get("tf_op")
            if not node.users:
                continue  # e.g. the outputs of a multi-output op that nothing reads
            if node.target is operator.getitem:
                var = local(f"{e.v(node.args[0])}_{node.args[1]}")
                e.names[node] = var
                e.lines.append(f"        {var} = {e.v(node.args[0])}[{node.args[1]!r}]")
                continue
            elif node.target is getattr and node.args[0].op == "get_attr":
                # the module's device (kernels' `device` argument): an expression, used only if a line reads it
                e.names[node] = f"self.{node.args[0].target}.{node.args[1]}"
                e.lazy[node] = node.args[0].target
                continue
            elif op_type in _ALIASES:
                e.names[node] = e.v(node.args[0])
                continue
            else:
                translate = _TRANSLATIONS.get(op_type)
                expr = translate(e, node, node.args, node.kwargs) if translate else None
            if expr is None:
                unsupported.setdefault(op_type or str(node.target), []).append(node.meta.get("tf_name", node.name))
                e.names[node] = node.name
                continue
            e.names[node] = var = local(_var_name(node))
            tf_name = node.meta.get("tf_name")
            notes = [t for t in (op_type, tf_name) if t and t != var]
            comment = f"  # {' '.join(dict.fromkeys(notes))}" if notes else ""
            e.lines.append(f"        {var} = {expr}{comment}")
        elif node.op == "output":
            result = node.args[0]
            e.lines.append(f"        return {e.v(result)}")
        else:
            unsupported.setdefault(node.op, []).append(node.name)
    if unsupported:
        listed = "; ".join(
            f"{op} ({', '.join(repr(n) for n in nodes[:3])})" for op, nodes in sorted(unsupported.items())
        )
        raise errors.UnimplementedError(
            None,
            None,
            f"eject: no plain-torch translation for {listed}. Supported op types: {', '.join(SUPPORTED_OPS)}.",
        )
    params = dict(gm.named_parameters())
    state = {}
    decls = []
    tf_names = getattr(gm, "tf_variable_names", {})
    for attr in sorted(e.used_attrs):
        value = getattr(gm, attr)
        if not isinstance(value, torch.Tensor):
            raise errors.UnimplementedError(None, None, f"eject: attribute {attr!r} is not a tensor ({type(value)})")
        is_param = attr in params or (all_variables_trainable and attr in tf_names and value.is_floating_point())
        decls.append(_module_attr_decl(attr, value, is_param, tf_names.get(attr)))
        state[attr] = value.detach().contiguous().cpu()
    helpers = "".join(_HELPERS[h] + "\n" for h in e.helpers)
    outputs = ", ".join(getattr(gm, "tf_outputs", []))
    tf_inputs = ", ".join(getattr(gm, "tf_inputs", []))
    text = f'''"""{class_name}: generated by torchmeta {__version__} `eject` from {source}.

Plain PyTorch: needs only torch (and safetensors for the weights in {weights_name}).
forward({", ".join(inputs)}) takes the TF tensors {tf_inputs or "(none)"} and returns {outputs}.
"""

import os

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

{helpers}
class {class_name}(torch.nn.Module):
    def __init__(self):
        super().__init__()
{chr(10).join(decls) if decls else "        pass"}

    def forward(self{"".join(", " + i for i in inputs)}):
{chr(10).join(e.lines)}


def load(path=None, device="cpu"):
    """{class_name} with its weights from ``path`` (default: {weights_name} next to this file)."""
    model = {class_name}()
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), {weights_name!r})
    model.load_state_dict(load_file(path), strict=True)
    return model.to(device)
'''
    return text, state


# Function calls of TF2 graphs (a SavedModel signature is a StatefulPartitionedCall of the traced tf.function).
_CALL_OPS = {"PartitionedCall", "StatefulPartitionedCall"}


def _tensor_key(name: str) -> str:
    name = name.lstrip("^")
    return name if ":" in name else name + ":0"


def _needed(nodes: dict, outputs) -> list:
    """The nodes ``outputs`` depend on through data inputs, in an order where inputs come first."""
    order, state = [], {}
    for out in outputs:
        stack = [(out.split(":")[0], False)]
        while stack:
            name, done = stack.pop()
            if done:
                if state.get(name) != 2:
                    state[name] = 2
                    order.append(nodes[name])
                continue
            if state.get(name) or name not in nodes:
                continue
            state[name] = 1
            stack.append((name, True))
            for inp in nodes[name].input:
                if not inp.startswith("^"):
                    stack.append((inp.split(":")[0], False))
    return order


def _inline(graph, library, node_defs, mapping: dict, prefix: str, outputs) -> None:
    """Imports the nodes ``outputs`` need into ``graph`` under ``prefix``, each function call replaced by its
    body (recursively); ``mapping`` maps their tensor names ("node:i") to the Tensors imported."""
    nodes = {n.name: n for n in node_defs}
    for node in _needed(nodes, outputs):
        if _tensor_key(node.name) in mapping:
            continue  # a function argument, already bound
        inputs = [mapping[_tensor_key(i)] for i in node.input if not i.startswith("^")]
        if node.op in _CALL_OPS:
            body = function_graph(library, node.attr["f"].func.name)
            inner = {t.name: outer for t, outer in zip(body.inputs, inputs)}
            _inline(
                graph, library, body.as_graph_def().node, inner, f"{prefix}{node.name}/", [t.name for t in body.outputs]
            )
            for i, t in enumerate(body.outputs):
                mapping[f"{node.name}:{i}"] = inner[t.name]
            continue
        copy = node_def_pb2.NodeDef()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        del copy.input[:]
        copy.input.extend(f"in{i}:0" for i in range(len(inputs)))
        copy.attr.pop("_class", None)  # colocation with nodes that may not be imported
        with graph.as_default():
            (op,) = import_graph_def(
                graph_pb2.GraphDef(node=[copy]),
                input_map={f"in{i}:0": t for i, t in enumerate(inputs)},
                return_elements=[copy.name],
                name="",
            )
        for i, out in enumerate(op.outputs):
            mapping[f"{node.name}:{i}"] = out


def inline_function_calls(graph_def, outputs) -> tuple[graph_lib.Graph, dict]:
    """A Graph of what ``outputs`` (tensor names) need from ``graph_def``, function calls inlined.

    Returns:
      (the graph, {tensor name in graph_def: Tensor of the new graph}).
    """
    library = FunctionLibrary()
    for fdef in graph_def.library.function:
        library.add(fdef)
    graph = graph_lib.Graph()
    mapping: dict = {}
    _inline(graph, library, graph_def.node, mapping, "", list(outputs))
    return graph, mapping


def eject(
    graph_or_meta_graph,
    out_dir,
    inputs,
    outputs,
    session=None,
    checkpoint=None,
    name="model",
    class_name="Model",
    source=None,
    all_variables_trainable=False,
) -> list[str]:
    """Writes ``<out_dir>/<name>.py`` (a torch-only nn.Module) and ``<out_dir>/<name>.safetensors``.

    Args:
      graph_or_meta_graph: a Graph, a MetaGraphDef or a ``.meta`` path.
      out_dir: the directory to write into (created if missing).
      inputs / outputs: tensors or names: ``forward``'s arguments and results.
      session / checkpoint: where the variables' values come from (default: their initializers).
      name: the base name of the two files; class_name: the module's class.

    Returns:
      The two paths written.

    Raises:
      UnimplementedError: ops without a plain-torch translation (all named), variable updates, control flow.
    """
    gm = to_module(graph_or_meta_graph, inputs, outputs, session=session, checkpoint=checkpoint)
    if source is None:
        source = graph_or_meta_graph if isinstance(graph_or_meta_graph, (str, os.PathLike)) else "a TensorFlow graph"
    text, state = module_source(
        gm, class_name, f"{name}.safetensors", os.fspath(source) if source else source, all_variables_trainable
    )
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    py_path = os.path.join(out_dir, f"{name}.py")
    weights_path = os.path.join(out_dir, f"{name}.safetensors")
    metadata = {"format": "pt", "tf_variable_names": json.dumps(getattr(gm, "tf_variable_names", {}))}
    save_file(state, weights_path, metadata=metadata)
    with open(py_path, "w", encoding="utf-8") as f:
        f.write(text)
    return [py_path, weights_path]


def eject_saved_model(
    export_dir, out_dir, tags=("serve",), signature_def_key="serving_default", name="model", class_name="Model"
) -> list[str]:
    """Ejects a SavedModel signature: ``forward`` takes its inputs in sorted key order, returns its outputs so.

    Raises:
      FormatError / MetaGraphNotFoundError: as ``loader.load``; NotFoundError for a missing signature.
    """
    export_dir = os.fspath(export_dir)
    graph = graph_lib.Graph()
    with Session(graph=graph) as sess:
        meta = loader.load(sess, list(tags), export_dir)
        if signature_def_key not in meta.signature_def:
            raise errors.NotFoundError(
                None,
                None,
                f'Could not find signature "{signature_def_key}" in {saved_model_io.SAVED_MODEL_FILENAME_PB} of '
                f"{export_dir}. Please choose from: {', '.join(meta.signature_def.keys())}",
            )
        signature = meta.signature_def[signature_def_key]
        inputs = [signature.inputs[k].name for k in sorted(signature.inputs)]
        outputs = [signature.outputs[k].name for k in sorted(signature.outputs)]
        if not any(node.op in _CALL_OPS for node in meta.graph_def.node):
            return eject(
                graph, out_dir, inputs, outputs, session=sess, name=name, class_name=class_name, source=export_dir
            )
        # A TF2 signature: its tf.function bodies inlined into one graph; every float variable is trainable.
        flat, mapping = inline_function_calls(meta.graph_def, outputs)
        return eject(
            flat,
            out_dir,
            [mapping[_tensor_key(t)] for t in inputs],
            [mapping[_tensor_key(t)] for t in outputs],
            session=sess,
            name=name,
            class_name=class_name,
            source=export_dir,
            all_variables_trainable=True,
        )
