"""The op registry: per TF op type, its OpDef, torch kernel, shape function and gradient.

Declare an op once, in its family module::

    @register_op("Relu", inputs=["features: T"], outputs=["activations: T"],
                 attrs=["T: {realnumbertype, qint8}"], shape=shapes.unchanged)
    def relu(features):
        return torch.relu(features)

    @register_gradient("Relu")
    def _relu_grad(op, grad):
        return [gen.relu_grad(grad, op.outputs[0])]

The kernel is a module-level function whose positional parameters are the op's inputs in OpDef
order (a list for ``N * T`` and list(type) inputs); its keyword parameters are the attrs it needs
(by TF name) and, optionally, the context values ``device`` (a torch.device) and ``node_name``.
Stateful kernels that need per-session state take ``state`` (see torchmeta.runtime).

Calling a kernel for an Operation goes through ONE path, ``OpInfo.bind(op, value_of, context_of)``:
it groups the op's inputs per OpDef argument (lists for ``N * T`` / list(type) inputs), converts the
attrs the kernel takes (``kernel_attr_value``) and asks for its context values. Lowering, runtime
specialization and graph-time constant folding all use it, with one size limit, ``FOLD_LIMIT``, on
the values the two folding passes compute ahead of time.

An op whose work completes elsewhere (a collective over the network) may also register a *start* kernel,
TensorFlow's ``AsyncOpKernel::ComputeAsync``: ``register_async_kernel``. A Session's lowering then
launches the op where it runs and waits for its outputs only where they are first used, so the ops in
between run while it is in flight; every other caller uses the plain kernel.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from torchmeta import errors
from torchmeta._proto import attr_value_pb2, op_def_pb2
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.op_def import op_def_from_signature

__all__ = [
    "OpInfo",
    "register_op",
    "register_gradient",
    "register_async_kernel",
    "not_differentiable",
    "get",
    "lookup",
    "registered_ops",
    "NOT_DIFFERENTIABLE",
    "NO_REGISTERED_GRADIENT",
    "no_registered_gradient",
    "register_user_gradient",
    "gradient_function",
    "CONTEXT_PARAMS",
    "FOLD_LIMIT",
    "kernel_attr_value",
    "arg_lengths",
]


class _NotDifferentiable:
    def __repr__(self):
        return "NOT_DIFFERENTIABLE"


NOT_DIFFERENTIABLE = _NotDifferentiable()


class _NoRegisteredGradient:
    def __repr__(self):
        return "NO_REGISTERED_GRADIENT"


# TensorFlow registers neither a gradient nor NotDifferentiable for the op: tf.gradients through it
# raises LookupError (as opposed to NOT_DIFFERENTIABLE, where its inputs get None).
NO_REGISTERED_GRADIENT = _NoRegisteredGradient()

# Kernel parameters the lowering fills in from context rather than from the node's attrs.
CONTEXT_PARAMS = ("device", "node_name", "state", "generator", "functions")

# The largest value (in elements) computed ahead of time: by graph-time constant folding (static shape
# inference, tensor_util.constant_value) and by a Session's specialization to its feed shapes.
FOLD_LIMIT = 1 << 16


@dataclass
class OpInfo:
    """Everything torchmeta knows about one op type."""

    name: str
    op_def: op_def_pb2.OpDef
    kernel: Callable | None = None
    shape_fn: Callable | None = None
    gradient: object = None  # a function, NOT_DIFFERENTIABLE, NO_REGISTERED_GRADIENT, or None (undecided)
    kernel_attrs: tuple = ()  # attrs passed to the kernel by keyword
    kernel_context: tuple = ()  # context parameters the kernel takes
    aliases_input: bool = False  # the output may share memory with an input (views, Identity)
    attr_defs: dict = field(default_factory=dict)
    locked_kernel: Callable | None = None  # the kernel under its variables' locks (use_locking=true)
    start_kernel: Callable | None = None  # launches the op, returns an object whose wait() gives the outputs

    @property
    def is_stateful(self) -> bool:
        return self.op_def.is_stateful

    def bind(self, op, value_of: Callable, context_of: Callable):
        """The kernel call for ``op``: ``(kernel, args, kwargs)``.

        Args:
          op: an Operation of this type.
          value_of: ``fn(tensor, is_ref) -> value`` for each input tensor (``is_ref``: the OpDef
            argument is a ref, so the kernel wants the variable itself, not its value).
          context_of: ``fn(name) -> value`` for each context parameter the kernel takes
            (``device``, ``node_name``, ``state``, ``generator``).

        ``args`` has one entry per OpDef input argument (a list for list arguments); ``kwargs`` the
        attrs the kernel takes, as plain Python values (``kernel_attr_value``), and its context values.
        """
        args = []
        inputs = op._inputs
        i = 0
        for n, is_list, is_ref in arg_lengths(op):
            group = [value_of(t, is_ref) for t in inputs[i : i + n]]
            args.append(group if is_list else group[0])
            i += n
        attrs = op._attrs
        kwargs = {name: kernel_attr_value(attrs[name]) for name in self.kernel_attrs if name in attrs}
        for name in self.kernel_context:
            kwargs[name] = context_of(name)
        kernel = self.kernel
        if self.locked_kernel is not None:
            locking = attrs.get("use_locking")
            if (locking.b if locking is not None else self.attr_defs["use_locking"].default_value.b) is True:
                kernel = self.locked_kernel
        return kernel, args, kwargs


_REGISTRY: dict[str, OpInfo] = {}


def locked(kernel: Callable) -> Callable:
    """``kernel`` run while holding the locks of the variables among its arguments (anything with a ``lock``,
    taken in one global order, so two updates never deadlock): TF's ``use_locking=true``, an exclusive update."""

    @functools.wraps(kernel)
    def call(*args, **kwargs):
        locks = sorted({id(a): a.lock for a in args if getattr(a, "lock", None) is not None}.items())
        with contextlib.ExitStack() as stack:
            for _, lock in locks:
                stack.enter_context(lock)
            return kernel(*args, **kwargs)

    return call


def _kernel_params(name: str, kernel: Callable, op_def: op_def_pb2.OpDef):
    params = list(inspect.signature(kernel).parameters.values())
    n_inputs = len(op_def.input_arg)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < n_inputs and not any(p.kind == p.VAR_POSITIONAL for p in params):
        raise TypeError(f"Kernel for {name} takes {len(positional)} inputs, the OpDef has {n_inputs}")
    attr_names = {a.name for a in op_def.attr}
    attrs, context = [], []
    for p in params[n_inputs:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in CONTEXT_PARAMS:
            context.append(p.name)
        elif p.name in attr_names:
            attrs.append(p.name)
        else:
            raise TypeError(
                f"Kernel for {name} takes {p.name!r}, which is neither an attr of {name} nor a context value"
            )
    return tuple(attrs), tuple(context)


def register_op(
    name: str,
    inputs=(),
    outputs=(),
    attrs=(),
    *,
    shape: Callable | None = None,
    stateful: bool = False,
    commutative: bool = False,
    aggregate: bool = False,
    allows_uninitialized_input: bool = False,
    aliases_input: bool = False,
    control_outputs=(),
    deprecation=None,
    distributed_communication: bool = False,
):
    """Registers op ``name`` with its TF signature, shape function and (decorated) kernel.

    The decorated function is returned unchanged. Use ``register_op(...)(None)`` to declare an op's
    signature without a kernel.

    Raises:
      ValueError: if ``name`` is already registered.
      TypeError: if the kernel's parameters do not match the signature.
    """
    op_def = op_def_from_signature(
        name,
        inputs,
        outputs,
        attrs,
        is_stateful=stateful,
        is_commutative=commutative,
        is_aggregate=aggregate,
        allows_uninitialized_input=allows_uninitialized_input,
        control_outputs=control_outputs,
        deprecation=deprecation,
        is_distributed_communication=distributed_communication,
    )

    def decorator(kernel):
        if name in _REGISTRY:
            raise ValueError(f"Op '{name}' is already registered")
        kernel_attrs, context = _kernel_params(name, kernel, op_def) if kernel is not None else ((), ())
        _REGISTRY[name] = OpInfo(
            name=name,
            op_def=op_def,
            kernel=kernel,
            shape_fn=shape,
            kernel_attrs=kernel_attrs,
            kernel_context=context,
            aliases_input=aliases_input,
            attr_defs={a.name: a for a in op_def.attr},
            locked_kernel=locked(kernel)
            if kernel is not None and any(a.name == "use_locking" for a in op_def.attr)
            else None,
        )
        return kernel

    return decorator


def register_gradient(op_type: str):
    """Registers ``fn(op, *grads) -> list of input gradients`` for ``op_type``.

    Raises:
      KeyError: if ``op_type`` is not registered.
      ValueError: if it already has a gradient decision.
    """

    def decorator(fn):
        _set_gradient(op_type, fn)
        return fn

    return decorator


def register_async_kernel(op_type: str):
    """Registers ``start``, ``op_type``'s kernel split in two as TensorFlow's AsyncOpKernel is: called with the
    same arguments as the kernel, it launches the work and returns an object whose ``wait()`` returns what
    the kernel returns (and raises what it raises).

    Raises:
      KeyError: if ``op_type`` is not registered with a kernel.
      ValueError: if it already has a start kernel.
    """

    def decorator(start):
        info = _REGISTRY.get(op_type)
        if info is None or info.kernel is None:
            raise KeyError(f"register_async_kernel: op {op_type!r} is not registered with a kernel")
        if info.start_kernel is not None:
            raise ValueError(f"Op '{op_type}' already has a start kernel")
        if inspect.signature(start) != inspect.signature(info.kernel):
            raise TypeError(f"The start kernel of {op_type} must take the kernel's parameters")
        info.start_kernel = start
        return start

    return decorator


def not_differentiable(*op_types: str) -> None:
    """Declares that ``op_types`` have no gradient (their inputs get None)."""
    for op_type in op_types:
        _set_gradient(op_type, NOT_DIFFERENTIABLE)


def no_registered_gradient(*op_types: str) -> None:
    """Declares that TensorFlow registers no gradient for ``op_types`` (differentiating raises LookupError)."""
    for op_type in op_types:
        _set_gradient(op_type, NO_REGISTERED_GRADIENT)


def _set_gradient(op_type: str, value) -> None:
    info = _REGISTRY.get(op_type)
    if info is None:
        raise KeyError(f"Cannot register a gradient for unknown op '{op_type}'")
    if info.gradient is not None:
        raise ValueError(f"Gradient for op '{op_type}' is already registered")
    info.gradient = value


# ---------------------------------------------------------------------------------------------
# TF's Python gradient registry: the names users register with tf.RegisterGradient / tf.NotDifferentiable


_USER_GRADIENTS: dict[str, tuple[object, traceback.FrameSummary]] = {}


def register_user_gradient(name: str, fn) -> None:
    """TF's ``gradient_registry.register(fn, name)``: ``fn`` (None: not differentiable) under ``name``, an op
    type or any name ``graph.gradient_override_map`` maps op types to.

    Raises:
      KeyError: if ``name`` already has a gradient (a user's, or an op type's own), in TF's words.
    """
    if name in _USER_GRADIENTS:
        frame = _USER_GRADIENTS[name][1]
    elif (info := _REGISTRY.get(name)) is not None and info.gradient not in (None, NO_REGISTERED_GRADIENT):
        frame = traceback.extract_stack(limit=1)[0]
    else:
        _USER_GRADIENTS[name] = (fn, traceback.extract_stack(limit=1)[0])
        return
    raise KeyError(
        f"Registering two gradient with name '{name}'! "
        f"(Previous registration was in {frame.name} {frame.filename}:{frame.lineno})"
    )


def gradient_function(name: str):
    """The gradient registered under ``name``: a function, ``NOT_DIFFERENTIABLE``, or ``NO_REGISTERED_GRADIENT``
    (also for a name nothing is registered under); a user's registration comes first, as TF has one registry."""
    if name in _USER_GRADIENTS:
        fn = _USER_GRADIENTS[name][0]
        return NOT_DIFFERENTIABLE if fn is None else fn
    info = _REGISTRY.get(name)
    if info is None or info.gradient is None:
        return NO_REGISTERED_GRADIENT
    return info.gradient


def get(name: str) -> OpInfo | None:
    """The OpInfo for ``name``, or None."""
    return _REGISTRY.get(name)


def lookup(name: str) -> OpInfo:
    """The OpInfo for ``name``.

    Raises:
      UnsupportedOpError: if ``name`` is not registered.
    """
    info = _REGISTRY.get(name)
    if info is None:
        raise errors.UnsupportedOpError({name: []}, where="request")
    return info


def registered_ops() -> dict[str, OpInfo]:
    """A copy of the registry, ``{op type: OpInfo}``."""
    return dict(_REGISTRY)


# ---------------------------------------------------------------------------------------------
# Binding an Operation to its kernel


def arg_lengths(op) -> list[tuple[int, bool, bool]]:
    """Per OpDef input argument of ``op``: (number of tensors, is a list, is a ref)."""
    out = []
    attrs = op._attrs
    for arg in op._op_def.input_arg:
        if arg.number_attr:
            out.append((attrs[arg.number_attr].i, True, arg.is_ref))
        elif arg.type_list_attr:
            out.append((len(attrs[arg.type_list_attr].list.type), True, arg.is_ref))
        else:
            out.append((1, False, arg.is_ref))
    return out


def kernel_attr_value(value):
    """AttrValue -> a plain Python value that fx can print: str, int, float, bool, DType, tuples; a tensor
    attr (ImageSummary's bad_color) as the nested list of its values."""
    kind = value.WhichOneof("value")
    if kind == "s":
        try:
            return value.s.decode()
        except UnicodeDecodeError:
            return value.s
    if kind == "type":
        return DType(value.type)
    if kind == "shape":
        return _shape_tuple(value.shape)
    if kind == "tensor":
        return tensor_util.MakeNdarray(value.tensor).tolist()
    if kind == "list":
        lst = value.list
        if lst.type:
            return [DType(t) for t in lst.type]
        if lst.shape:
            return [_shape_tuple(s) for s in lst.shape]
        if lst.s:
            return [kernel_attr_value(attr_value_pb2.AttrValue(s=s)) for s in lst.s]
        for field_name in ("i", "f", "b"):
            items = getattr(lst, field_name)
            if items:
                return list(items)
        if lst.tensor or lst.func:
            return list(lst.tensor) or list(lst.func)
        return []
    if kind is None:
        return None
    return getattr(value, kind)


def _shape_tuple(shape):
    if shape.unknown_rank:
        return None
    return tuple(None if d.size == -1 else d.size for d in shape.dim)
