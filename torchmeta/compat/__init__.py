"""``tf.compat``: ``tf.compat.v1`` is torchmeta's own TF1 surface; TF's string, number and shape helpers."""

from torchmeta.compat import v1  # noqa: F401
from torchmeta.framework.tensor_shape import dimension_at_index, dimension_value  # noqa: F401
from torchmeta.platform.compat import (  # noqa: F401
    as_bytes,
    as_str,
    as_str_any,
    as_text,
    bytes_or_text_types,
    complex_types,
    forward_compatibility_horizon,
    forward_compatible,
    integral_types,
    path_to_str,
    real_types,
)

v2 = None  # TF2 eager APIs are out of scope for torchmeta
