"""``tf.queue`` (TF1): queue classes."""

from torchmeta.api.data_flow_ops import FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue  # noqa: F401
