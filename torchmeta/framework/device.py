"""Device strings: parse, merge and canonicalize ``/job:x/replica:0/task:0/device:GPU:0``."""

from __future__ import annotations

import re

__all__ = ["DeviceSpec", "canonical_name", "merge_device"]

_PART_RE = re.compile(r"^(job|replica|task|device|cpu|gpu|CPU|GPU)(?::(.*))?$")


def _index(value, part: str, spec: str) -> int:
    """A replica, task or device number: a non-negative decimal integer, else a ValueError naming the spec."""
    if value is None or not value.isdigit() or not value.isascii():
        raise ValueError(f"Invalid device specification '{spec}': '{part}' needs a non-negative integer")
    return int(value)


class DeviceSpec:
    """A (possibly partial) device specification, like ``tf.DeviceSpec``."""

    __slots__ = ("job", "replica", "task", "device_type", "device_index")

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = replica
        self.task = task
        self.device_type = device_type.upper() if device_type else None
        self.device_index = device_index

    @classmethod
    def from_string(cls, spec: str) -> DeviceSpec:
        out = cls()
        if not spec:
            return out
        for part in spec.split("/"):
            if not part:
                continue
            m = _PART_RE.match(part)
            if m is None:
                # TF accepts a bare "GPU:0" style too.
                bits = part.split(":")
                if len(bits) == 2 and bits[0].isalpha():
                    out.device_type = bits[0].upper()
                    out.device_index = None if bits[1] == "*" else _index(bits[1], part, spec)
                    continue
                raise ValueError(f"Unknown attribute: '{part}' in '{spec}'")
            key, value = m.group(1), m.group(2)
            if key == "job":
                out.job = value
            elif key == "replica":
                out.replica = _index(value, part, spec)
            elif key == "task":
                out.task = _index(value, part, spec)
            elif key == "device":
                bits = (value or "").split(":")
                out.device_type = bits[0].upper() if bits[0] and bits[0] != "*" else None
                if len(bits) > 2:
                    raise ValueError(f"Invalid device specification '{spec}': '{part}' has more than one index")
                if len(bits) > 1 and bits[1] != "*":
                    out.device_index = _index(bits[1], part, spec)
            else:  # legacy "/cpu:0", "/gpu:1"
                out.device_type = key.upper()
                if value is not None and value != "*":
                    out.device_index = _index(value, part, spec)
        return out

    def merge_from(self, other: DeviceSpec) -> DeviceSpec:
        """Fields set in ``other`` override ours, as nested ``tf.device`` scopes do."""
        return DeviceSpec(
            other.job if other.job is not None else self.job,
            other.replica if other.replica is not None else self.replica,
            other.task if other.task is not None else self.task,
            other.device_type if other.device_type is not None else self.device_type,
            other.device_index
            if other.device_index is not None
            else (self.device_index if other.device_type is None else None),
        )

    def to_string(self) -> str:
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            out += f"/device:{self.device_type}:{index}"
        return out

    def __repr__(self):
        return f"DeviceSpec({self.to_string()!r})"


def canonical_name(spec) -> str:
    if spec is None:
        return ""
    if isinstance(spec, DeviceSpec):
        return spec.to_string()
    return DeviceSpec.from_string(spec).to_string()


def merge_device(outer: str, inner: str) -> str:
    """The device string of ``inner`` nested inside ``outer``."""
    if not outer:
        return canonical_name(inner)
    return DeviceSpec.from_string(outer).merge_from(DeviceSpec.from_string(inner)).to_string()
