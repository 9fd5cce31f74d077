"""``tf.linalg`` (TF1): the matrix functions under their ``tf.linalg.*`` names."""

from torchmeta.api.clip_ops import global_norm  # noqa: F401
from torchmeta.api.linalg_impl import cross, matrix_rank, matvec, normalize, pinv  # noqa: F401
from torchmeta.api.linalg_ops import (  # noqa: F401
    adjoint,
    cholesky,
    cholesky_solve,
    eig,
    eigvals,
    eye,
    logdet,
    matrix_transpose,
    norm,
    qr,
    slogdet,
    svd,
    trace,
)
from torchmeta.api.linalg_ops import diag as tensor_diag  # noqa: F401
from torchmeta.api.linalg_ops import diag_part as tensor_diag_part  # noqa: F401
from torchmeta.api.linalg_ops import matrix_band_part as band_part  # noqa: F401
from torchmeta.api.linalg_ops import matrix_determinant as det  # noqa: F401
from torchmeta.api.linalg_ops import matrix_diag as diag  # noqa: F401
from torchmeta.api.linalg_ops import matrix_diag_part as diag_part  # noqa: F401
from torchmeta.api.linalg_ops import matrix_inverse as inv  # noqa: F401
from torchmeta.api.linalg_ops import matrix_set_diag as set_diag  # noqa: F401
from torchmeta.api.linalg_ops import matrix_solve as solve  # noqa: F401
from torchmeta.api.linalg_ops import matrix_solve_ls as lstsq  # noqa: F401
from torchmeta.api.linalg_ops import matrix_transpose as transpose  # noqa: F401
from torchmeta.api.linalg_ops import matrix_triangular_solve as triangular_solve  # noqa: F401
from torchmeta.api.linalg_ops import self_adjoint_eig as eigh  # noqa: F401
from torchmeta.api.linalg_ops import self_adjoint_eigvals as eigvalsh  # noqa: F401
from torchmeta.api.math_ops import matmul, tensordot  # noqa: F401
from torchmeta.api.matrix_exponential import expm  # noqa: F401
from torchmeta.api.nn_ops import l2_normalize  # noqa: F401
from torchmeta.api.special_math_ops import einsum  # noqa: F401
