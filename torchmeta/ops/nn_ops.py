"""Neural-network ops: activations, softmax, bias, losses, convolutions and pooling."""

from __future__ import annotations
