"""tf.nest as TensorFlow's: flattening order, packing, mapping, and the structure errors word for word."""

from __future__ import annotations

import collections

import pytest

from torchmeta.framework import nest

Point = collections.namedtuple("Point", ["x", "y"])

STRUCTURES = [
    1,
    [1, 2],
    (1, [2, 3], {"b": 4, "a": (5,)}),
    Point(x=[1, 2], y={"k": 3}),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    [],
    {"a": [], "b": [None, 1]},
]


@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_flatten_and_pack_match_tf(structure):
    tf = pytest.importorskip("tensorflow")
    assert nest.flatten(structure) == tf.nest.flatten(structure)
    flat = [f"v{i}" for i in range(len(nest.flatten(structure)))]
    ours = nest.pack_sequence_as(structure, flat)
    theirs = tf.nest.pack_sequence_as(structure, flat)
    assert ours == theirs
    assert type(ours) is type(theirs)
    assert nest.is_nested(structure) == tf.nest.is_nested(structure)


def test_map_structure_matches_tf():
    tf = pytest.importorskip("tensorflow")
    s = STRUCTURES[2]
    assert nest.map_structure(lambda a, b: a * 10 + b, s, s) == tf.nest.map_structure(lambda a, b: a * 10 + b, s, s)


MISMATCHES = [
    ([1, 2], [1], True),
    ((1, 2), [1, 2], True),
    ({"a": 1}, {"b": 1}, True),
    ([1, [2]], [1, 2], True),
    (1, [1], True),
    ([1], 1, False),
    (Point(1, 2), (1, 2), True),
]


@pytest.mark.parametrize(("a", "b", "check_types"), MISMATCHES, ids=range(len(MISMATCHES)))
def test_assert_same_structure_errors_are_tfs(a, b, check_types):
    tf = pytest.importorskip("tensorflow")
    with pytest.raises((ValueError, TypeError)) as theirs:
        tf.nest.assert_same_structure(a, b, check_types=check_types)
    with pytest.raises(type(theirs.value)) as ours:
        nest.assert_same_structure(a, b, check_types=check_types)
    assert str(ours.value) == str(theirs.value)


def test_pack_sequence_as_count_error_is_tfs():
    tf = pytest.importorskip("tensorflow")
    with pytest.raises(ValueError) as theirs:
        tf.nest.pack_sequence_as([1, 2], [1])
    with pytest.raises(ValueError) as ours:
        nest.pack_sequence_as([1, 2], [1])
    assert str(ours.value) == str(theirs.value)


def test_check_types_false_accepts_list_for_tuple():
    nest.assert_same_structure((1, 2), [3, 4], check_types=False)
