"""``tf.debugging`` (``tf.compat.v1.debugging``): the asserts of check_ops, CheckNumerics and the numeric tests.

Not here (TF 2.21 has them under tf.compat.v1.debugging): ``assert_shapes``; ``enable_check_numerics`` /
``disable_check_numerics`` and ``experimental.enable_dump_debug_info`` (TF2 debugging callbacks);
``enable/disable_traceback_filtering``, ``is_traceback_filtering_enabled``, ``set/get_log_device_placement``.
"""

from torchmeta.api.array_ops import check_numerics  # noqa: F401
from torchmeta.api.check_ops import *  # noqa: F403
from torchmeta.api.check_ops import verify_tensor_all_finite as assert_all_finite  # noqa: F401
from torchmeta.api.control_flow_assert import Assert  # noqa: F401
from torchmeta.api.math_ops import is_finite, is_inf, is_nan  # noqa: F401
