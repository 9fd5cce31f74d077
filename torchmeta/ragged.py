"""``tf.ragged`` (TF1): RaggedTensor factories and functions."""

from torchmeta.api.ragged_ops import constant, map_flat_values, range  # noqa: F401
from torchmeta.api.ragged_tensor import RaggedTensor, is_ragged  # noqa: F401
from torchmeta.framework.ragged_tensor_value import RaggedTensorValue  # noqa: F401
