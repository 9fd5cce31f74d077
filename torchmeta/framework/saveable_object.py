"""What a Saver writes for objects that are not variables (TF's training/saving/saveable_object.py): a
``SaveableObject`` names one or more tensors (``SaveSpec``s) to write and says how to restore them, e.g. a
mutable lookup table saved as its exported ``<name>-keys`` / ``<name>-values``. Objects put them in the
``SAVEABLE_OBJECTS`` collection, which ``tf.train.Saver()`` saves with the global variables."""

from __future__ import annotations

__all__ = ["SaveSpec", "SaveableObject"]


class SaveSpec:
    """One tensor to save: ``tensor`` (or a callable making it, with ``dtype`` and ``device``) under ``name``."""

    def __init__(self, tensor, slice_spec, name, dtype=None, device=None):
        self._tensor = tensor
        self.slice_spec = slice_spec
        self.name = name
        if callable(tensor):
            if dtype is None or device is None:
                raise AssertionError(
                    "When passing a callable `tensor` to a SaveSpec, an explicit dtype and device must be provided."
                )
            self.dtype, self.device = dtype, device
        else:
            self.dtype = tensor.dtype
            self.device = device if device is not None else tensor.device

    @property
    def tensor(self):
        return self._tensor() if callable(self._tensor) else self._tensor


class SaveableObject:
    """The tensors (``specs``) that save ``op`` under ``name``; subclasses build the ops restoring it."""

    def __init__(self, op, specs, name):
        self.op = op
        self.specs = specs
        self.name = name

    @property
    def device(self):
        """The device of the tensors to save."""
        return self.specs[0].device

    def restore(self, restored_tensors, restored_shapes):
        """The op restoring this object from ``restored_tensors`` (one per spec, in order)."""
        raise ValueError("Calling an abstract method.")
