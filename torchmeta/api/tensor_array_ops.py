"""``tf.TensorArray``: TensorArrayV3 ops in TF1 graph mode, TensorList ops under control flow v2.

Each write returns a new TensorArray sharing the handle with a new ``flow`` tensor, which orders the
ops; a TensorArray can be a ``tf.while_loop`` variable (its flow is what the loop carries). Names,
colocation and shapes follow TensorFlow's tensor_array_ops.py.
"""

from __future__ import annotations

import contextlib

from torchmeta import dtypes
from torchmeta.api import array_ops, list_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import control_flow_util, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import Tensor
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape, as_shape, unknown_shape

__all__ = ["TensorArray", "build_ta_with_new_flow"]


def _range(limit):
    return math_ops.range(0, limit)


class _GraphTensorArray:
    """A TF1 TensorArray: a TensorArrayV3 resource and a float ``flow`` scalar threading its updates."""

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        tensor_array_name=None,
        handle=None,
        flow=None,
        infer_shape=True,
        element_shape=None,
        colocate_with_first_write_call=True,
        name=None,
    ):
        if handle is not None and tensor_array_name:
            raise ValueError("Cannot provide both `handle` and `tensor_array_name` arguments at the same time.")
        if handle is not None and not isinstance(handle, Tensor):
            raise TypeError(f"Expected `handle` to be a Tensor, but got `{handle}` of type `{type(handle)}` instead.")
        if handle is None and size is None:
            raise ValueError("Argument `size` must be provided if handle is not provided.")
        if handle is not None and size is not None:
            raise ValueError("Cannot provide both a `handle` and `size` arguments at the same time.")
        if handle is not None and element_shape is not None:
            raise ValueError("Cannot provide both `handle` and `element_shape` arguments at the same time.")
        if handle is not None and dynamic_size is not None:
            raise ValueError("Cannot provide both `handle` and `dynamic_size` arguments at the same time.")
        if handle is not None and clear_after_read is not None:
            raise ValueError("Cannot provide both `handle` and `clear_after_read` arguments at the same time.")
        if clear_after_read is None:
            clear_after_read = True
        self._dynamic_size = dynamic_size or False
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._colocate_with_first_write_call = colocate_with_first_write_call
        self._colocate_with = [] if colocate_with_first_write_call else None
        # A list, so that TensorArrays built from this one (new flows) share the inferred shape.
        self._element_shape = [as_shape(element_shape) if element_shape is not None else unknown_shape()]
        self._infer_shape = infer_shape
        self._size = size
        with graph_lib.name_scope(name, "TensorArray", [handle, size, flow]) as scope:
            if handle is not None:
                self._handle = handle
                if flow is None:
                    raise ValueError("flow must not be None if handle is not None.")
                self._flow = flow
            else:

                def create():
                    return raw_op(
                        "TensorArrayV3",
                        dtype=dtype,
                        size=size,
                        element_shape=element_shape if element_shape is not None else unknown_shape(),
                        identical_element_shapes=infer_shape,
                        dynamic_size=self._dynamic_size,
                        clear_after_read=clear_after_read,
                        tensor_array_name=tensor_array_name or "",
                        name=scope,
                    )

                if colocate_with_first_write_call:
                    with graph_lib.device(None), graph_lib.colocate_with(None, ignore_existing=True):
                        self._handle, self._flow = create()
                else:
                    self._handle, self._flow = create()

    @property
    def handle(self):
        return self._handle

    @property
    def element_shape(self):
        return self._element_shape[0]

    def _check_element_shape(self, shape):
        if not shape.is_compatible_with(self.element_shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected {self.element_shape} ")
        if self._infer_shape:
            self._element_shape[0] = self.element_shape.merge_with(shape)

    @contextlib.contextmanager
    def _maybe_colocate_with(self, value):
        """Colocates with the first value written (TF's colocate_with_first_write_call)."""
        if not self._colocate_with_first_write_call:
            yield
            return
        if not self._colocate_with:
            self._colocate_with.append(value)
        with graph_lib.colocate_with(self._colocate_with[0]):
            yield

    def identity(self, parent):
        return build_ta_with_new_flow(parent, raw_op("Identity", input=self._flow))

    def grad(self, source, flow=None, name=None):
        if flow is None:
            flow = self._flow
        with graph_lib.name_scope(name, "TensorArrayGrad", [self._handle]):
            with graph_lib.colocate_with(self._handle):
                g_handle, _ = raw_op("TensorArrayGradV3", handle=self._handle, flow_in=flow, source=source, name=name)
                with graph_lib.control_dependencies([g_handle]):
                    flow = raw_op("Identity", input=flow, name="gradient_flow")
                g = TensorArray(
                    dtype=self._dtype, handle=g_handle, flow=flow, infer_shape=self._infer_shape,
                    colocate_with_first_write_call=False,
                )  # fmt: skip
                g._implementation._element_shape = self._element_shape
                return g

    def read(self, index, name=None):
        value = raw_op(
            "TensorArrayReadV3", handle=self._handle, index=index, flow_in=self._flow, dtype=self._dtype, name=name
        )
        if self._element_shape:
            value.set_shape(self._element_shape[0])
        return value

    def write(self, parent, index, value, name=None):
        with graph_lib.name_scope(name, "TensorArrayWrite", [self._handle, index, value]):
            value = graph_lib.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_element_shape(value.shape)
            with self._maybe_colocate_with(value):
                flow_out = raw_op(
                    "TensorArrayWriteV3", handle=self._handle, index=index, value=value, flow_in=self._flow, name=name
                )
            return build_ta_with_new_flow(parent, flow_out)

    def stack(self, name=None):
        with graph_lib.colocate_with(self._handle):
            with graph_lib.name_scope(name, "TensorArrayStack", [self._handle]):
                value = self.gather(_range(self.size()), name=name)
                if self.element_shape and not self._dynamic_size and self._size is not None:
                    size = tensor_util.constant_value(self._size)
                    value.set_shape(TensorShape([None if size is None else int(size)]).concatenate(self.element_shape))
                return value

    def gather(self, indices, name=None):
        element_shape = self._element_shape[0] if self._element_shape else unknown_shape()
        value = raw_op(
            "TensorArrayGatherV3",
            handle=self._handle,
            indices=indices,
            flow_in=self._flow,
            dtype=self._dtype,
            element_shape=element_shape,
            name=name,
        )
        if self.element_shape:
            value.set_shape(TensorShape([None]).concatenate(self.element_shape))
        return value

    def concat(self, name=None):
        value, _ = raw_op(
            "TensorArrayConcatV3",
            handle=self._handle,
            flow_in=self._flow,
            dtype=self._dtype,
            element_shape_except0=self.element_shape[1:],
            name=name,
        )
        if self.element_shape:
            dim0 = None
            if self._infer_shape:
                size = tensor_util.constant_value(self.size())
                if size is not None and self.element_shape.as_tuple()[0] is not None:
                    dim0 = int(size) * self.element_shape.as_tuple()[0]
            value.set_shape(TensorShape([dim0]).concatenate(self.element_shape[1:]))
        return value

    def unstack(self, parent, value, name=None):
        with graph_lib.name_scope(name, "TensorArrayUnstack", [self._handle, value]):
            num_elements = array_ops.shape(value)[0]
            return self.scatter(parent, indices=_range(num_elements), value=value, name=name)

    def scatter(self, parent, indices, value, name=None):
        with graph_lib.name_scope(name, "TensorArrayScatter", [self._handle, value, indices]):
            value = graph_lib.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_element_shape(value.shape[1:])
            with self._maybe_colocate_with(value):
                flow_out = raw_op(
                    "TensorArrayScatterV3",
                    handle=self._handle,
                    indices=indices,
                    value=value,
                    flow_in=self._flow,
                    name=name,
                )
            return build_ta_with_new_flow(parent, flow_out)

    def split(self, parent, value, lengths, name=None):
        with graph_lib.name_scope(name, "TensorArraySplit", [self._handle, value, lengths]):
            value = graph_lib.convert_to_tensor(value, dtype=self._dtype, name="value")
            with self._maybe_colocate_with(value):
                lengths_64 = _cast_int64(lengths)
                clengths = tensor_util.constant_value(lengths_64)
                if (
                    value.shape.dims is not None
                    and clengths is not None
                    and clengths.shape
                    and clengths.max() == clengths.min()
                ):
                    self._check_element_shape(TensorShape([int(clengths[0])]).concatenate(value.shape[1:]))
                flow_out = raw_op(
                    "TensorArraySplitV3",
                    handle=self._handle,
                    value=value,
                    lengths=lengths_64,
                    flow_in=self._flow,
                    name=name,
                )
            return build_ta_with_new_flow(parent, flow_out)

    def size(self, name=None):
        if not self._dynamic_size and self._size is not None:
            return graph_lib.convert_to_tensor(self._size, dtype=DType.int32)
        return raw_op("TensorArraySizeV3", handle=self._handle, flow_in=self._flow, name=name)

    def close(self, name=None):
        return raw_op("TensorArrayCloseV3", handle=self._handle, name=name)


def _cast_int64(x):
    return math_ops.cast(x, DType.int64)


class _GraphTensorArrayV2:
    """A TF2 TensorArray: a TensorList variant (its ``flow``), as control flow v2 builds it."""

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        tensor_array_name=None,
        handle=None,
        flow=None,
        infer_shape=True,
        element_shape=None,
        colocate_with_first_write_call=True,
        name=None,
    ):
        del clear_after_read, tensor_array_name, colocate_with_first_write_call
        if handle is not None:
            raise ValueError("TensorArray handles are not supported by TensorList-based TensorArrays.")
        self._dynamic_size = dynamic_size
        self._size = size
        if flow is not None and (not isinstance(flow, Tensor) or flow.dtype.base_dtype is not DType.variant):
            raise TypeError(f"Expected `flow` to be a variant tensor, but received `{flow.dtype}` instead.")
        if flow is None and size is None:
            raise ValueError("Argument `size` must be provided if argument `flow` is not provided.")
        if flow is not None and size is not None:
            raise ValueError("Cannot provide both `flow` and `size` arguments at the same time.")
        if flow is not None and element_shape is not None:
            raise ValueError("Cannot provide both `flow` and `element_shape` argumentsat the same time.")
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._element_shape = [as_shape(element_shape) if element_shape is not None else unknown_shape()]
        self._infer_shape = infer_shape
        with graph_lib.name_scope(name, "TensorArrayV2", [size, flow]) as scope:
            if flow is None:
                self._flow = list_ops.tensor_list_reserve(
                    element_shape=element_shape, num_elements=size, element_dtype=dtype, name=scope
                )
            else:
                self._flow = flow
        self._colocate_with_first_write_call = None
        self._colocate_with = None

    @property
    def handle(self):
        return None

    @property
    def element_shape(self):
        return self._element_shape[0]

    def _check_element_shape(self, shape):
        if not shape.is_compatible_with(self.element_shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected {self.element_shape} ")
        if self._infer_shape:
            self._element_shape[0] = self.element_shape.merge_with(shape)

    def identity(self, parent):
        return build_ta_with_new_flow(parent, raw_op("Identity", input=self._flow))

    def grad(self, source, flow=None, name=None):
        raise NotImplementedError("TensorArray.grad is not available for TensorList-based (TF2) TensorArrays.")

    def read(self, index, name=None):
        with graph_lib.name_scope(name, "TensorArrayV2Read", [self._flow, index]):
            return list_ops.tensor_list_get_item(
                self._flow, index, element_dtype=self._dtype, element_shape=self.element_shape, name=name
            )

    def write(self, parent, index, value, name=None):
        with graph_lib.name_scope(name, "TensorArrayV2Write", [self._flow, index, value]):
            value = graph_lib.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_element_shape(value.shape)
            flow_out = list_ops.tensor_list_set_item(
                self._flow, index, value, resize_if_index_out_of_bounds=bool(self._dynamic_size), name=name
            )
            return build_ta_with_new_flow(parent, flow_out)

    def stack(self, name=None):
        with graph_lib.name_scope(name, "TensorArrayV2Stack", [self._flow]):
            ta_size = -1
            if not self._dynamic_size and self._size is not None:
                size = tensor_util.constant_value(self._size)
                ta_size = -1 if size is None else int(size)
            return list_ops.tensor_list_stack(
                self._flow, element_dtype=self._dtype, num_elements=ta_size, element_shape=self.element_shape
            )

    def gather(self, indices, name=None):
        return list_ops.tensor_list_gather(
            self._flow, indices, element_dtype=self._dtype, element_shape=self.element_shape, name=name
        )

    def concat(self, name=None):
        element_shape = None
        if self.element_shape.rank is not None:
            element_shape = [None, *self.element_shape.as_list()[1:]]
        return list_ops.tensor_list_concat(
            self._flow, element_dtype=self._dtype, element_shape=element_shape, name=name
        )

    def unstack(self, parent, value, name=None):
        with graph_lib.name_scope(name, "TensorArrayUnstack", [self._flow, value]):
            value = graph_lib.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_element_shape(value.shape[1:])
            flow_out = list_ops.tensor_list_from_tensor(value, element_shape=value.shape[1:])
            return build_ta_with_new_flow(parent, flow_out)

    def scatter(self, parent, indices, value, name=None):
        with graph_lib.name_scope(name, "TensorArrayScatter", [self._flow, value, indices]):
            value = graph_lib.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_element_shape(value.shape[1:])
            flow_out = list_ops.tensor_list_scatter(
                value, indices, element_shape=self.element_shape, input_handle=self._flow
            )
            return build_ta_with_new_flow(parent, flow_out)

    def split(self, parent, value, lengths, name=None):
        with graph_lib.name_scope(name, "TensorArraySplit", [self._flow, value, lengths]):
            value = graph_lib.convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            lengths_64 = _cast_int64(lengths)
            clengths = tensor_util.constant_value(lengths_64)
            if (
                value.shape.dims is not None
                and clengths is not None
                and clengths.shape
                and clengths.max() == clengths.min()
            ):
                self._check_element_shape(TensorShape([int(clengths[0])]).concatenate(value.shape[1:]))
            flow_out = list_ops.tensor_list_split(
                value, element_shape=self.element_shape, lengths=lengths_64, name=name
            )
            return build_ta_with_new_flow(parent, flow_out)

    def size(self, name=None):
        if not self._dynamic_size and self._size is not None:
            return graph_lib.convert_to_tensor(self._size, dtype=DType.int32)
        return list_ops.tensor_list_length(self._flow, name=name)

    def close(self, name=None):
        return raw_op("NoOp", name=name)


class TensorArray:
    """``tf.TensorArray``: a list of tensors, written and read by index, usable as a loop variable.

    Args:
      dtype: the element type.
      size: the number of elements (a Python int or int32 scalar Tensor); required without ``handle``.
      dynamic_size: allow writes past ``size``.
      clear_after_read: forbid reading an element twice (the default).
      tensor_array_name: an optional resource name.
      handle, flow: wrap an existing TensorArray (as gradients do).
      infer_shape: all elements share one shape, inferred from the writes.
      element_shape: the elements' (partial) shape.
      colocate_with_first_write_call: put the TensorArray with the first value written.
      name: the name scope (default "TensorArray").
    """

    _is_tensor_array = True

    def __init__(
        self,
        dtype,
        size=None,
        dynamic_size=None,
        clear_after_read=None,
        tensor_array_name=None,
        handle=None,
        flow=None,
        infer_shape=True,
        element_shape=None,
        colocate_with_first_write_call=True,
        name=None,
    ):
        if (flow is not None and flow.dtype.base_dtype is DType.variant) or control_flow_util.EnableControlFlowV2(
            graph_lib.get_default_graph()
        ):
            implementation = _GraphTensorArrayV2
        else:
            implementation = _GraphTensorArray
        self._implementation = implementation(
            dtype,
            size=size,
            dynamic_size=dynamic_size,
            clear_after_read=clear_after_read,
            tensor_array_name=tensor_array_name,
            handle=handle,
            flow=flow,
            infer_shape=infer_shape,
            element_shape=element_shape,
            colocate_with_first_write_call=colocate_with_first_write_call,
            name=name,
        )

    @property
    def flow(self):
        """The scalar (float, or variant under v2) tensor ordering this TensorArray's updates."""
        return self._implementation._flow

    @property
    def dtype(self):
        return self._implementation._dtype

    @property
    def handle(self):
        return self._implementation.handle

    @property
    def element_shape(self):
        return self._implementation.element_shape

    @property
    def dynamic_size(self):
        return self._implementation._dynamic_size

    @property
    def _infer_shape(self):
        return self._implementation._infer_shape

    def identity(self):
        """A TensorArray with an Identity of the flow (for control dependencies)."""
        return self._implementation.identity(self)

    def grad(self, source, flow=None, name=None):
        return self._implementation.grad(source, flow=flow, name=name)

    def read(self, index, name=None):
        """The element at ``index``."""
        return self._implementation.read(index, name=name)

    def write(self, index, value, name=None):
        """A TensorArray with ``value`` written at ``index``."""
        return self._implementation.write(self, index, value, name=name)

    def stack(self, name=None):
        """All elements stacked into one tensor (new first dimension)."""
        return self._implementation.stack(name=name)

    def gather(self, indices, name=None):
        """The elements at ``indices``, stacked."""
        return self._implementation.gather(indices, name=name)

    def concat(self, name=None):
        """All elements concatenated along their first dimension."""
        return self._implementation.concat(name=name)

    def unstack(self, value, name=None):
        """A TensorArray holding the rows of ``value``."""
        return self._implementation.unstack(self, value, name=name)

    def scatter(self, indices, value, name=None):
        """A TensorArray with the rows of ``value`` written at ``indices``."""
        return self._implementation.scatter(self, indices, value, name=name)

    def split(self, value, lengths, name=None):
        """A TensorArray holding ``value`` split along its first dimension into pieces of ``lengths``."""
        return self._implementation.split(self, value, lengths, name=name)

    def size(self, name=None):
        """The number of elements."""
        return self._implementation.size(name=name)

    def close(self, name=None):
        """Closes the TensorArray (TensorArrayCloseV3)."""
        return self._implementation.close(name=name)

    def _with_flow(self, flow):
        return build_ta_with_new_flow(self, flow)


def build_ta_with_new_flow(old_ta, flow):
    """A TensorArray sharing ``old_ta``'s handle, size and inferred shape, with ``flow`` as its flow."""
    impl = old_ta._implementation if isinstance(old_ta, TensorArray) else old_ta
    if not isinstance(impl, _GraphTensorArrayV2) and control_flow_util.EnableControlFlowV2(
        graph_lib.get_default_graph()
    ):
        raise NotImplementedError(
            "Attempting to build a graph-mode TF2-style TensorArray from either an eager-mode TensorArray or a "
            "TF1-style TensorArray.  This is not currently supported.  You may be attempting to capture a "
            "TensorArray inside a tf.function or tf.data map function. Instead, construct a new TensorArray "
            "inside the function."
        )
    new_ta = TensorArray(
        dtype=impl._dtype,
        handle=impl.handle,
        flow=flow,
        infer_shape=impl._infer_shape,
        colocate_with_first_write_call=impl._colocate_with_first_write_call,
    )
    new_impl = new_ta._implementation
    new_impl._dynamic_size = impl._dynamic_size
    new_impl._size = impl._size
    new_impl._colocate_with = impl._colocate_with
    new_impl._element_shape = impl._element_shape
    return new_ta
