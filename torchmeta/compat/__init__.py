"""``tf.compat``: ``tf.compat.v1`` is torchmeta's own TF1 surface."""

from torchmeta.compat import v1  # noqa: F401

v2 = None  # TF2 eager APIs are out of scope for torchmeta
