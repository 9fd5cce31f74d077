"""State ops beyond the sample tables (those are in tests/ops/samples_state.py, run by test_training_ops.py)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm


def _destroy_then_use(api):
    """Destroys a resource variable, then reads it and destroys it again: the errors each raises."""
    g = api.Graph()
    raised = []
    with g.as_default():
        v = api.Variable(np.ones(2, np.float32), use_resource=True, name="v")
        destroy = api.raw_ops.DestroyResourceOp(resource=v.handle)
        strict = api.raw_ops.DestroyResourceOp(resource=v.handle, ignore_lookup_error=False)
        read = v.read_value()
        with api.Session(graph=g) as sess:
            sess.run(v.initializer)
            before = sess.run(read)
            sess.run(destroy)
            for fetch in (read, strict):
                with pytest.raises(Exception) as info:
                    sess.run(fetch)
                raised.append(info.value)
            sess.run(destroy)  # ignore_lookup_error (the default): destroying a missing resource is fine
    return before, raised


def test_destroy_resource_op_matches_tf(tf1):
    import tensorflow as tf

    theirs_value, theirs = _destroy_then_use(tf.compat.v1)
    ours_value, ours = _destroy_then_use(tm)
    np.testing.assert_array_equal(ours_value, theirs_value)
    assert [type(e).__name__ for e in ours] == [type(e).__name__ for e in theirs]
    assert [type(e).__name__ for e in ours] == ["FailedPreconditionError", "NotFoundError"]
    for mine, tfs in zip(ours, theirs):
        assert mine.message.splitlines()[0] in tfs.message
