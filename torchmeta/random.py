"""``tf.random`` (TF1): the random ops under their ``tf.random.*`` names."""

from torchmeta.api.candidate_sampling_ops import (  # noqa: F401
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from torchmeta.api.random_ops import (  # noqa: F401
    categorical,
    get_seed,
    multinomial,
    random_shuffle,
    set_random_seed,
    stateless_categorical,
    stateless_multinomial,
    stateless_truncated_normal,
    truncated_normal,
)
from torchmeta.api.random_ops import random_gamma as gamma  # noqa: F401
from torchmeta.api.random_ops import random_normal as normal  # noqa: F401
from torchmeta.api.random_ops import random_poisson as poisson  # noqa: F401
from torchmeta.api.random_ops import random_shuffle as shuffle  # noqa: F401
from torchmeta.api.random_ops import random_uniform as uniform  # noqa: F401
from torchmeta.api.random_ops import stateless_random_normal as stateless_normal  # noqa: F401
from torchmeta.api.random_ops import stateless_random_uniform as stateless_uniform  # noqa: F401
