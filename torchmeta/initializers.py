"""``tf.initializers`` (TF1): the initializer classes under their short names, and the variable initializers."""

from torchmeta.api import init_ops as _init_ops
from torchmeta.api.init_ops import he_normal, he_uniform, lecun_normal, lecun_uniform  # noqa: F401
from torchmeta.api.lookup_ops import tables_initializer  # noqa: F401
from torchmeta.api.variables import global_variables_initializer as global_variables  # noqa: F401
from torchmeta.api.variables import local_variables_initializer as local_variables  # noqa: F401
from torchmeta.api.variables import variables_initializer as variables  # noqa: F401

zeros = _init_ops.Zeros
ones = _init_ops.Ones
constant = _init_ops.Constant
random_uniform = _init_ops.RandomUniform
random_normal = _init_ops.RandomNormal
truncated_normal = _init_ops.TruncatedNormal
uniform_unit_scaling = _init_ops.UniformUnitScaling
variance_scaling = _init_ops.VarianceScaling
glorot_uniform = _init_ops.GlorotUniform
glorot_normal = _init_ops.GlorotNormal
orthogonal = _init_ops.Orthogonal
identity = _init_ops.Identity
