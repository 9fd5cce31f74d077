"""``tf.nn``: neural-network functions."""

from torchmeta.api.candidate_sampling_ops import *  # noqa: F403
from torchmeta.api.nn_ops import *  # noqa: F403
from torchmeta.api.sparse_ops import embedding_lookup_sparse  # noqa: F401
