"""Per-session state: variable slots, and the small kernels that read them."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import torch

from torchmeta import errors
from torchmeta.framework.common_shapes import format_dims
from torchmeta.ops.common import take_owned

__all__ = ["VariableSlot", "read_ref", "to_device", "assigns_aside"]

_ASIDE = threading.local()


@contextlib.contextmanager
def assigns_aside():
    """Within this block (in this thread), Assign stores its value in new memory instead of writing into the
    variable's: every value a variable had before stays intact, so a failed restore can put them back."""
    saved = getattr(_ASIDE, "on", False)
    _ASIDE.on = True
    try:
        yield
    finally:
        _ASIDE.on = saved


class VariableSlot:
    """The storage of one variable in one Session: a torch tensor, or None until initialized.

    Ref variables (VariableV2) and resource variables (VarHandleOp) both use a slot; graph values of
    ref or resource dtype are these slots, so Assign-like kernels can update them in place.
    """

    __slots__ = ("name", "value", "device", "is_resource", "dtype", "shape", "lock", "__weakref__")

    def __init__(self, name: str, device: torch.device, is_resource: bool = False, dtype=None, shape=None):
        self.name = name
        self.value = None
        self.device = device
        self.is_resource = is_resource
        self.dtype = dtype
        # The declared shape of a ref variable (a tuple of ints) when fully known: TensorFlow allocates a
        # VariableV2 with it, so an Assign with validate_shape checks it even before the first assignment.
        self.shape = shape
        # Held by read-modify-write kernels (AssignAdd, ...) and by updates whose use_locking is true, so
        # that concurrent Session.run calls lose no update. Reentrant: an update may also assign.
        self.lock = threading.RLock()

    def read(self):
        value = self.value
        if value is None:
            raise self.uninitialized_error()
        return value

    def read_for_update(self):
        """The value a training op (Apply*/ResourceApply*) updates. An uninitialized resource variable fails as
        TF's training kernels fail while locking their inputs: InternalError "Invalid variable reference."."""
        value = self.value
        if value is None:
            if self.is_resource:
                raise errors.InternalError(None, None, "Invalid variable reference.")
            raise self.uninitialized_error()
        return value

    def uninitialized_error(self) -> errors.FailedPreconditionError:
        if self.is_resource:
            return errors.FailedPreconditionError(
                None,
                None,
                f"Could not find variable {self.name}. This could mean that the variable has been deleted. "
                "In TF1, it can also mean the variable is uninitialized.",
            )
        return errors.FailedPreconditionError(None, None, f"Attempting to use uninitialized value {self.name}")

    def assign(self, value, validate_shape: bool = True):
        """Stores ``value``: in place when shapes and dtypes agree, else as a new owned tensor."""
        current = self.value
        if validate_shape and current is None and self.shape is not None and tuple(value.shape) != self.shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                "Assign requires shapes of both tensors to match. "
                f"lhs shape= {format_dims(self.shape)} rhs shape= {format_dims(value.shape)}",
            )
        if isinstance(value, np.ndarray):  # string variables
            self.value = value.copy()
            return
        if (current is None or current.shape == value.shape or not validate_shape) and take_owned(
            value, self.device, None if current is None else current.dtype
        ):
            self.value = value
            return
        if (
            current is not None
            and current.shape == value.shape
            and current.dtype == value.dtype
            and not getattr(_ASIDE, "on", False)
        ):
            current.copy_(value)
            return
        if validate_shape and current is not None and current.shape != value.shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                "Assign requires shapes of both tensors to match. "
                f"lhs shape= {format_dims(current.shape)} rhs shape= {format_dims(value.shape)}",
            )
        self.value = value.to(self.device, copy=True).contiguous()

    def replace(self, value):
        """Stores ``value`` as a new tensor (copy-on-write semantics of resource variables)."""
        if isinstance(value, np.ndarray):
            self.value = value.copy()
        elif take_owned(value, self.device, None):
            self.value = value
        else:
            self.value = value.to(self.device, copy=True).contiguous()

    def __repr__(self):
        state = "uninitialized" if self.value is None else f"shape={list(self.value.shape)}"
        return f"<VariableSlot {self.name!r} {state}>"


def read_ref(ref):
    """The current value of a ref-typed input (a VariableSlot), as a plain tensor; a value that is already
    a tensor (a fed ref-typed tensor) is returned as it is."""
    if type(ref) is not VariableSlot:
        return ref
    value = ref.value
    if value is None:
        raise ref.uninitialized_error()
    return value


def to_device(value, device):
    """Moves a tensor between devices where producer and consumer are placed apart."""
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=False)
    return value
