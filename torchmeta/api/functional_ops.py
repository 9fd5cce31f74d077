"""``tf.map_fn``, ``tf.scan``, ``tf.foldl``, ``tf.foldr``: while loops over TensorArrays, as TensorFlow builds them.

Each unstacks its inputs into TensorArrays, runs ``fn`` in a ``tf.while_loop`` (with
``maximum_iterations`` the number of elements) and stacks the results, so the graphs, their names and
their gradients are TensorFlow's (v1 loops by default, v2 under ``enable_control_flow_v2()``).
"""

from __future__ import annotations

from torchmeta.api import array_ops
from torchmeta.api.control_flow_ops import convert_variables_to_tensors
from torchmeta.api.tensor_array_ops import TensorArray
from torchmeta.api.while_loop import while_loop
from torchmeta.dtypes import as_dtype
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import nest
from torchmeta.framework.constant_op import constant
from torchmeta.framework.tensor_shape import Dimension, TensorShape, unknown_shape

__all__ = ["map_fn", "scan", "foldl", "foldr"]


def _leading_dim(t):
    shape = t.shape.with_rank_at_least(1)
    return shape.as_tuple()[0]


def map_fn(
    fn,
    elems,
    dtype=None,
    parallel_iterations=None,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    name=None,
    fn_output_signature=None,
):
    """``tf.map_fn``: ``fn`` applied to each element of ``elems`` along its first dimension, stacked.

    Args:
      fn: callable taking one element (structured like ``elems``).
      elems: a Tensor or nested structure of Tensors, unpacked along dimension 0.
      dtype / fn_output_signature: the dtype structure of ``fn``'s result when it differs from ``elems``.
      parallel_iterations, back_prop, swap_memory: passed to the while loop.
      infer_shape: whether all results share one shape.
      name: the name scope (default "map").

    Raises:
      TypeError: if ``fn`` is not callable.
      ValueError: if ``elems`` has no tensors or scalar elements (TensorFlow's messages).
    """
    if fn_output_signature is None:
        fn_output_signature = dtype
    if not callable(fn):
        raise TypeError(f"The provided function {fn.__name__} is not callable.fn must be callable.")
    if not parallel_iterations:
        parallel_iterations = 10
    elems = convert_variables_to_tensors(elems)
    elems_flat = nest.flatten(elems)
    if len(elems_flat) == 0:
        raise ValueError(
            "elems must be a Tensor or (possibly nested) sequence of Tensors. "
            f"Got {elems}, which does not contain any Tensors."
        )

    def elems_unflatten(x):
        return nest.pack_sequence_as(elems, x)

    if fn_output_signature is None:
        result_dtypes = [None] * len(elems_flat)  # the elements' dtypes, once converted
        result_unflatten = elems_unflatten
    else:
        result_dtypes = [as_dtype(d) for d in nest.flatten(fn_output_signature)]

        def result_unflatten(x):
            return nest.pack_sequence_as(fn_output_signature, x)

    with graph_lib.name_scope(name, "map", elems_flat):
        elems_flat = [graph_lib.convert_to_tensor(t, name="elem") for t in elems_flat]
        first = elems_flat[0]
        if first.shape.rank is not None and first.shape.rank < 1:
            raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
        n_static = Dimension(_leading_dim(elems_flat[0]))
        for t in elems_flat[1:]:
            n_static.assert_is_compatible_with(Dimension(_leading_dim(t)))
        n = n_static.value or array_ops.shape(elems_flat[0])[0]
        elems_ta = [
            TensorArray(dtype=t.dtype.base_dtype, size=n, dynamic_size=False, infer_shape=True) for t in elems_flat
        ]
        elems_ta = [ta.unstack(t) for ta, t in zip(elems_ta, elems_flat)]
        i = constant(0)
        if fn_output_signature is None:
            result_dtypes = [t.dtype.base_dtype for t in elems_flat]
        result_ta = [
            TensorArray(dtype=d, size=n, dynamic_size=False, infer_shape=infer_shape, element_shape=unknown_shape())
            for d in result_dtypes
        ]

        def compute(i, tas):
            elems_value = elems_unflatten([ta.read(i) for ta in elems_ta])
            result_value = fn(elems_value)
            nest.assert_same_structure(fn_output_signature or elems, result_value)
            tas = [ta.write(i, value) for ta, value in zip(tas, nest.flatten(result_value))]
            return (i + 1, tas)

        _, r_a = while_loop(
            lambda i, _: i < n,
            compute,
            (i, result_ta),
            parallel_iterations=parallel_iterations,
            back_prop=back_prop,
            swap_memory=swap_memory,
            maximum_iterations=n,
        )
        results = [r.stack() for r in r_a]
        for r in results:
            r.set_shape(TensorShape([n_static.value]).concatenate(r.shape[1:]))
        return result_unflatten(results)


def _create_unstacked_ta(elem, n):
    return TensorArray(dtype=elem.dtype.base_dtype, size=n, dynamic_size=False, infer_shape=True).unstack(elem)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``tf.foldl``: ``fn(fn(fn(initializer, e0), e1), ...)`` over ``elems`` along dimension 0.

    Without ``initializer`` the first element starts the fold.
    """
    if not callable(fn):
        raise TypeError(f"{fn.__name__} is not callable. Please provide a callable function.")
    with graph_lib.name_scope(name, "foldl", [elems]):
        elems_flat = [graph_lib.convert_to_tensor(e, name="elem") for e in nest.flatten(elems)]
        n = elems_flat[0].shape.as_tuple()[0] if elems_flat[0].shape.rank else None
        n = n or array_ops.shape(elems_flat[0])[0]
        elems_ta = nest.map_structure(lambda e: _create_unstacked_ta(e, n), elems)
        if initializer is None:
            a = nest.map_structure(lambda e: e.read(0), elems_ta)
            i = constant(1)
        else:
            a = initializer
            i = constant(0)

        def compute(i, a):
            elem_i = nest.map_structure(lambda e: e.read(i), elems_ta)
            a = fn(a, elem_i)
            return [i + 1, a]

        _, r_a = while_loop(
            lambda i, a: i < n,
            compute,
            [i, a],
            parallel_iterations=parallel_iterations,
            back_prop=back_prop,
            swap_memory=swap_memory,
            maximum_iterations=n,
        )
        return r_a


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``tf.foldr``: the fold of ``foldl``, from the last element to the first."""
    if not callable(fn):
        raise TypeError(f"{fn.__name__} is not callable. Please provide a callable function.")
    with graph_lib.name_scope(name, "foldr", [elems]):
        elems_flat = [graph_lib.convert_to_tensor(e, name="elem") for e in nest.flatten(elems)]
        n = elems_flat[0].shape.as_tuple()[0] if elems_flat[0].shape.rank else None
        n = n or array_ops.shape(elems_flat[0])[0]
        elems_ta = nest.map_structure(lambda e: _create_unstacked_ta(e, n), elems)
        if initializer is None:
            i = n - 1
            a = nest.map_structure(lambda e: e.read(i), elems_ta)
        else:
            i = n
            a = initializer

        def compute(i, a):
            i -= 1
            elem = nest.map_structure(lambda e: e.read(i), elems_ta)
            return [i, fn(a, elem)]

        _, r_a = while_loop(
            lambda i, a: i > 0,
            compute,
            [i, a],
            parallel_iterations=parallel_iterations,
            back_prop=back_prop,
            swap_memory=swap_memory,
            maximum_iterations=n,
        )
        return r_a


def scan(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    reverse=False,
    name=None,
):
    """``tf.scan``: the stacked intermediate results of folding ``fn`` over ``elems`` (``reverse`` from the end)."""
    if not callable(fn):
        raise TypeError(f"{fn.__name__} is not callable. Please provide a callable function.")
    input_is_sequence = nest.is_nested(elems)

    def input_flatten(x):
        return nest.flatten(x) if input_is_sequence else [x]

    def input_pack(x):
        return nest.pack_sequence_as(elems, x) if input_is_sequence else x[0]

    if initializer is None:
        output_flatten, output_pack = input_flatten, input_pack
    else:
        output_is_sequence = nest.is_nested(initializer)

        def output_flatten(x):
            return nest.flatten(x) if output_is_sequence else [x]

        def output_pack(x):
            return nest.pack_sequence_as(initializer, x) if output_is_sequence else x[0]

    elems_flat = input_flatten(elems)
    with graph_lib.name_scope(name, "scan", elems_flat):
        elems_flat = [graph_lib.convert_to_tensor(e, name="elem") for e in elems_flat]
        n = elems_flat[0].shape.as_tuple()[0] if elems_flat[0].shape.rank else None
        if n is None:
            n = array_ops.shape(elems_flat[0])[0]
        elems_ta = [
            TensorArray(
                dtype=e.dtype.base_dtype, size=n, dynamic_size=False, element_shape=e.shape[1:], infer_shape=True
            )
            for e in elems_flat
        ]
        elems_ta = [ta.unstack(e) for ta, e in zip(elems_ta, elems_flat)]
        if initializer is None:
            a_flat = [e.read(n - 1 if reverse else 0) for e in elems_ta]
            i = 1
        else:
            a_flat = [graph_lib.convert_to_tensor(init) for init in output_flatten(initializer)]
            i = 0
        accs_ta = [
            TensorArray(
                dtype=init.dtype.base_dtype,
                size=n,
                element_shape=init.shape if infer_shape else None,
                dynamic_size=False,
                infer_shape=infer_shape,
            )
            for init in a_flat
        ]
        if initializer is None:
            accs_ta = [ta.write(n - 1 if reverse else 0, a) for ta, a in zip(accs_ta, a_flat)]

        def compute(i, a_flat, tas):
            packed_elems = input_pack([ta.read(i) for ta in elems_ta])
            packed_a = output_pack(a_flat)
            a_out = fn(packed_a, packed_elems)
            nest.assert_same_structure(elems if initializer is None else initializer, a_out)
            flat_a_out = output_flatten(a_out)
            tas = [ta.write(i, value) for ta, value in zip(tas, flat_a_out)]
            next_i = i - 1 if reverse else i + 1
            return (next_i, flat_a_out, tas)

        if reverse:
            initial_i = n - 1 - i

            def condition(i, _1, _2):
                return i >= 0

        else:
            initial_i = i

            def condition(i, _1, _2):
                return i < n

        _, _, r_a = while_loop(
            condition,
            compute,
            (initial_i, a_flat, accs_ta),
            parallel_iterations=parallel_iterations,
            back_prop=back_prop,
            swap_memory=swap_memory,
            maximum_iterations=n,
        )
        results_flat = [r.stack() for r in r_a]
        n_static = Dimension(_leading_dim(elems_flat[0]))
        for e in elems_flat[1:]:
            n_static.assert_is_compatible_with(Dimension(_leading_dim(e)))
        for r in results_flat:
            r.set_shape(TensorShape([n_static.value]).concatenate(r.shape[1:]))
        return output_pack(results_flat)
