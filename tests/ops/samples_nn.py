"""Samples for nn ops."""

from __future__ import annotations

from tests.ops.harness import Sample

SAMPLES: list[Sample] = []
