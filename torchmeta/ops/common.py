"""Helpers shared by the op families (one definition each; the families import them from here)."""

from __future__ import annotations

__all__ = ["mark_owned", "take_owned"]

# Tensors a kernel allocated for the sole purpose of being stored (RestoreV2's outputs) carry this
# attribute; an Assign may then keep them instead of copying, so a restore needs no second copy.
_OWNED = "_torchmeta_owned"


def mark_owned(tensor):
    """Marks a freshly allocated tensor that nothing else references as adoptable by an Assign."""
    setattr(tensor, _OWNED, True)
    return tensor


def take_owned(value, device, dtype) -> bool:
    """Whether a variable may keep ``value`` itself (marked owned, on ``device``, contiguous, of ``dtype``).

    The mark is consumed: a tensor is adopted at most once.
    """
    if getattr(value, _OWNED, False) and value.device == device and value.is_contiguous():
        delattr(value, _OWNED)
        return dtype is None or value.dtype == dtype
    return False
