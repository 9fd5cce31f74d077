"""``tf.test``: ``TestCase`` and the helpers TF1 test files use (see :mod:`torchmeta.runtime.test_util`)."""

from torchmeta.api.gradient_checker import compute_gradient, compute_gradient_error  # noqa: F401
from torchmeta.runtime.test_util import (  # noqa: F401
    TestCase,
    get_temp_dir,
    gpu_device_name,
    is_built_with_cuda,
    is_built_with_gpu_support,
    is_built_with_rocm,
    is_built_with_xla,
    is_gpu_available,
    main,
)
