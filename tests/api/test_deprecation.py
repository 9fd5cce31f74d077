"""Arguments TF1 renamed (``dim`` -> ``axis``, ``keep_dims`` -> ``keepdims``, ...): either name works, both
fail with TF's ValueError from one helper (``api/deprecation.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm

X = np.ones((1, 2, 2, 1), np.float32)

CALLS = {
    "expand_dims": lambda tf: tf.expand_dims(X, axis=0, dim=0),
    "squeeze": lambda tf: tf.squeeze(X, axis=0, squeeze_dims=0),
    "reduce_sum": lambda tf: tf.reduce_sum(X, axis=0, reduction_indices=0),
    "reduce_mean keep_dims": lambda tf: tf.reduce_mean(X, keepdims=True, keep_dims=True),
    "argmax": lambda tf: tf.argmax(X, axis=0, dimension=0),
    "softmax": lambda tf: tf.nn.softmax(X, axis=0, dim=0),
    "cosine_distance": lambda tf: tf.losses.cosine_distance(X, X, axis=0, dim=0),
    "reduce_join": lambda tf: tf.strings.reduce_join(["a"], axis=0, reduction_indices=0),
    "reverse_sequence": lambda tf: tf.reverse_sequence(X[0], [1], seq_axis=1, seq_dim=1),
    "reverse_sequence batch": lambda tf: tf.reverse_sequence(X[0], [1], 1, batch_axis=0, batch_dim=0),
    "string_split": lambda tf: tf.string_split(["a b"], sep=" ", delimiter=" "),
    "extract_image_patches": lambda tf: tf.image.extract_image_patches(
        X, ksizes=[1, 1, 1, 1], strides=[1, 1, 1, 1], rates=[1, 1, 1, 1], padding="VALID", sizes=[1, 1, 1, 1]
    ),
    "crop_and_resize": lambda tf: tf.image.crop_and_resize(
        X, [[0, 0, 1, 1]], box_ind=[0], crop_size=[1, 1], box_indices=[0]
    ),
    "conv2d filter": lambda tf: tf.nn.conv2d(X, np.ones((1, 1, 1, 1), np.float32), [1, 1, 1, 1], "SAME", filters=X),
}


@pytest.mark.parametrize("case", list(CALLS))
def test_both_names_fail_as_tf(tf1, case):
    messages = []
    for api in (tf1, tm):
        with api.Graph().as_default(), pytest.raises(ValueError) as info:
            CALLS[case](api)
        messages.append(str(info.value))
    assert messages[1] == messages[0]
    assert messages[0].startswith("Cannot specify both '")


def test_either_name_alone_works(tf1):
    with tm.Graph().as_default():
        assert tm.expand_dims(X, dim=0).shape.as_list() == [1, 1, 2, 2, 1]
        assert tm.squeeze(X, squeeze_dims=[0, 3]).shape.as_list() == [2, 2]
        assert tm.reduce_sum(X, reduction_indices=1, keep_dims=True).shape.as_list() == [1, 1, 2, 1]
        assert tm.reverse_sequence(X[0], [1, 1], seq_dim=1, batch_dim=0).shape.as_list() == [2, 2, 1]
