"""Op families: importing this package registers every op torchmeta knows."""

from torchmeta.ops import array_ops, math_ops  # noqa: F401 - registration side effects
