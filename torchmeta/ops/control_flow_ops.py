"""Control-flow ops: NoOp and, later, TF1 control flow."""

from __future__ import annotations
