"""``tensorflow.python.framework.function`` for TF1 code: ``Defun`` and its helpers."""

from torchmeta.api.function import Defun, get_extra_args, get_extra_inputs, get_extra_vars

__all__ = ["Defun", "get_extra_args", "get_extra_inputs", "get_extra_vars"]
