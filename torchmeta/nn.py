"""``tf.nn``: neural-network functions."""

from torchmeta.api.array_ops import depth_to_space, space_to_batch, space_to_depth  # noqa: F401
from torchmeta.api.candidate_sampling_ops import *  # noqa: F403
from torchmeta.api.ctc_ops import *  # noqa: F403
from torchmeta.api.nn_conv_pool_ops import *  # noqa: F403
from torchmeta.api.nn_impl import *  # noqa: F403
from torchmeta.api.nn_ops import *  # noqa: F403
from torchmeta.api.rnn import (  # noqa: F401
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    raw_rnn,
    static_bidirectional_rnn,
    static_rnn,
    static_state_saving_rnn,
)
from torchmeta.api.sparse_ops import embedding_lookup_sparse  # noqa: F401

# isort: split
from torchmeta import rnn_cell  # noqa: F401
