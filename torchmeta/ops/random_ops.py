"""Random ops: truncated normal, uniform, standard normal, ..., seeded per op from seed and seed2."""

from __future__ import annotations
