"""Samples for state ops."""

from __future__ import annotations

from tests.ops.harness import Sample

SAMPLES: list[Sample] = []
