"""eject: a TF graph as a standalone PyTorch module, a readable ``.py`` plus a ``.safetensors`` of its weights.

The generated file imports only torch (and safetensors to load the weights): each TF node of the subgraph is one
line of plain torch code in ``forward``, named after the node (``to_module``'s fx graph, translated op by op);
variables become ``nn.Parameter``s named after the TF variables, constants buffers (small integer constants
such as shapes and axes are written inline). TF1 conditionals (Switch/Merge) become Python ``if``s: each line
runs under the branches it depends on, a Merge is a conditional expression. Random ops draw from torch's default
generator with TF's distributions (not TF's Philox streams: ``torch.manual_seed`` repeats a run, a TF seed does
not give TF's numbers; the seeds are noted on the line). Ops without a plain-torch translation are named
together in one ``UnimplementedError`` before anything is written.

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
from torchmeta.runtime.control_flow import dead_unless_live
from torchmeta.runtime.module import to_module
from torchmeta.saved_model.module import signature_module
from torchmeta.tools.eject_helpers import HELPER_DEPENDENCIES, HELPERS
from torchmeta.version import __version__

__all__ = ["eject", "eject_saved_model", "module_source", "SUPPORTED_OPS"]


class _Emitter:
    """Turns the nodes of ``to_module``'s GraphModule into lines of torch code."""

    def __init__(self, gm):
        self.gm = gm
        self.names: dict = {}  # fx Node -> expression
        self.lines: list[str] = []
        self.helpers: list[str] = []
        self.used_attrs: set[str] = set()
        self.lazy: dict = {}  # fx Node -> the module attribute its expression reads (declared only if used)
        self.notes: dict = {}  # fx Node -> a remark for its line's comment

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

    @staticmethod
    def source(arg):
        """A constant under a branch's control input is the constant itself (its line runs in the branch)."""
        while isinstance(arg, torch.fx.Node) and arg.target is dead_unless_live:
            arg = arg.args[0]
        return arg

    def const(self, arg):
        """The value of an integer constant argument (a buffer of the module or a Python value), else None."""
        arg = self.source(arg)
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
        arg, other = self.source(arg), self.source(other)
        if not (isinstance(arg, torch.fx.Node) and arg.op == "get_attr"):
            return None
        if not isinstance(other, torch.fx.Node) or other.op == "get_attr":
            return None
        value = getattr(self.gm, arg.target)
        if isinstance(value, torch.Tensor) and value.dim() == 0 and value.is_floating_point():
            return repr(float(value))
        return None

    def scalar_value(self, arg):
        """A 0-d constant argument as a Python number, else None."""
        arg = self.source(arg)
        if isinstance(arg, torch.fx.Node) and arg.op == "get_attr":
            value = getattr(self.gm, arg.target)
            if isinstance(value, torch.Tensor) and value.dim() == 0:
                return value.item()
            return None
        return arg if isinstance(arg, (int, float)) else None

    def int_value(self, arg) -> str:
        value = self.scalar_value(arg)
        return repr(int(value)) if value is not None else f"int({self.v(arg)})"

    def ints_or_tensor(self, arg) -> str:
        value = self.const(arg)
        return repr(value) if value is not None else self.v(arg)

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
        for dep in [*HELPER_DEPENDENCIES.get(name, []), name]:
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


def _padding(k) -> str:
    """The padding argument of the window helpers: "SAME"/"VALID", or EXPLICIT's spatial [[before, after], ...]."""
    if k.get("padding") != "EXPLICIT":
        return repr(k["padding"])
    flat = list(k["explicit_paddings"])
    pairs = [flat[i : i + 2] for i in range(0, len(flat), 2)]
    return repr(pairs[1:3] if k.get("data_format", "NHWC") == "NHWC" else pairs[2:4])


def _conv2d(depthwise=False):
    def emit(e, n, a, k):
        fn = e.helper("conv2d")
        extra = ", depthwise=True" if depthwise else ""
        return (
            f"{fn}({e.v(a[0])}, {e.v(a[1])}, strides={k['strides']!r}, padding={_padding(k)}, "
            f"dilations={k['dilations']!r}, data_format={k['data_format']!r}{extra})"
        )

    return emit


def _pool(name):
    def emit(e, n, a, k):
        fn = e.helper(name)
        return (
            f"{fn}({e.v(a[0])}, ksize={k['ksize']!r}, strides={k['strides']!r}, padding={_padding(k)}, "
            f"data_format={k['data_format']!r})"
        )

    return emit


def _cumulative(fn):
    def emit(e, n, a, k):
        axis = e.ints(a[1])
        if not k.get("exclusive") and not k.get("reverse"):
            return f"{fn}({e.v(a[0])}, {axis}, dtype={e.v(a[0])}.dtype)"
        return (
            f"{e.helper('cumulative')}({fn}, {e.v(a[0])}, {axis}, exclusive={bool(k.get('exclusive'))}, "
            f"reverse={bool(k.get('reverse'))})"
        )

    return emit


def _fused_batch_norm(e, n, a, k):
    if k.get("is_training", True):
        return None
    fn = e.helper("batch_norm")
    y = f"{fn}({', '.join(e.v(x) for x in a[:5])}, {k['epsilon']!r}, data_format={k['data_format']!r})"
    # TF's outputs: y, batch mean, batch variance and three reserve outputs; at inference the stored statistics.
    return f"({y}, {e.v(a[3])}, {e.v(a[4])}, {e.v(a[3])}, {e.v(a[4])}, {e.v(a[4])})"


_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _strided_slice(e, n, a, k):
    """Python indexing when begin/end/strides are constants and the strides positive (TF's masks map onto slices,
    None and ...); the ``strided_slice`` helper otherwise (bounds known at run time, negative strides)."""
    begin, end, strides = e.const(a[1]), e.const(a[2]), e.const(a[3])
    if begin is None or end is None or strides is None or any(st < 0 for st in strides):
        masks = "".join(f", {m}={k[m]}" for m in _MASKS if k[m])
        args = ", ".join(repr(c) if c is not None else e.v(x) for c, x in zip((begin, end, strides), a[1:4]))
        return f"{e.helper('strided_slice')}({e.v(a[0])}, {args}{masks})"
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
    return f"{e.v(a[0])}[{', '.join(parts)}]" if parts else e.v(a[0])


def _slice(e, a):
    begin, size = e.const(a[1]), e.const(a[2])
    if begin is None or size is None:
        return None
    parts = [f"{b}:" if sz == -1 else f"{b}:{b + sz}" for b, sz in zip(begin, size)]
    return f"{e.v(a[0])}[{', '.join(parts)}]"


def _pad(mode=None):
    """Pad (zeros), PadV2 (a constant value) and MirrorPad (REFLECT/SYMMETRIC)."""

    def emit(e, n, a, k):
        paddings = e.const(a[1])
        how = mode or k.get("mode", "CONSTANT")
        value = e.scalar_value(a[2]) if len(a) > 2 else 0
        if how == "CONSTANT" and paddings is not None and value is not None:
            flat = [p for before_after in reversed(paddings) for p in before_after]  # F.pad: the last dim first
            return f"F.pad({e.v(a[0])}, {flat!r}{f', value={value!r}' if value else ''})"
        value_arg = repr(value) if value is not None else e.v(a[2])
        extra = f", value={value_arg}" if len(a) > 2 else ""
        return f"{e.helper('pad')}({e.v(a[0])}, {e.ints_or_tensor(a[1])}, {how!r}{extra})"

    return emit


# Random ops draw from torch's default generator (torch.manual_seed makes them repeatable): TF's distributions,
# not TF's Philox streams. The seeds TF was given are noted on the line.
def _seeds_note(n) -> str:
    op = n.meta.get("tf_operation")
    if op is None:
        return ""
    seed, seed2 = op.get_attr("seed"), op.get_attr("seed2")
    return f"TF seeds ({seed}, {seed2}); torch's generator" if seed or seed2 else "torch's generator"


def _random(kind):
    def emit(e, n, a, k):
        e.notes[n] = _seeds_note(n)
        if kind == "shuffle":
            x = e.v(a[0])
            return f"{x}[torch.randperm({x}.shape[0], device={x}.device)] if {x}.dim() else {x}"
        if kind == "multinomial":
            logits = e.v(a[0])
            return (
                f"torch.multinomial(torch.softmax({logits}, -1), {e.int_value(a[1])}, replacement=True)"
                f".to({e.v(k['output_dtype'])})"
            )
        shape, device = e.ints(a[0]), e.v(k["device"])
        if kind == "int":
            return f"torch.randint({e.int_value(a[1])}, {e.int_value(a[2])}, {shape}, dtype={e.v(n.meta['tf_operation'].outputs[0].dtype)}, device={device})"
        dtype = e.v(k["dtype"])
        if kind == "truncated":  # normal values redrawn outside two standard deviations, as TF's
            return f"torch.nn.init.trunc_normal_(torch.empty({shape}, dtype={dtype}, device={device}), a=-2.0, b=2.0)"
        fn = "torch.randn" if kind == "normal" else "torch.rand"
        return f"{fn}({shape}, dtype={dtype}, device={device})"

    return emit


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
    "Pad": _pad("CONSTANT"),
    "PadV2": _pad("CONSTANT"),
    "MirrorPad": _pad(),
    "Cumsum": _cumulative("torch.cumsum"),
    "Cumprod": _cumulative("torch.cumprod"),
    "RandomStandardNormal": _random("normal"),
    "RandomUniform": _random("uniform"),
    "RandomUniformInt": _random("int"),
    "TruncatedNormal": _random("truncated"),
    "RandomShuffle": _random("shuffle"),
    "Multinomial": _random("multinomial"),
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
    "Conv2D": _conv2d(),
    "DepthwiseConv2dNative": _conv2d(depthwise=True),
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


_SWITCH_OPS = ("Switch", "RefSwitch")
_MERGE_OPS = ("Merge", "RefMerge")


def _flat(args):
    for x in args:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _condition(literals) -> str:
    return " and ".join(pred if branch else f"not {pred}" for pred, branch in sorted(literals))


def _merge(e, node, conds, index=False):
    """A Merge of a conditional's branches: the input whose branch ran (or, with ``index``, its position: TF's
    value_index), as a conditional expression.

    Returns (expression, the Merge's condition: what its inputs' conditions share, [(an input's own condition,
    its value)]); (None, ...) when an input is live whenever the Merge is (not a conditional's Merge)."""
    inputs = list(node.args[0])
    each = [conds.get(x, frozenset()) if isinstance(x, torch.fx.Node) else frozenset() for x in inputs]
    common = frozenset.intersection(*each)

    def value(i):
        return f"torch.tensor({i}, dtype=torch.int32)" if index else e.v(inputs[i])

    expr = value(len(inputs) - 1)
    for i in range(len(inputs) - 2, -1, -1):
        own = each[i] - common
        if not own:
            return None, common, None
        expr = f"{value(i)} if {_condition(own)} else {expr}"
    return expr, common, [(each[i] - common, value(i)) for i in range(len(inputs))]


def _indent_conditional(lines) -> list[str]:
    """The lines of ``forward``: a run of lines under the same condition in one ``if``."""
    out, previous = [], frozenset()
    for cond, line in lines:
        if cond:
            if cond != previous:
                out.append(f"        if {_condition(cond)}:")
            out.append("            " + line)
        else:
            out.append("        " + line)
        previous = cond
    return out


class _Line:
    __slots__ = ("cond", "text", "merge")

    def __init__(self, cond, text, merge):
        self.cond = cond
        self.text = text
        self.merge = merge  # (variable, predicate, value if true, value if false) for a conditional's Merge


def _conditionals_as_functions(lines, merges, local) -> list[str] | None:
    """The lines of ``forward`` with each TF1 conditional as two local functions and one ``cond`` call (the
    helper: a Python ``if``, torch.cond under torch.compile/torch.export), nested as the conditionals are:

        def cond_Merge_then():
            cond_MatMul = torch.matmul(x, self.w)
            return (cond_MatMul,)
        def cond_Merge_else():
            ...
        (cond_Merge,) = cond(p, cond_Merge_then, cond_Merge_else)

    A conditional is the Merges of one predicate whose inputs are live on its two branches; each branch function
    computes the lines under its literal and returns the Merges' inputs. None when the lines do not have this
    shape (a Merge of more than two branches, a line under two conditionals at once): then ``if`` blocks."""
    recs = []
    for i, (cond, text) in enumerate(lines):
        merge = None
        if i in merges:
            var, branches = merges[i]
            if var is None or len(branches) != 2 or any(len(c) != 1 for c, _ in branches):
                return None
            (pred, b0), (pred1, b1) = next(iter(branches[0][0])), next(iter(branches[1][0]))
            if pred != pred1 or b0 == b1:
                return None
            values = {b0: branches[0][1], b1: branches[1][1]}
            merge = (var, pred, values[True], values[False])
        recs.append(_Line(cond, text, merge))
    return _nest(recs, frozenset(), "        ", local)


def _nest(recs, ctx, indent, local):
    """``recs`` (lines live under ``ctx``) as Python, each conditional of this level a ``cond`` call."""
    # The conditionals of this level, found backwards: a Merge of predicate p whose condition is ``ctx`` ends one
    # (Merges of p with no line of p between them are the outputs of one conditional); a line under p's literal
    # belongs to the next conditional of p after it (of the predicates it is under, the outermost: latest Merge).
    groups = []
    current: dict = {}
    owner: dict = {}  # id(line) -> group
    for pos in range(len(recs) - 1, -1, -1):
        r = recs[pos]
        lits = r.cond - ctx
        if r.merge is not None and not lits:
            pred = r.merge[1]
            group = current.get(pred)
            if group is None or group[True] or group[False]:
                group = {"pred": pred, "merges": [], True: [], False: [], "pos": pos}
                groups.append(group)
                current[pred] = group
            group["merges"].insert(0, r)
            owner[id(r)] = group
        elif lits:
            candidates = [(current[p]["pos"], p, b) for p, b in lits if p in current]
            if not candidates:
                return None  # a line under a conditional with no Merge here
            _, pred, branch = max(candidates)
            current[pred][branch].insert(0, r)
            owner[id(r)] = current[pred]
    defined_in = {}
    for group in groups:
        for r in (*group[True], *group[False]):
            if " = " in r.text:
                defined_in[r.text.split(" = ", 1)[0].strip("()").split(",")[0]] = id(group)
    for group in groups:
        for m in group["merges"]:
            for value in m.merge[2:]:
                if defined_in.get(value, id(group)) != id(group):
                    return None  # a Merge of values from another conditional's branches
    out = []
    for r in recs:
        group = owner.get(id(r))
        if group is None:
            out.append(indent + r.text)
            continue
        if r is not group["merges"][0]:
            continue  # a branch line or a later output: written with the conditional
        pred, first_var = group["pred"], r.merge[0]
        names = {}
        for branch, suffix in ((True, "then"), (False, "else")):
            body = _nest(group[branch], ctx | {(pred, branch)}, indent + "    ", local)
            if body is None:
                return None
            values = [m.merge[2] if branch else m.merge[3] for m in group["merges"]]
            names[branch] = name = local(f"{first_var}_{suffix}")
            out.append(f"{indent}def {name}():")
            out.extend(body)
            out.append(f"{indent}    return ({', '.join(values)},)")
        targets = ", ".join(m.merge[0] for m in group["merges"])
        comments = "; ".join(m.text.split("  # ", 1)[1] for m in group["merges"] if "  # " in m.text)
        note = f"  # {comments}" if comments else ""
        out.append(f"{indent}({targets},) = cond({pred}, {names[True]}, {names[False]}){note}")
    return out


def module_source(gm, class_name="Model", weights_name="model.safetensors", source="a TensorFlow graph"):
    """The Python source of a standalone module for ``to_module``'s GraphModule ``gm``, and the state to save.

    Returns:
      (source text, {attribute: tensor} for the ``.safetensors`` file).

    Raises:
      UnimplementedError: naming every op type (with its nodes) that has no plain-torch translation.
    """
    e = _Emitter(gm)
    reserved = {"torch", "F", "os", "self", "load", "load_file", class_name, *HELPERS}
    taken: set[str] = set()

    def local(node_name: str) -> str:
        name = node_name
        while name in reserved or name in taken or keyword.iskeyword(name):
            name += "_"
        taken.add(name)
        return name

    unsupported: dict[str, list[str]] = {}
    inputs = []
    # TF1 conditionals (Switch/Merge): each line runs under a condition, a set of (predicate, branch) literals
    # from the Switches it depends on; lines under one are written in an `if`, a Merge picks its live input.
    conds: dict = {}
    lines: list = []  # (condition, line)
    merges: dict = {}  # position in lines -> (variable, [(condition of an input, its value)]): a conditional's Merge

    def cond_of(node) -> frozenset:
        deps = [x for x in _flat(node.args) if isinstance(x, torch.fx.Node)]
        deps += list(node.kwargs.get("_ctrl", ()))
        return frozenset().union(*(conds.get(d, frozenset()) for d in deps))

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
            cond = conds[node] = cond_of(node)
            if node.target is operator.getitem:
                source = node.args[0]
                if source.meta.get("tf_op") in _MERGE_OPS:  # output (the Merge's line), value_index
                    if node.args[1] == 0:
                        e.names[node] = e.v(source)
                        conds[node] = conds[source]
                        continue
                    expr, conds[node], branches = _merge(e, source, conds, index=True)
                    e.names[node] = var = local(f"{e.v(source)}_index")
                    merges[len(lines)] = (var, branches)
                    lines.append((conds[node], f"{var} = {expr}"))
                    continue
                if source.meta.get("tf_op") in _SWITCH_OPS:  # output_false / output_true: the data, if the branch runs
                    data, pred = source.args
                    e.names[node] = e.v(data)
                    conds[node] = cond | {(e.v(pred), node.args[1] == 1)}
                    continue
                var = local(f"{e.v(source)}_{node.args[1]}")
                e.names[node] = var
                lines.append((cond, f"{var} = {e.v(source)}[{node.args[1]!r}]"))
                continue
            elif node.target is getattr and node.args[0].op == "get_attr":
                # the module's device (kernels' `device` argument): an expression, used only if a line reads it
                e.names[node] = f"self.{node.args[0].target}.{node.args[1]}"
                e.lazy[node] = node.args[0].target
                continue
            elif op_type in _ALIASES or node.target is dead_unless_live or op_type in _SWITCH_OPS:
                e.names[node] = e.v(node.args[0])  # (a Switch is read through its outputs, above)
                continue
            elif op_type in _MERGE_OPS:
                expr, conds[node], branches = _merge(e, node, conds)
                if expr is not None:
                    merges[len(lines)] = (None, branches)  # the variable: named below
            else:
                translate = _TRANSLATIONS.get(op_type)
                expr = translate(e, node, node.args, node.kwargs) if translate else None
            if expr is None:
                unsupported.setdefault(op_type or str(node.target), []).append(node.meta.get("tf_name", node.name))
                e.names[node] = node.name
                continue
            e.names[node] = var = local(_var_name(node))
            if len(lines) in merges:
                merges[len(lines)] = (var, merges[len(lines)][1])
            tf_name = node.meta.get("tf_name")
            notes = [t for t in (op_type, tf_name, e.notes.get(node)) if t and t != var]
            comment = f"  # {' '.join(dict.fromkeys(notes))}" if notes else ""
            lines.append((conds[node], f"{var} = {expr}{comment}"))
        elif node.op == "output":
            lines.append((frozenset(), f"return {e.v(node.args[0])}"))
        else:
            unsupported.setdefault(node.op, []).append(node.name)
    structured = _conditionals_as_functions(lines, merges, local) if merges else None
    if structured is not None:
        e.helper("cond")
    e.lines = structured if structured is not None else _indent_conditional(lines)
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
        is_param = attr in params
        decls.append(_module_attr_decl(attr, value, is_param, tf_names.get(attr)))
        state[attr] = value.detach().contiguous().cpu()
    helpers = "".join(HELPERS[h] + "\n" for h in e.helpers)
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
    return _write(gm, out_dir, name, class_name, os.fspath(source) if source else source)


def _write(gm, out_dir, name, class_name, source) -> list[str]:
    text, state = module_source(gm, class_name, f"{name}.safetensors", source)
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

    TF2 signatures (tf.function calls) are inlined; their variables are Parameters where the object graph says
    ``trainable`` (``signature_module``).

    Raises:
      FormatError / MetaGraphNotFoundError: as ``loader.load``; NotFoundError for a missing signature.
    """
    gm = signature_module(export_dir, signature_def_key, tags)
    return _write(gm, out_dir, name, class_name, os.fspath(export_dir))
