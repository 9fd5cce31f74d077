"""State ops: ref variables (VariableV2, Assign...) and resource variables (VarHandleOp, ReadVariableOp...)."""

from __future__ import annotations
