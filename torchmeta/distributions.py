"""``tf.distributions`` (TF1 names; deprecated in TF in favour of TensorFlow Probability)."""

from torchmeta.api.distributions import (  # noqa: F401
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Bernoulli,
    Categorical,
    Distribution,
    Exponential,
    Gamma,
    Laplace,
    Normal,
    RegisterKL,
    ReparameterizationType,
    Uniform,
    kl_divergence,
)
