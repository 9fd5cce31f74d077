"""Nested structures of values (TensorFlow's ``tf.nest``): flatten, pack, map and compare them.

Sequences are lists, tuples, namedtuples and mappings (whose items are visited in sorted key order,
as TensorFlow does); everything else is a leaf. With ``expand_composites=True`` an ``IndexedSlices``
is a sequence of its component tensors (values, indices and, when present, dense_shape), and so is a
``SparseTensor`` (indices, values, dense_shape: TF's order). Error messages are TensorFlow's.
"""

from __future__ import annotations

import collections.abc

__all__ = [
    "is_nested",
    "flatten",
    "pack_sequence_as",
    "map_structure",
    "assert_same_structure",
    "flatten_up_to",
]


def _is_composite(x) -> bool:
    return type(x).__name__ in ("IndexedSlices", "SparseTensor") and hasattr(x, "values") and hasattr(x, "indices")


def _is_sparse(x) -> bool:
    return type(x).__name__ == "SparseTensor"


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_mapping(x) -> bool:
    return isinstance(x, collections.abc.Mapping)


def _is_seq(x, expand_composites=False) -> bool:
    if isinstance(x, (list, tuple)) or _is_mapping(x):
        return True
    return expand_composites and _is_composite(x)


def is_nested(structure) -> bool:
    """Whether ``structure`` is a sequence (list, tuple, namedtuple, mapping)."""
    return _is_seq(structure)


def _sorted_keys(mapping):
    try:
        return sorted(mapping)
    except TypeError as e:
        raise TypeError("nest only supports dicts with sortable keys.") from e


def _children(x, expand_composites=False):
    if _is_mapping(x):
        return [x[k] for k in _sorted_keys(x)]
    if expand_composites and _is_sparse(x):
        return [x.indices, x.values, x.dense_shape]
    if expand_composites and _is_composite(x):
        parts = [x.values, x.indices]
        if getattr(x, "dense_shape", None) is not None:
            parts.append(x.dense_shape)
        return parts
    return list(x)


def _rebuild(instance, children):
    """A sequence of ``instance``'s kind holding ``children`` (in ``_children`` order)."""
    if _is_mapping(instance):
        result = dict(zip(_sorted_keys(instance), children))
        if type(instance) is dict:
            return {k: result[k] for k in instance}
        if isinstance(instance, collections.defaultdict):
            out = collections.defaultdict(instance.default_factory)
        else:
            out = type(instance)()
        for k in instance:
            out[k] = result[k]
        return out
    if _is_sparse(instance):
        return type(instance)(children[0], children[1], children[2])
    if _is_composite(instance):
        dense_shape = children[2] if len(children) > 2 else None
        return type(instance)(children[0], children[1], dense_shape)
    if _is_namedtuple(instance):
        return type(instance)(*children)
    if isinstance(instance, tuple):
        return tuple(children)
    if isinstance(instance, list):
        return list(children)
    return type(instance)(children)


def flatten(structure, expand_composites=False) -> list:
    """The leaves of ``structure`` in TensorFlow's order; a leaf gives ``[leaf]`` (None included)."""
    out = []

    def visit(x):
        if _is_seq(x, expand_composites):
            for c in _children(x, expand_composites):
                visit(c)
        else:
            out.append(x)

    visit(structure)
    return out


def _count(structure, expand_composites):
    return len(flatten(structure, expand_composites))


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """``flat_sequence`` arranged in the shape of ``structure``.

    Raises:
      TypeError: if ``flat_sequence`` is not a sequence.
      ValueError: if the number of leaves differs (TensorFlow's message).
    """
    if not isinstance(flat_sequence, (list, tuple)) and not _is_seq(flat_sequence):
        raise TypeError(
            f"Attempted to pack value:\n  {flat_sequence}\ninto a structure, but found incompatible type `{type(flat_sequence)}` instead."
        )
    flat_sequence = list(flat_sequence)
    if not _is_seq(structure, expand_composites):
        if len(flat_sequence) != 1:
            raise ValueError(
                f"The target structure is of type `{type(structure)}`\n  {structure}\nHowever the input is a "
                f"sequence ({type(flat_sequence)}) of length {len(flat_sequence)}.\n  {flat_sequence}\nnest "
                "cannot guarantee that it is safe to map one to the other."
            )
        return flat_sequence[0]
    n = _count(structure, expand_composites)
    if n != len(flat_sequence):
        raise ValueError(
            f"Could not pack sequence. Structure had {n} atoms, but flat_sequence had {len(flat_sequence)} items.  "
            f"Structure: {structure}, flat_sequence: {flat_sequence}."
        )
    pos = 0

    def build(x):
        nonlocal pos
        if _is_seq(x, expand_composites):
            return _rebuild(x, [build(c) for c in _children(x, expand_composites)])
        value = flat_sequence[pos]
        pos += 1
        return value

    return build(structure)


class _Dot:
    def __repr__(self):
        return "."


def _describe(x) -> str:
    return f"type={type(x).__name__} str={x}"


def _skeleton(structure, expand_composites):
    return pack_sequence_as(structure, [_Dot()] * _count(structure, expand_composites), expand_composites)


def _compare(a, b, check_types, expand_composites):
    """None if ``a`` and ``b`` have the same structure, else (exception class, detail)."""
    a_seq = _is_seq(a, expand_composites)
    b_seq = _is_seq(b, expand_composites)
    if a_seq != b_seq:
        seq, leaf = (a, b) if a_seq else (b, a)
        return (
            ValueError,
            f'Substructure "{_describe(seq)}" is a sequence, while substructure "{_describe(leaf)}" is not',
        )
    if not a_seq:
        return None
    if check_types and type(a) is not type(b):
        both_mappings = _is_mapping(a) and _is_mapping(b)
        if not both_mappings:
            return TypeError, (
                f"The two namedtuples don't have the same sequence type. First structure {_describe(a)} has type "
                f"{type(a).__name__}, while second structure {_describe(b)} has type {type(b).__name__}"
            )
    if _is_mapping(a) and _is_mapping(b) and set(a) != set(b):
        return ValueError, (
            "The two dictionaries don't have the same set of keys. First structure has keys "
            f"{_describe(_sorted_keys(a))}, while second structure has keys {_describe(_sorted_keys(b))}"
        )
    ca, cb = _children(a, expand_composites), _children(b, expand_composites)
    if len(ca) != len(cb):
        return ValueError, (
            "The two structures don't have the same number of elements. First structure: "
            f"{_describe(a)}. Second structure: {_describe(b)}"
        )
    for x, y in zip(ca, cb):
        problem = _compare(x, y, check_types, expand_composites)
        if problem is not None:
            return problem
    return None


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False) -> None:
    """Raises if ``nest1`` and ``nest2`` are not nested the same way.

    Raises:
      ValueError: different nesting, lengths or dictionary keys (TensorFlow's message).
      TypeError: different sequence types when ``check_types``.
    """
    problem = _compare(nest1, nest2, check_types, expand_composites)
    if problem is None:
        return
    cls, detail = problem
    raise cls(
        "The two structures don't have the same nested structure.\n\n"
        f"First structure: {_describe(nest1)}\n\nSecond structure: {_describe(nest2)}\n\n"
        f"More specifically: {detail}\n"
        f"Entire first structure:\n{_skeleton(nest1, expand_composites)!r}\n"
        f"Entire second structure:\n{_skeleton(nest2, expand_composites)!r}"
    )


def map_structure(func, *structure, **kwargs):
    """``func`` applied to the corresponding leaves of each structure, packed like the first.

    Keyword arguments: ``check_types`` (default True) and ``expand_composites`` (default False).
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    expand_composites = kwargs.pop("expand_composites", False)
    if kwargs:
        raise ValueError(
            f"Only valid keyword arguments are `check_types` and `expand_composites`, not: `{', '.join(kwargs)}`"
        )
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types, expand_composites=expand_composites)
    flat = [flatten(s, expand_composites) for s in structure]
    entries = zip(*flat)
    return pack_sequence_as(structure[0], [func(*x) for x in entries], expand_composites=expand_composites)


def flatten_up_to(shallow_tree, input_tree):
    """``input_tree`` flattened only as deep as ``shallow_tree`` is nested."""
    if not _is_seq(shallow_tree):
        return [input_tree]
    out = []
    for s, i in zip(_children(shallow_tree), _children(input_tree)):
        out.extend(flatten_up_to(s, i))
    return out
