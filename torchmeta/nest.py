"""``tf.nest``: functions over nested structures (lists, tuples, namedtuples, dicts) of tensors."""

from torchmeta.framework.nest import (  # noqa: F401
    assert_same_structure,
    flatten,
    flatten_up_to,
    is_nested,
    map_structure,
    pack_sequence_as,
)
