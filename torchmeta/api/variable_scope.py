"""``tf.variable_scope`` and ``tf.get_variable``: named variable sharing, as TF1's variable_scope.py.

A graph holds one variable store (name -> variable, in the collection ``("__variable_store",)``)
and one variable-scope store (the current VariableScope and how often each scope name was opened,
in ``("__varscope",)``), exactly where TensorFlow keeps them, so scopes re-entered, uniquified and
reused behave as in TensorFlow and name the same variables and ops. The errors for a missing or
duplicate variable are TensorFlow's, word for word.
"""

from __future__ import annotations

import copy
import enum
import functools
import inspect
import threading
import traceback
from collections import abc as collections_abc

from torchmeta import dtypes
from torchmeta.api import array_ops, init_ops
from torchmeta.api.partitioned_variables import PartitionedVariable
from torchmeta.api.variables import (
    VARSCOPESTORE_KEY,
    SaveSliceInfo,
    Variable,
    default_use_resource,
    set_default_use_resource,
)
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.framework.tensor_shape import as_shape

__all__ = [
    "AUTO_REUSE",
    "VariableSynchronization",
    "VariableAggregation",
    "VariableScope",
    "variable_scope",
    "variable_op_scope",
    "get_variable_scope",
    "get_variable",
    "get_local_variable",
    "no_regularizer",
    "create_partitioned_variables",
    "enable_resource_variables",
    "disable_resource_variables",
    "resource_variables_enabled",
]


class VariableSynchronization(enum.Enum):
    """``tf.VariableSynchronization``: when a distributed variable is aggregated (accepted; one device here)."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """``tf.VariableAggregation``: how a distributed variable is aggregated (accepted; one device here)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class _ReuseMode(enum.Enum):
    """How get_variable treats existing variables: AUTO_REUSE gets them or creates them."""

    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE
AUTO_REUSE.__doc__ = "Reuse variables that exist in the scope and create the others."


class _PartitionInfo:
    """Where a partition sits in its full variable (initializers receive it as ``partition_info``)."""

    __slots__ = ("_full_shape", "_var_offset")

    def __init__(self, full_shape, var_offset):
        if not isinstance(full_shape, (list, tuple)):
            raise TypeError(
                f"`full_shape` must be a sequence (like tuple or list) instead of {type(full_shape).__name__}"
            )
        if not isinstance(var_offset, (list, tuple)):
            raise TypeError(
                f"`var_offset` must be a sequence (like tuple or list) instead of {type(var_offset).__name__}"
            )
        if len(var_offset) != len(full_shape):
            raise ValueError(
                f"Expected equal length, but `var_offset` is of length {len(var_offset)} while full_shape is of "
                f"length {len(full_shape)}."
            )
        for offset, shape in zip(var_offset, full_shape):
            if offset < 0 or offset >= shape:
                raise ValueError(
                    f"Expected 0 <= offset < shape but found offset={offset}, shape={shape} for "
                    f"var_offset={var_offset}, full_shape={full_shape}"
                )
        self._full_shape = full_shape
        self._var_offset = var_offset

    @property
    def full_shape(self):
        return self._full_shape

    @property
    def var_offset(self):
        return self._var_offset

    def single_offset(self, shape):
        """The offset along the one partitioned dimension (0 if not partitioned)."""
        dim = self.single_slice_dim(shape)
        return 0 if dim is None else self.var_offset[dim]

    def single_slice_dim(self, shape):
        """The partitioned dimension of a partition of ``shape``, or None.

        Raises:
          ValueError: when ``shape`` does not fit, or differs from the full shape in two dimensions.
        """
        if not isinstance(shape, (tuple, list)):
            raise TypeError(f"`shape` must be a sequence (like tuple or list) instead of {type(shape).__name__}")
        if len(shape) != len(self.full_shape):
            raise ValueError(
                f"Expected equal length, but received shape={shape} of length {len(shape)} while "
                f"self.full_shape={self.full_shape} is of length {len(self.full_shape)}."
            )
        for i in range(len(shape)):
            if self.var_offset[i] + shape[i] > self.full_shape[i]:
                raise ValueError(
                    f"With self.var_offset={self.var_offset}, a partition of shape={shape} would exceed "
                    f"self.full_shape={self.full_shape} in dimension {i}."
                )
        slice_dim = None
        for i in range(len(shape)):
            if shape[i] == self.full_shape[i]:
                continue
            if slice_dim is not None:
                raise ValueError(
                    f"Cannot use single_slice_dim() with shape={shape} and self.full_shape={self.full_shape} since "
                    f"slice dim could be either dimension {i} or {slice_dim}."
                )
            slice_dim = i
        return slice_dim


def _fn_args(fn) -> tuple:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return ()
    return tuple(sig.parameters)


def _has_kwargs(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def _needs_no_arguments(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values())


def _validate_trainable(synchronization, trainable, name):
    """TF's validate_synchronization_aggregation_trainable: trainable defaults to True, unless ON_READ."""
    if synchronization == VariableSynchronization.ON_READ:
        if trainable:
            raise ValueError(
                "Synchronization value can be set to VariableSynchronization.ON_READ only for non-trainable "
                f"variables. You have specified trainable=True and synchronization=VariableSynchronization.ON_READ "
                f"for variable {name}."
            )
        return False
    return True if trainable is None else trainable


def _user_frames():
    """The creating code's stack (torchmeta's own frames dropped), for the duplicate-variable error."""
    package = __file__.rsplit("/api/", 1)[0] + "/"
    frames = traceback.extract_stack()[:-1]
    return [f for f in frames if not f.filename.startswith(package)]


class _LazyEvalTensor:
    """A regularization loss that builds its ops again wherever it is used (TF's _LazyEvalTensor).

    TensorFlow builds a regularizer's ops once when the variable is created and again on every
    conversion to a Tensor (in ``get_regularization_loss``, ``add_n``, ...), so that the loss is
    computed where it is used; fetching it in ``Session.run`` fetches the first build.
    """

    def __init__(self, thunk):
        self._thunk = thunk
        self._master_tensor = thunk()

    def _as_tensor(self, dtype=None, name=None, as_ref=False):
        return self._thunk()

    def _as_graph_element(self):
        return self._master_tensor

    device = property(lambda self: self._master_tensor.device)
    dtype = property(lambda self: self._master_tensor.dtype)
    graph = property(lambda self: self._master_tensor.graph)
    name = property(lambda self: self._master_tensor.name)
    op = property(lambda self: self._master_tensor.op)
    shape = property(lambda self: self._master_tensor.shape)
    value_index = property(lambda self: self._master_tensor.value_index)

    def get_shape(self):
        return self._master_tensor.get_shape()

    def __str__(self):
        return str(self._master_tensor)

    def eval(self, feed_dict=None, session=None):
        return self._as_tensor().eval(feed_dict=feed_dict, session=session)


def _lazy_operator(name):
    def method(self, *args, **kwargs):
        return getattr(self._as_tensor(), name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name in (*Tensor.OVERLOADABLE_OPERATORS, "__getitem__"):
    setattr(_LazyEvalTensor, _name, _lazy_operator(_name))


def _lazy_to_tensor(value, dtype=None, name=None, as_ref=False):
    return value._as_tensor(dtype, name, as_ref)


graph_lib.register_tensor_conversion_function(_LazyEvalTensor, _lazy_to_tensor)


def no_regularizer(_):
    """A regularizer that regularizes nothing (use it to switch a scope's regularizer off)."""
    return None


# ---------------------------------------------------------------------------------------------
# The variable store


class _VariableStore:
    """The variables created by get_variable, by full name (one store per graph)."""

    def __init__(self):
        self._vars = {}
        self._partitioned_vars = {}
        self._frames = {}

    def get_variable(
        self,
        name,
        shape=None,
        dtype=dtypes.DType.float32,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        custom_getter=None,
        constraint=None,
        synchronization=VariableSynchronization.AUTO,
        aggregation=VariableAggregation.NONE,
    ):
        """The stored variable ``name``, or a new one (a PartitionedVariable with a partitioner).

        Raises:
          ValueError: TF's errors for reuse violations, shape or dtype conflicts, a missing shape.
        """
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"Passed a custom_getter which is not callable: {custom_getter}")
        dtype = getattr(dtype, "base_dtype", dtype)

        def _true_getter(
            name,
            shape=None,
            dtype=dtypes.DType.float32,
            initializer=None,
            regularizer=None,
            reuse=None,
            trainable=None,
            collections=None,
            caching_device=None,
            partitioner=None,
            validate_shape=True,
            use_resource=None,
            constraint=None,
            synchronization=VariableSynchronization.AUTO,
            aggregation=VariableAggregation.NONE,
        ):
            is_scalar = shape is not None and isinstance(shape, collections_abc.Sequence) and not shape
            common = {
                "shape": shape,
                "dtype": dtype,
                "initializer": initializer,
                "regularizer": regularizer,
                "reuse": reuse,
                "trainable": trainable,
                "collections": collections,
                "caching_device": caching_device,
                "validate_shape": validate_shape,
                "use_resource": use_resource,
                "constraint": constraint,
            }
            if partitioner is not None and not is_scalar:
                if not callable(partitioner):
                    raise ValueError(f"Partitioner must be callable, but received: {partitioner}")
                with graph_lib.name_scope(None):
                    return self._get_partitioned_variable(name=name, partitioner=partitioner, **common)
            if reuse is True and partitioner is None and name in self._partitioned_vars:
                return self._get_partitioned_variable(name=name, partitioner=None, **common)
            if f"{name}/part_0" in self._vars:
                raise ValueError(
                    f"No partitioner was provided, but a partitioned version of the variable was found: "
                    f"{name}/part_0. Perhaps a variable of the same name was already created with partitioning?"
                )
            return self._get_single_variable(name=name, **common)

        trainable = _validate_trainable(synchronization, trainable, name)
        kwargs = {
            "name": name,
            "shape": shape,
            "dtype": dtype,
            "initializer": initializer,
            "regularizer": regularizer,
            "reuse": reuse,
            "trainable": trainable,
            "collections": collections,
            "caching_device": caching_device,
            "partitioner": partitioner,
            "validate_shape": validate_shape,
            "use_resource": use_resource,
            "synchronization": synchronization,
            "aggregation": aggregation,
        }
        if custom_getter is not None:
            if "constraint" in _fn_args(custom_getter) or _has_kwargs(custom_getter):
                kwargs["constraint"] = constraint
            return custom_getter(getter=_true_getter, **kwargs)
        return _true_getter(constraint=constraint, **kwargs)

    def _get_partitioned_variable(
        self,
        name,
        partitioner,
        shape=None,
        dtype=dtypes.DType.float32,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        validate_shape=True,
        use_resource=None,
        constraint=None,
    ):
        initializing_from_value = initializer is not None and isinstance(initializer, Tensor)
        if name in self._vars:
            raise ValueError(
                f"A partitioner was provided, but an unpartitioned version of the variable was found: {name}.  "
                "Perhaps a variable of the same name was already created without partitioning?"
            )
        shape = as_shape(shape)
        if initializing_from_value:
            shape = shape.merge_with(initializer.get_shape())
        partitions = None
        if not reuse or partitioner:
            partitions = _call_partitioner(partitioner, shape, dtype)
        if name in self._partitioned_vars:
            if reuse is False:
                raise ValueError(
                    f"Partitioned variable with name {name} already exists. Did you mean to set reuse=True or "
                    "reuse=tf.AUTO_REUSE in VarScope?"
                )
            existing_var = self._partitioned_vars[name]
            if not shape.is_compatible_with(existing_var.get_shape()):
                raise ValueError(
                    f"Trying to reuse partitioned variable {name}, but specified shape {shape} and found shape "
                    f"{existing_var.get_shape()}."
                )
            if not dtype.is_compatible_with(existing_var.dtype):
                raise ValueError(
                    f"Trying to reuse partitioned variable {name}, but specified dtype {dtype.name} and found "
                    f"dtype {existing_var.dtype.name}."
                )
            if partitions is not None and existing_var._get_partitions() != partitions:
                raise ValueError(
                    f"Trying to reuse partitioned variable {name}, but specified partitions {partitions} and found "
                    f"partitions {existing_var._get_partitions()}."
                )
            return existing_var
        if reuse is True:
            raise ValueError(
                f"PartitionedVariable {name} does not exist, or was not created with tf.get_variable(). Did you "
                "mean to set reuse=False or reuse=tf.AUTO_REUSE in VarScope?"
            )
        slice_dim, num_slices = _get_slice_dim_and_num_slices(partitions)
        if f"{name}/part_0" in self._vars:
            if f"{name}/part_{num_slices - 1}" not in self._vars:
                raise ValueError(
                    "Partitioner returned a different partitioning than what was already found.  Partitioner "
                    f"returned {num_slices} shards, and shard {name}/part_0 was found, but "
                    f"{name}/part_{num_slices - 1} was not."
                )
            if f"{name}/part_{num_slices}" in self._vars:
                raise ValueError(
                    "Partitioner returned a different partitioning than what was already found.  Partitioner "
                    f"returned {num_slices} shards, and shard {name}/part_0 was found, but so was the extra shard "
                    f"{name}/part_{num_slices}."
                )
        vs = []
        for i, (var_offset, var_shape) in enumerate(_iter_slices(shape.as_list(), num_slices, slice_dim)):
            partition_info = _PartitionInfo(full_shape=shape.as_list(), var_offset=var_offset)
            var_full_name = f"{name}/part_{i}"
            with graph_lib.name_scope(var_full_name + "/PartitionedInitializer"):
                if initializer is None:
                    init, initializing_from_value = self._get_default_initializer(name=name, shape=shape, dtype=dtype)
                    init_shape = None if initializing_from_value else var_shape
                elif callable(initializer):
                    init = initializer
                    init_shape = var_shape
                elif isinstance(initializer, Tensor):
                    init = array_ops.slice(initializer, var_offset, var_shape)
                    dtype = init.dtype.base_dtype
                    init_shape = None
                else:
                    init = graph_lib.convert_to_tensor(initializer, dtype=dtype)
                    init = array_ops.slice(init, var_offset, var_shape)
                    init_shape = None
            with graph_lib.name_scope(None):
                var = self._get_single_variable(
                    name=var_full_name,
                    shape=init_shape,
                    dtype=dtype,
                    initializer=init,
                    partition_info=partition_info,
                    regularizer=regularizer,
                    reuse=reuse,
                    trainable=trainable,
                    collections=collections,
                    caching_device=caching_device,
                    validate_shape=validate_shape,
                    use_resource=use_resource,
                    constraint=constraint,
                )
            var._set_save_slice_info(SaveSliceInfo(name, shape.as_list(), var_offset, var_shape))
            vs.append(var)
        partitioned_var = PartitionedVariable(
            name=name, shape=shape, dtype=dtype, variable_list=vs, partitions=partitions
        )
        self._partitioned_vars[name] = partitioned_var
        return partitioned_var

    def _get_single_variable(
        self,
        name,
        shape=None,
        dtype=dtypes.DType.float32,
        initializer=None,
        regularizer=None,
        partition_info=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        validate_shape=True,
        use_resource=None,
        constraint=None,
    ):
        initializing_from_value = initializer is not None and not callable(initializer)
        if shape is not None and initializing_from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = dtypes.as_dtype(dtype)
        if shape is not None:
            shape = as_shape(shape)
        if name in self._vars:
            found_var = self._vars[name]
            if reuse is False:
                err_msg = (
                    f"Variable {name} already exists, disallowed. Did you mean to set reuse=True or "
                    "reuse=tf.AUTO_REUSE in VarScope?"
                )
                if found_var._is_resource:
                    raise ValueError(err_msg)
                frames = self._frames.get(name, [])[::-1][:5]
                raise ValueError(f"{err_msg} Originally defined at:\n\n{''.join(traceback.format_list(frames))}")
            if shape is not None and not shape.is_compatible_with(found_var.get_shape()):
                raise ValueError(
                    f"Trying to share variable {name}, but specified shape {shape} and found shape "
                    f"{found_var.get_shape()}."
                )
            if not dtype.is_compatible_with(found_var.dtype):
                raise ValueError(
                    f"Trying to share variable {name}, but specified dtype {dtype.name} and found dtype "
                    f"{found_var.dtype.name}."
                )
            return found_var
        if reuse is True:
            raise ValueError(
                f"Variable {name} does not exist, or was not created with tf.get_variable(). Did you mean to set "
                "reuse=tf.AUTO_REUSE in VarScope?"
            )
        if initializer is None:
            if shape is None:
                raise ValueError(
                    f"Variable {name} did not get an initializer, so its `shape` argument must be specified."
                )
            initializer, initializing_from_value = self._get_default_initializer(name=name, shape=shape, dtype=dtype)
        if initializing_from_value:
            init_val = initializer
            variable_dtype = None
        else:
            if inspect.isclass(initializer):
                initializer = initializer()
            if shape is not None and shape.is_fully_defined():
                if "partition_info" in _fn_args(initializer):
                    init_val = functools.partial(
                        initializer, shape.as_list(), dtype=dtype, partition_info=partition_info
                    )
                else:
                    init_val = functools.partial(initializer, shape.as_list(), dtype=dtype)
                variable_dtype = dtype.base_dtype
            elif _needs_no_arguments(initializer):
                init_val = initializer
                variable_dtype = None
            else:
                raise ValueError(
                    "The initializer passed is not valid. It should be a callable with no arguments and the shape "
                    "should not be provided or an instance of `tf.keras.initializers.*' and `shape` should be "
                    "fully defined."
                )
        v = Variable(
            initial_value=init_val,
            name=name,
            trainable=trainable,
            collections=collections,
            caching_device=caching_device,
            dtype=variable_dtype,
            validate_shape=validate_shape,
            constraint=constraint,
            use_resource=default_use_resource() if use_resource is None else bool(use_resource),
            shape=shape,
        )
        self._vars[name] = v
        self._frames[name] = _user_frames()
        if regularizer:

            def make_regularizer_op():
                with graph_lib.colocate_with(v):
                    with graph_lib.name_scope(name + "/Regularizer/"):
                        return regularizer(v)

            # TensorFlow calls the regularizer once in the caller's scope to see whether it regularizes.
            if regularizer(v) is not None:
                graph_lib.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, _LazyEvalTensor(make_regularizer_op))
        return v

    def _get_default_initializer(self, name, shape=None, dtype=dtypes.DType.float32):
        if dtype.is_floating:
            return init_ops.glorot_uniform_initializer(), False
        if dtype.is_integer or dtype.is_unsigned or dtype.is_bool or dtype == dtypes.DType.string:
            return init_ops.zeros_initializer(), False
        raise ValueError(f"An initializer for variable {name} of {dtype.base_dtype} is required")


# ---------------------------------------------------------------------------------------------
# Variable scopes


class VariableScope:
    """The defaults get_variable takes from a scope: name prefix, reuse, initializer, regularizer, ...

    Attributes (as TF's): name, original_name_scope, reuse, initializer, regularizer, caching_device,
    partitioner, custom_getter, dtype, use_resource, constraint.
    """

    def __init__(
        self,
        reuse,
        name="",
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        name_scope="",
        dtype=dtypes.DType.float32,
        use_resource=None,
        constraint=None,
    ):
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    dtype = property(lambda self: self._dtype)
    use_resource = property(lambda self: self._use_resource)
    regularizer = property(lambda self: self._regularizer)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    custom_getter = property(lambda self: self._custom_getter)
    constraint = property(lambda self: self._constraint)

    def reuse_variables(self):
        """Reuse the variables of this scope from now on."""
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_dtype(self, dtype):
        self._dtype = dtype

    def set_use_resource(self, use_resource):
        self._use_resource = use_resource

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_caching_device(self, caching_device):
        self._caching_device = caching_device

    def set_partitioner(self, partitioner):
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter):
        self._custom_getter = custom_getter

    def get_collection(self, name):
        """The members of collection ``name`` under this scope."""
        scope = self._name + "/" if self._name else ""
        return graph_lib.get_collection(name, scope)

    def trainable_variables(self):
        return self.get_collection(GraphKeys.TRAINABLE_VARIABLES)

    def global_variables(self):
        return self.get_collection(GraphKeys.GLOBAL_VARIABLES)

    def local_variables(self):
        return self.get_collection(GraphKeys.LOCAL_VARIABLES)

    def get_variable(
        self,
        var_store,
        name,
        shape=None,
        dtype=None,
        initializer=None,
        regularizer=None,
        reuse=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        custom_getter=None,
        constraint=None,
        synchronization=VariableSynchronization.AUTO,
        aggregation=VariableAggregation.NONE,
    ):
        """Gets or creates ``<scope>/<name>`` in ``var_store`` with this scope's defaults.

        Raises:
          ValueError: when a constant initializer's dtype differs from an explicit ``dtype``, and the
            store's errors.
        """
        if regularizer is None:
            regularizer = self._regularizer
        if caching_device is None:
            caching_device = self._caching_device
        if partitioner is None:
            partitioner = self._partitioner
        if custom_getter is None:
            custom_getter = self._custom_getter
        if reuse is None:
            reuse = self._reuse
        if use_resource is None:
            use_resource = self._use_resource
        full_name = self.name + "/" + name if self.name else name
        with graph_lib.name_scope(None):
            if dtype is not None and initializer is not None and not callable(initializer):
                init_dtype = graph_lib.convert_to_tensor(initializer).dtype.base_dtype
                if init_dtype != dtypes.as_dtype(dtype):
                    raise ValueError(
                        f"Initializer type '{init_dtype}' and explicit dtype '{dtypes.as_dtype(dtype)}' don't match."
                    )
            if initializer is None:
                initializer = self._initializer
            if constraint is None:
                constraint = self._constraint
            if dtype is None:
                dtype = self._dtype
            return var_store.get_variable(
                full_name,
                shape=shape,
                dtype=dtype,
                initializer=initializer,
                regularizer=regularizer,
                reuse=reuse,
                trainable=trainable,
                collections=collections,
                caching_device=caching_device,
                partitioner=partitioner,
                validate_shape=validate_shape,
                use_resource=use_resource,
                custom_getter=custom_getter,
                constraint=constraint,
                synchronization=synchronization,
                aggregation=aggregation,
            )

    def _get_partitioned_variable(
        self,
        var_store,
        name,
        shape=None,
        dtype=None,
        initializer=None,
        regularizer=None,
        trainable=None,
        collections=None,
        caching_device=None,
        partitioner=None,
        validate_shape=True,
        use_resource=None,
        constraint=None,
    ):
        initializer = self._initializer if initializer is None else initializer
        regularizer = self._regularizer if regularizer is None else regularizer
        constraint = self._constraint if constraint is None else constraint
        caching_device = self._caching_device if caching_device is None else caching_device
        partitioner = self._partitioner if partitioner is None else partitioner
        dtype = self._dtype if dtype is None else dtype
        use_resource = self._use_resource if use_resource is None else use_resource
        if self._custom_getter is not None:
            raise ValueError(
                "Private access to _get_partitioned_variable is not allowed when a custom getter is set.  Current "
                f"custom getter: {self._custom_getter}.  It is likely that you're using "
                "create_partitioned_variables.  If so, consider instead using get_variable with a non-empty "
                "partitioner parameter instead."
            )
        if partitioner is None:
            raise ValueError("No partitioner was specified")
        full_name = "/".join(n for n in (self.name, name) if n)
        with graph_lib.name_scope(None):
            return var_store._get_partitioned_variable(
                full_name,
                shape=shape,
                dtype=dtypes.as_dtype(dtype),
                initializer=initializer,
                regularizer=regularizer,
                reuse=self.reuse,
                trainable=_validate_trainable(VariableSynchronization.AUTO, trainable, full_name),
                collections=collections,
                caching_device=caching_device,
                partitioner=partitioner,
                validate_shape=validate_shape,
                use_resource=use_resource,
                constraint=constraint,
            )


_VARSTORE_KEY = ("__variable_store",)
_VARSCOPESTORE_KEY = VARSCOPESTORE_KEY


class _VariableScopeStore(threading.local):
    """The current variable scope and how often each scope name was opened."""

    def __init__(self):
        super().__init__()
        self.current_scope = VariableScope(False)
        self.variable_scopes_count = {}

    def open_variable_scope(self, scope_name):
        self.variable_scopes_count[scope_name] = self.variable_scopes_count.get(scope_name, 0) + 1

    def close_variable_subscopes(self, scope_name):
        if scope_name is None:
            for k in self.variable_scopes_count:
                self.variable_scopes_count[k] = 0
            return
        prefix = scope_name + "/"
        for k in self.variable_scopes_count:
            if k.startswith(prefix):
                self.variable_scopes_count[k] = 0

    def variable_scope_count(self, scope_name):
        return self.variable_scopes_count.get(scope_name, 0)


def get_variable_scope_store():
    """The default graph's variable-scope store (created on first use)."""
    scope_store = graph_lib.get_collection(_VARSCOPESTORE_KEY)
    if scope_store:
        return scope_store[0]
    scope_store = _VariableScopeStore()
    graph_lib.add_to_collection(_VARSCOPESTORE_KEY, scope_store)
    return scope_store


def enable_resource_variables():
    """``tf.compat.v1.enable_resource_variables``: variables made without ``use_resource`` (by ``tf.Variable`` or
    ``tf.get_variable``, in a scope that does not set it) are resource variables from now on."""
    set_default_use_resource(True)


def disable_resource_variables():
    """``tf.compat.v1.disable_resource_variables``: such variables are ref variables again (TF1's default)."""
    set_default_use_resource(False)


def resource_variables_enabled() -> bool:
    """``tf.compat.v1.resource_variables_enabled``."""
    return default_use_resource()


def get_variable_scope():
    """``tf.get_variable_scope``: the current VariableScope."""
    return get_variable_scope_store().current_scope


def _get_default_variable_store():
    store = graph_lib.get_collection(_VARSTORE_KEY)
    if store:
        return store[0]
    store = _VariableStore()
    graph_lib.add_to_collection(_VARSTORE_KEY, store)
    return store


def default_store_variables() -> dict:
    """The default graph's ``get_variable`` variables by full name (partitions as ``<name>/part_<i>``): what
    TF's ``init_from_checkpoint`` reads as ``_get_default_variable_store()._vars``."""
    return _get_default_variable_store()._vars


def get_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=None,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    custom_getter=None,
    constraint=None,
    synchronization=VariableSynchronization.AUTO,
    aggregation=VariableAggregation.NONE,
):
    """``tf.get_variable``: the variable ``<scope>/<name>``, created unless the scope reuses.

    Args (as TF1's): ``shape`` and ``dtype`` (default float32, or the scope's); ``initializer`` (an
    initializer, a callable, a Tensor or a Python value; default: the scope's, else
    glorot_uniform for floats and zeros for integers, bools and strings); ``regularizer`` (its loss
    goes to REGULARIZATION_LOSSES); ``trainable``; ``collections``; ``partitioner`` (a
    PartitionedVariable results); ``use_resource``; ``custom_getter``; ``constraint``.

    Returns:
      A Variable, or a PartitionedVariable.

    Raises:
      ValueError: TensorFlow's errors, word for word: "Variable a/w already exists, disallowed. ..."
        when the scope does not reuse, "Variable a/w does not exist, or was not created with
        tf.get_variable(). ..." when it does, and shape, dtype or initializer conflicts.

    Example::

        with tf.variable_scope("layer"):
            w = tf.get_variable("w", [784, 10])          # layer/w
        with tf.variable_scope("layer", reuse=True):
            assert tf.get_variable("w") is w
    """
    return get_variable_scope().get_variable(
        _get_default_variable_store(),
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        validate_shape=validate_shape,
        use_resource=use_resource,
        custom_getter=custom_getter,
        constraint=constraint,
        synchronization=synchronization,
        aggregation=aggregation,
    )


def get_local_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=False,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    custom_getter=None,
    constraint=None,
    synchronization=VariableSynchronization.AUTO,
    aggregation=VariableAggregation.NONE,
):
    """``tf.get_local_variable``: as get_variable, in LOCAL_VARIABLES and never trainable."""
    collections = [*collections, GraphKeys.LOCAL_VARIABLES] if collections else [GraphKeys.LOCAL_VARIABLES]
    return get_variable(
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=False,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        validate_shape=validate_shape,
        use_resource=use_resource,
        synchronization=synchronization,
        aggregation=aggregation,
        custom_getter=custom_getter,
        constraint=constraint,
    )


def _get_partitioned_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=True,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    constraint=None,
):
    scope = get_variable_scope()
    if scope.custom_getter is not None:
        raise ValueError(
            "Private access to _get_partitioned_variable is not allowed when a custom getter is set.  Current "
            f"custom getter: {scope.custom_getter}.  It is likely that you're using create_partitioned_variables.  "
            "If so, consider instead using get_variable with a non-empty partitioner parameter instead."
        )
    return scope._get_partitioned_variable(
        _get_default_variable_store(),
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        validate_shape=validate_shape,
        use_resource=use_resource,
        constraint=constraint,
    )


def _copy_scope_settings(
    target, initializer, regularizer, caching_device, partitioner, custom_getter, old_getter, dtype, use_resource
):
    if initializer is not None:
        target.set_initializer(initializer)
    if regularizer is not None:
        target.set_regularizer(regularizer)
    if caching_device is not None:
        target.set_caching_device(caching_device)
    if partitioner is not None:
        target.set_partitioner(partitioner)
    if custom_getter is not None:
        target.set_custom_getter(_maybe_wrap_custom_getter(custom_getter, old_getter))
    if dtype is not None:
        target.set_dtype(dtype)
    if use_resource is not None:
        target.set_use_resource(use_resource)


class pure_variable_scope:  # noqa: N801 - TensorFlow's name (private there; template.py uses it)
    """Enters a VariableScope without opening a name scope (variable_scope's inner half)."""

    def __init__(
        self,
        name_or_scope,
        reuse=None,
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        old_name_scope=None,
        dtype=dtypes.DType.float32,
        use_resource=None,
        constraint=None,
    ):
        self._name_or_scope = name_or_scope
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._old_name_scope = old_name_scope
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        self._var_store = _get_default_variable_store()
        self._var_scope_store = get_variable_scope_store()
        self._last_variable_scope_object = None
        if isinstance(self._name_or_scope, VariableScope):
            self._new_name = self._name_or_scope.name
            source = self._name_or_scope
            scope_object = VariableScope(
                source.reuse if not self._reuse else self._reuse,
                name=self._new_name,
                initializer=source.initializer,
                regularizer=source.regularizer,
                caching_device=source.caching_device,
                partitioner=source.partitioner,
                dtype=source.dtype,
                custom_getter=source.custom_getter,
                name_scope=source._name_scope,
                use_resource=source.use_resource,
                constraint=self._constraint,
            )
            self._copy_settings(scope_object, source.custom_getter)
            self._cached_variable_scope_object = scope_object

    def _copy_settings(self, target, old_getter):
        _copy_scope_settings(
            target,
            self._initializer,
            self._regularizer,
            self._caching_device,
            self._partitioner,
            self._custom_getter,
            old_getter,
            self._dtype,
            self._use_resource,
        )

    def __enter__(self):
        self._old = self._var_scope_store.current_scope
        if isinstance(self._name_or_scope, VariableScope):
            self._var_scope_store.open_variable_scope(self._new_name)
            self._old_subscopes = copy.copy(self._var_scope_store.variable_scopes_count)
            scope_object = self._cached_variable_scope_object
        else:
            old = self._old
            self._new_name = old.name + "/" + self._name_or_scope if old.name else self._name_or_scope
            self._reuse = self._reuse or old.reuse  # sub-scopes inherit reuse
            name_scope = self._name_or_scope if self._old_name_scope is None else self._old_name_scope
            scope_object = VariableScope(
                self._reuse,
                name=self._new_name,
                initializer=old.initializer,
                regularizer=old.regularizer,
                caching_device=old.caching_device,
                partitioner=old.partitioner,
                dtype=old.dtype,
                use_resource=old.use_resource,
                custom_getter=old.custom_getter,
                name_scope=name_scope,
                constraint=self._constraint,
            )
            self._copy_settings(scope_object, old.custom_getter)
            self._var_scope_store.open_variable_scope(self._new_name)
        self._var_scope_store.current_scope = scope_object
        self._last_variable_scope_object = scope_object
        return scope_object

    def __exit__(self, *exc):
        if self._var_scope_store.current_scope is not self._last_variable_scope_object:
            raise RuntimeError("Improper nesting of variable_scope.")
        if isinstance(self._name_or_scope, VariableScope):
            self._var_scope_store.variable_scopes_count = self._old_subscopes
        else:
            self._var_scope_store.close_variable_subscopes(self._new_name)
        self._var_scope_store.current_scope = self._old


def _maybe_wrap_custom_getter(custom_getter, old_getter):
    """A custom getter of a nested scope calls the outer scope's getter as its ``getter``."""
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)

    return wrapped_custom_getter


def get_unique_variable_scope(prefix):
    """``prefix``, or ``prefix_1``, ``prefix_2``, ... the first not yet opened in the current scope."""
    var_scope_store = get_variable_scope_store()
    current_scope = get_variable_scope()
    name = current_scope.name + "/" + prefix if current_scope.name else prefix
    if var_scope_store.variable_scope_count(name) == 0:
        return prefix
    idx = 1
    while var_scope_store.variable_scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


class variable_scope:  # noqa: N801 - TensorFlow's name
    """``tf.variable_scope``: a variable scope and a name scope for the ops and variables made inside.

    Args (as TF1's): ``name_or_scope`` (a string or a VariableScope to re-enter), ``default_name``
    (uniquified: ``dense``, ``dense_1``, ...; used when ``name_or_scope`` is None), ``values``,
    defaults for get_variable (``initializer``, ``regularizer``, ``caching_device``, ``partitioner``,
    ``custom_getter``, ``dtype``, ``use_resource``, ``constraint``), ``reuse`` (True, None to inherit,
    or AUTO_REUSE; False means None), ``auxiliary_name_scope`` (False: open no name scope).

    Raises:
      TypeError: without a name and default_name, or for a name that is neither a string nor a scope.
      ValueError: for a ``reuse`` that is not True/False/None/AUTO_REUSE, or reuse=True without a name.

    Example::

        with tf.variable_scope("gen"):
            h = tf.layers.dense(z, 128)                  # gen/dense/kernel
        with tf.variable_scope("gen", reuse=True):
            h2 = tf.layers.dense(z2, 128)                # shares gen/dense/kernel
    """

    def __init__(
        self,
        name_or_scope,
        default_name=None,
        values=None,
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        reuse=None,
        dtype=None,
        use_resource=None,
        constraint=None,
        auxiliary_name_scope=True,
    ):
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._reuse = reuse
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        if self._default_name is None and self._name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if self._reuse is False:
            self._reuse = None  # False means "inherit", as in TF
        if not (self._reuse is True or self._reuse is None or self._reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if self._values is None:
            self._values = []
        self._graph = graph_lib._get_graph_from_inputs(self._values)
        self._cachedpure_variable_scope = None
        self._current_name_scope = None
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError(f"The auxiliary_name_scope must be `True` or `False`, while get {auxiliary_name_scope}")
        self._auxiliary_name_scope = auxiliary_name_scope
        self._graph_context_manager = None

    def __enter__(self):
        self._graph_context_manager = self._graph.as_default()
        self._graph_context_manager.__enter__()
        if self._cachedpure_variable_scope is not None:
            # Entering the same variable_scope object again (TF allows it).
            if self._current_name_scope is not None:
                self._current_name_scope.__enter__()
            return self._cachedpure_variable_scope.__enter__()
        try:
            return self._enter_scope_uncached()
        except BaseException:
            self._graph_context_manager.__exit__(None, None, None)
            raise

    def _pure_scope(self, name_or_scope, old_name_scope, **extra):
        return pure_variable_scope(
            name_or_scope,
            initializer=self._initializer,
            regularizer=self._regularizer,
            caching_device=self._caching_device,
            partitioner=self._partitioner,
            custom_getter=self._custom_getter,
            old_name_scope=old_name_scope,
            dtype=self._dtype,
            use_resource=self._use_resource,
            constraint=self._constraint,
            **extra,
        )

    def _enter_pure(self, pure):
        try:
            entered = pure.__enter__()
        except BaseException:
            pure.__exit__(None, None, None)
            raise
        self._cachedpure_variable_scope = pure
        return entered

    def _enter_name_scope(self, current_name_scope):
        try:
            name = current_name_scope.__enter__()
        except BaseException:
            current_name_scope.__exit__(None, None, None)
            raise
        self._current_name_scope = current_name_scope
        return name

    def _enter_scope_uncached(self):
        if self._auxiliary_name_scope:
            current_name_scope = None
        else:
            # Stay in the current name scope (re-entered exactly).
            name_scope = graph_lib.get_default_graph().get_name_scope()
            current_name_scope = graph_lib.name_scope(name_scope + "/" if name_scope else name_scope)
        if self._name_or_scope is not None:
            if not isinstance(self._name_or_scope, (VariableScope, str)):
                raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
            if isinstance(self._name_or_scope, str):
                name_scope = self._name_or_scope
            else:
                name_scope = self._name_or_scope.name.split("/")[-1]
            if name_scope or current_name_scope:
                current_name_scope = current_name_scope or graph_lib.name_scope(name_scope)
                current_name_scope_name = self._enter_name_scope(current_name_scope)
                if isinstance(self._name_or_scope, str):
                    old_name_scope = current_name_scope_name
                else:
                    old_name_scope = self._name_or_scope.original_name_scope
                return self._enter_pure(self._pure_scope(self._name_or_scope, old_name_scope, reuse=self._reuse))
            self._current_name_scope = None
            return self._enter_pure(self._pure_scope(self._name_or_scope, None, reuse=self._reuse))
        if self._reuse:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        current_name_scope = current_name_scope or graph_lib.name_scope(self._default_name)
        current_name_scope_name = self._enter_name_scope(current_name_scope)
        unique_default_name = get_unique_variable_scope(self._default_name)
        return self._enter_pure(self._pure_scope(unique_default_name, current_name_scope_name))

    def __exit__(self, type_arg, value_arg, traceback_arg):
        try:
            self._cachedpure_variable_scope.__exit__(type_arg, value_arg, traceback_arg)
        finally:
            try:
                if self._current_name_scope:
                    self._current_name_scope.__exit__(type_arg, value_arg, traceback_arg)
            finally:
                self._graph_context_manager.__exit__(type_arg, value_arg, traceback_arg)
        return False


def variable_op_scope(
    values,
    name_or_scope,
    default_name=None,
    initializer=None,
    regularizer=None,
    caching_device=None,
    partitioner=None,
    custom_getter=None,
    reuse=None,
    dtype=None,
    use_resource=None,
    constraint=None,
):
    """``tf.variable_op_scope`` (deprecated): ``variable_scope(name_or_scope, default_name, values)``."""
    return variable_scope(
        name_or_scope,
        default_name=default_name,
        values=values,
        initializer=initializer,
        regularizer=regularizer,
        caching_device=caching_device,
        partitioner=partitioner,
        custom_getter=custom_getter,
        reuse=reuse,
        dtype=dtype,
        use_resource=use_resource,
        constraint=constraint,
    )


# ---------------------------------------------------------------------------------------------
# Partitioning


def _call_partitioner(partitioner, shape, dtype):
    """The partitioner's output for ``shape``, checked: one entry per dimension, at most one above 1."""
    if not shape.is_fully_defined():
        raise ValueError(f"Shape of a new partitioned variable must be fully defined, but instead was {shape}.")
    if shape.ndims < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1, shape: {shape}")
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, collections_abc.Sequence):
        raise ValueError(f"Partitioner must return a sequence, but saw: {slicing}")
    if len(slicing) != shape.ndims:
        raise ValueError(
            f"Partitioner returned a partition list that does not match the Variable's rank: {slicing} vs. {shape}"
        )
    if any(p < 1 for p in slicing):
        raise ValueError(f"Partitioner returned zero partitions for some axes: {slicing}")
    if sum(p > 1 for p in slicing) > 1:
        raise ValueError(f"Can only slice a variable along one dimension: shape: {shape}, partitioning: {slicing}")
    return slicing


def _get_slice_dim_and_num_slices(slicing):
    for slice_dim, num_slices in enumerate(slicing):
        if num_slices > 1:
            return slice_dim, num_slices
    return 0, 1


def _iter_slices(full_shape, num_slices, slice_dim):
    """(offset, shape) of each slice; the first ``full % num`` slices are one longer."""
    num_slices_with_excess = full_shape[slice_dim] % num_slices
    offset = [0] * len(full_shape)
    min_slice_len = full_shape[slice_dim] // num_slices
    for i in range(num_slices):
        shape = full_shape[:]
        shape[slice_dim] = min_slice_len + bool(i < num_slices_with_excess)
        yield offset[:], shape
        offset[slice_dim] += shape[slice_dim]


def create_partitioned_variables(
    shape, slicing, initializer, dtype=dtypes.DType.float32, trainable=True, collections=None, name=None, reuse=None
):
    """``tf.create_partitioned_variables`` (deprecated): the list of partitions of a new variable.

    Raises:
      ValueError: when ``shape`` and ``slicing`` differ in length or ``shape`` is a scalar.
    """
    if len(shape) != len(slicing):
        raise ValueError(
            "The 'shape' and 'slicing' of a partitioned Variable must have the length: "
            f"shape: {shape}, slicing: {slicing}"
        )
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")

    def partitioner(**unused_kwargs):
        return slicing

    with variable_scope(name, "PartitionedVariable", reuse=reuse):
        partitioned_var = _get_partitioned_variable(
            name=None,
            shape=shape,
            dtype=dtype,
            initializer=initializer,
            trainable=trainable,
            partitioner=partitioner,
            collections=collections,
        )
        return list(partitioned_var)
