"""``Defun`` (TF1's tensorflow.python.framework.function): Python functions as FunctionDefs called by name.

``@Defun(tf.float32, ...)`` builds the decorated function once into a function graph (outside tensors
it reads become extra arguments, as TF's ``_FuncGraph`` makes them; control flow inside stays v1, as in
TF), adds its FunctionDef to the graph's library under ``<name>_<hash>`` (or ``func_name``), and each
call is an op whose type is that name. Without a type list the function is overloaded: one definition
per distinct argument dtypes. Gradients: ``python_grad_func(op, *grads)`` when given; otherwise a
gradient function (``grad_func`` when given, else one built by differentiating the body) called with
the inputs and the output gradients.
"""

from __future__ import annotations

import hashlib
import inspect

from torchmeta._proto import attr_value_pb2
from torchmeta.api import array_ops
from torchmeta.api import control_flow_util_v2 as util
from torchmeta.api import gradients as api_gradients
from torchmeta.dtypes import DType, as_dtype
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.function_def_builder import BuildingFuncGraph, graph_to_function_def
from torchmeta.framework.graph import Operation, Tensor

__all__ = ["Defun", "get_extra_vars", "get_extra_inputs", "get_extra_args"]


class _DefunFuncGraph(BuildingFuncGraph):
    """A Defun body: captured outside tensors are extra arguments (``extra_inputs`` / ``extra_args``)."""

    def __init__(self, name):
        super().__init__(name)
        # TF's _FuncGraph has ``_captured``, which keeps v1 control flow inside Defun bodies.
        self._captured = {}
        self.extra_inputs: list[Tensor] = []
        self.extra_args: list[Tensor] = []
        self.extra_vars: list = []

    def capture(self, tensor, name=None):
        if tensor.graph is self:
            return tensor
        found = self._captured.get(id(tensor))
        if found is not None:
            return found
        self.extra_inputs.append(tensor)
        with self.as_default(), self.control_dependencies(None):
            ph = array_ops.placeholder(tensor.dtype.base_dtype, shape=tensor.shape, name=name)
        self.inputs.append(ph)
        self._captured[id(tensor)] = ph
        self._captures[id(tensor)] = (tensor, ph)
        self.extra_args.append(ph)
        return ph


def _graph() -> graph_lib.Graph:
    return graph_lib.get_default_graph()


def get_extra_vars():
    """The variables created in the Defun body being built (empty outside one)."""
    g = _graph()
    return g.extra_vars if isinstance(g, _DefunFuncGraph) else []


def get_extra_inputs():
    """The outside tensors the Defun body being built reads (empty outside one)."""
    g = _graph()
    return g.extra_inputs if isinstance(g, _DefunFuncGraph) else []


def get_extra_args():
    """The body's arguments standing for ``get_extra_inputs()`` (empty outside a Defun body)."""
    g = _graph()
    return g.extra_args if isinstance(g, _DefunFuncGraph) else []


def _parse_kwargs_as_attrs(func_name, **kwargs):
    attrs = {}
    noinline = kwargs.pop("noinline", None)
    if noinline is not None:
        attrs["_noinline"] = attr_value_pb2.AttrValue(b=bool(noinline))
    # As in TF, Defun calls do not infer shapes through the function.
    attrs["_disable_call_shape_inference"] = attr_value_pb2.AttrValue(b=True)
    compiled = kwargs.pop("compiled", None)
    separate = kwargs.pop("separate_compiled_gradients", None)
    if compiled is not None:
        attrs["_XlaCompile"] = attr_value_pb2.AttrValue(b=bool(compiled))
        attrs["_XlaSeparateCompiledGradients"] = attr_value_pb2.AttrValue(b=bool(separate))
        attrs["_XlaScope"] = attr_value_pb2.AttrValue(s=f"function_{func_name}".encode())
    for key in list(kwargs):
        if key.startswith("experimental_") or key in ("_implements", "_reference"):
            value = kwargs.pop(key)
            if isinstance(value, bool):
                attrs[key] = attr_value_pb2.AttrValue(b=value)
            elif isinstance(value, int):
                attrs[key] = attr_value_pb2.AttrValue(i=value)
            elif isinstance(value, float):
                attrs[key] = attr_value_pb2.AttrValue(f=value)
            else:
                attrs[key] = attr_value_pb2.AttrValue(s=str(value).encode())
    if kwargs:
        raise ValueError(f"Unknown keyword arguments: {kwargs.keys()}.")
    return attrs


def _hash_str(fdef) -> str:
    """TF's _DefinedFunction._create_hash_str: 8 hex digits of a SHA-1 over the signature and the body."""
    hasher = hashlib.sha1()

    def update_num(n):
        hasher.update(f"{n:x}".encode())

    def update_str(s):
        if isinstance(s, str):
            s = s.encode()
        update_num(len(s))
        hasher.update(s)

    for adef in fdef.signature.input_arg:
        update_str(adef.SerializeToString(deterministic=True))
    for adef in fdef.signature.output_arg:
        update_str(adef.SerializeToString(deterministic=True))
    for n in sorted(fdef.node_def, key=lambda n: n.name):
        update_str(n.name)
        update_str(n.op)
        update_num(len(n.input))
        for i in n.input:
            update_str(i)
        update_num(len(n.attr))
        for k in sorted(n.attr):
            update_str(k)
            update_str(n.attr[k].SerializeToString(deterministic=True))
    return hasher.hexdigest()[:8]


class _DefinedFunction:
    """One Defun instantiation: its FunctionDef, captured extra inputs, and gradient functions."""

    def __init__(
        self,
        func,
        argnames,
        input_types,
        func_name=None,
        grad_func=None,
        python_grad_func=None,
        out_names=None,
        shape_func=None,
        **kwargs,
    ):
        self._func = func
        self._input_types = [as_dtype(t) for t in input_types]
        self._func_name = func_name
        self._grad_func = grad_func
        self._python_grad_func = python_grad_func
        self._out_names = out_names
        self._shape_func = shape_func
        self._extra_kwargs = kwargs
        self._arg_names = [argnames[i] if i < len(argnames) else f"arg{i}" for i in range(len(input_types))]
        self._definition = None
        self._graph = None
        self._extra_inputs = []
        self._built_grad = None

    @property
    def name(self) -> str:
        self._create_definition_if_needed()
        return self._func_name

    @property
    def definition(self):
        self._create_definition_if_needed()
        return self._definition

    @property
    def grad_func_name(self):
        return self._grad_func.name if self._grad_func else None

    @property
    def python_grad_func(self):
        return self._python_grad_func

    @property
    def declared_input_types(self):
        return self._input_types

    @property
    def captured_inputs(self):
        self._create_definition_if_needed()
        return self._extra_inputs

    def set_grad_func(self, grad_func) -> None:
        assert not self._grad_func
        self._grad_func = grad_func

    def _create_definition_if_needed(self) -> None:
        if self._definition is not None:
            return
        base = self._func_name or getattr(self._func, "__name__", "function")
        if not self._func_name and self._grad_func:
            base += f"_{self._grad_func.name}"
        outer = graph_lib.get_default_graph()
        fg = _DefunFuncGraph(base)
        for key in graph_lib.GraphKeys._VARIABLE_COLLECTIONS:
            fg._collections[key] = outer.get_collection_ref(key)
        with fg.as_default():
            for argname, argtype in zip(self._arg_names, self._input_types):
                fg.inputs.append(array_ops.placeholder(argtype, name=argname))
            outputs = self._func(*fg.inputs)
            if outputs is None:
                outputs = []
            else:
                if not isinstance(outputs, (list, tuple)):
                    outputs = (outputs,)
                if any(o is None for o in outputs):
                    raise ValueError(f"Function {base} can not return None.")
            outputs = [graph_lib.convert_to_tensor(t) for t in outputs]
            outputs = [fg.capture(t) if t.graph is not fg else t for t in outputs]
            fg.outputs = outputs
        self._graph = fg
        self._extra_inputs = list(fg.extra_inputs)
        attrs = _parse_kwargs_as_attrs(base, **dict(self._extra_kwargs))
        fdef = graph_to_function_def(fg, base, fg.inputs, fg.outputs, output_names=self._out_names)
        del fdef.attr["_construction_context"]
        if not self._func_name:
            self._func_name = f"{base}_{_hash_str(fdef)}"
        fdef.signature.name = self._func_name
        if self._func.__doc__:
            fdef.signature.description = self._func.__doc__
        self._definition = fdef
        self._call_attrs = attrs

    def add_to_graph(self, g) -> None:
        self._create_definition_if_needed()
        util.add_function(g, self._definition)
        if self._grad_func:
            self._grad_func.add_to_graph(g)
            library = getattr(util.outermost(g), "_library", None)
            adder = getattr(library, "add_gradient", None)
            if adder is not None:
                adder(self._func_name, self._grad_func.name)

    def __call__(self, *args, **kwargs):
        g = graph_lib.get_default_graph()
        self.add_to_graph(g)
        args = [graph_lib.convert_to_tensor(a) for a in args] + self._extra_inputs
        sig = self._definition.signature
        if len(args) != len(sig.input_arg):
            raise ValueError(f"Expected {len(sig.input_arg):d} arguments, got {len(args):d}.")
        name = kwargs.pop("name", None) or self._func_name
        attrs = dict(self._call_attrs)
        attrs.update(_parse_kwargs_as_attrs(self._func_name, **kwargs))
        attrs.pop("_disable_call_shape_inference", None)
        attrs["_disable_call_shape_inference"] = attr_value_pb2.AttrValue(b=True)
        output_types = [DType(a.type) for a in sig.output_arg]
        op = g._create_op(self._func_name, list(args), output_types, attrs, g.unique_name(name), op_def=sig)
        op._func_graphs = self
        if self._shape_func is not None:
            shapes = self._shape_func(op)
            if len(shapes) != len(op.outputs):
                raise ValueError(
                    f"shape_func {self._shape_func} produced {len(shapes):d} shapes, which does not match "
                    f"{len(op.outputs)} outputs."
                )
            for t, shape in zip(op.outputs, shapes):
                t.set_shape(shape)
        if not op.outputs:
            return op
        return op.outputs[0] if len(op.outputs) == 1 else tuple(op.outputs)

    # -- gradient ------------------------------------------------------------------------------------
    def _gradient_function(self):
        """A Defun computing the input gradients from (inputs, output gradients), by differentiating the body."""
        if self._grad_func is not None:
            return self._grad_func
        if self._built_grad is None:
            forward = self
            n_args = len(self._input_types)
            out_types = [DType(a.type) for a in self._definition.signature.output_arg]
            extra_types = [t.dtype.base_dtype for t in self._extra_inputs]

            def grad_body(*args):
                xs = list(args[:n_args])
                extras = list(args[n_args : n_args + len(extra_types)])
                dys = list(args[n_args + len(extra_types) :])
                # The body reads its captures from this gradient function's arguments.
                g = graph_lib.get_default_graph()
                for t, ph in zip(forward._extra_inputs, extras):
                    g._captured[id(t)] = ph
                ys = forward._func(*xs)
                ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
                grads = api_gradients.gradients(ys, xs + extras, grad_ys=dys)
                return [g if g is not None else array_ops.zeros_like(x) for g, x in zip(grads, xs + extras)]

            self._built_grad = _DefinedFunction(
                grad_body,
                [],
                self._input_types + extra_types + out_types,
                func_name=f"{self._func_name}_grad",
            )
        return self._built_grad

    def call_gradient(self, op: Operation, *grads):
        """The gradient of a call of this function: ``python_grad_func``, or a gradient function call."""
        if self._python_grad_func is not None:
            return self._python_grad_func(op, *grads)
        grad_fn = self._gradient_function()
        dys = [g if g is not None else array_ops.zeros_like(t) for g, t in zip(grads, op.outputs)]
        out = grad_fn(*op.inputs, *dys)
        return list(out) if isinstance(out, (list, tuple)) else [out]


class _OverloadedFunction:
    """A Defun without input types: one _DefinedFunction per distinct argument dtypes."""

    def __init__(self, func, argnames, func_name=None, grad_func=None, python_grad_func=None, out_names=None, **kwargs):
        self._func = func
        self._argnames = argnames
        self._func_name = func_name
        self._grad_func = grad_func
        self._python_grad_func = python_grad_func
        self._out_names = out_names
        self._extra_kwargs = kwargs
        self._overload = {}

    def instantiate(self, input_types):
        key = "".join(DType(t).name if not isinstance(t, DType) else t.name for t in input_types)
        defined = self._overload.get(key)
        if defined is None:
            name = f"{self._func_name}_{key}" if self._func_name is not None else None
            defined = _DefinedFunction(
                self._func,
                self._argnames,
                input_types,
                name,
                None,
                self._python_grad_func,
                out_names=self._out_names,
                **self._extra_kwargs,
            )
            _ = defined.name
            self._overload[key] = defined
        return defined

    def __call__(self, *args, **kwargs):
        tensors = [graph_lib.convert_to_tensor(a) for a in args]
        return self.instantiate([t.dtype.base_dtype for t in tensors])(*tensors, **kwargs)


class Defun:
    """``@Defun(*input_types, func_name=None, grad_func=None, python_grad_func=None, out_names=None, **kwargs)``.

    Raises:
      ValueError: for a non-callable, argument defaults or keyword arguments, or a type count the
        function cannot take (TensorFlow's messages).
    """

    def __init__(self, *input_types, **kwargs):
        self._input_types = input_types
        self._func_name = kwargs.pop("func_name", None)
        self._grad_func = kwargs.pop("grad_func", None)
        self._python_grad_func = kwargs.pop("python_grad_func", None)
        self._out_names = kwargs.pop("out_names", None)
        self._extra_kwargs = kwargs

    def __call__(self, func):
        if not callable(func):
            raise ValueError(f"Function {func} must be a callable.")
        spec = inspect.getfullargspec(func)
        if spec.varkw or spec.defaults:
            raise ValueError(
                "Functions with argument defaults or keywords arguments are not supported. "
                f"{func} has defaults {spec.defaults} and keywords {spec.varkw}."
            )
        min_args = len(spec.args)
        max_args = 1000000 if spec.varargs else min_args
        argnames = spec.args
        if inspect.ismethod(func):
            min_args -= 1
            argnames = argnames[1:]
        if self._input_types:
            num = len(self._input_types)
            if num < min_args or num > max_args:
                raise ValueError(
                    "The number of tf.function input types is not compatible with the allowed arguments of "
                    f"{func}. The tf.function have {num} input types, while the python function allows minimum "
                    f"{min_args} and maximum {max_args} arguments."
                )
            return _DefinedFunction(
                func,
                argnames,
                self._input_types,
                self._func_name,
                self._grad_func,
                self._python_grad_func,
                out_names=self._out_names,
                **self._extra_kwargs,
            )
        if min_args == 0 and max_args == 0:
            return _DefinedFunction(
                func,
                [],
                [],
                self._func_name,
                self._grad_func,
                self._python_grad_func,
                out_names=self._out_names,
                **self._extra_kwargs,
            )
        return _OverloadedFunction(
            func,
            argnames,
            self._func_name,
            self._grad_func,
            self._python_grad_func,
            out_names=self._out_names,
            **self._extra_kwargs,
        )
