"""``tf.math``: element-wise math, reductions and segment functions."""

from torchmeta import math_special as special  # noqa: F401
from torchmeta.api.array_ops import invert_permutation  # noqa: F401
from torchmeta.api.bincount_ops import bincount_v1 as bincount  # noqa: F401
from torchmeta.api.check_ops import is_non_decreasing, is_strictly_increasing  # noqa: F401
from torchmeta.api.confusion_matrix import confusion_matrix  # noqa: F401
from torchmeta.api.math_composite_ops import (  # noqa: F401
    lbeta,
    polyval,
    unsorted_segment_mean,
    unsorted_segment_sqrt_n,
)
from torchmeta.api.math_ops import *  # noqa: F403
from torchmeta.api.math_ops import (  # noqa: F401
    divide_no_nan,
    erfcinv,
    erfinv,
    multiply_no_nan,
    ndtri,
    nextafter,
    reciprocal_no_nan,
)
from torchmeta.api.nn_impl import zero_fraction  # noqa: F401
from torchmeta.api.nn_ops import in_top_k, l2_normalize, log_softmax, softmax, softplus, softsign, top_k  # noqa: F401
from torchmeta.api.special_math_ops import (  # noqa: F401
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    betainc,
    igamma,
    igammac,
    polygamma,
    zeta,
)
