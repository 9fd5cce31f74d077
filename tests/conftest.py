"""Shared test setup: quiet TensorFlow, TF1 semantics, and the ``tf1`` fixture for the reference."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES", ""))

import pytest

import torchmeta as tm


@pytest.fixture
def tf1():
    """``tensorflow.compat.v1`` with v2 behaviour disabled (skips when TensorFlow is absent)."""
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    v1.reset_default_graph()
    return v1


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Every test starts with an empty torchmeta default graph."""
    tm.reset_default_graph()
    yield
