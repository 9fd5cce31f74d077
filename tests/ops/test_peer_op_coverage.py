"""Issue 17's coverage bar: every TensorFlow op a peer converter accepts (the union of tf2onnx, tf2jax, tfjs and
tract's op lists, tests/data/peer_ops_union.txt, TFLite ``TFL_*`` and XLA ``Xla*`` names aside) is registered,
or is listed with its reason in torchmeta/ops/unregistered.py (rendered into OPS.md)."""

from __future__ import annotations

from pathlib import Path

from torchmeta.framework import registry
from torchmeta.ops.unregistered import UNREGISTERED

UNION = Path(__file__).resolve().parents[1] / "data" / "peer_ops_union.txt"


def _peer_ops() -> list[str]:
    names = [line.strip() for line in UNION.read_text(encoding="utf-8").splitlines()]
    return [n for n in names if n and not n.startswith(("#", "TFL_", "Xla"))]


def test_every_peer_op_is_registered_or_has_a_reason():
    registered = set(registry.registered_ops())
    missing = sorted(n for n in _peer_ops() if n not in registered and n not in UNREGISTERED)
    assert missing == [], f"peer ops neither registered nor listed in torchmeta/ops/unregistered.py: {missing}"


def test_reasons_are_current():
    registered = set(registry.registered_ops())
    assert sorted(set(UNREGISTERED) & registered) == [], "registered now: drop them from UNREGISTERED"
    assert sorted(set(UNREGISTERED) - set(_peer_ops())) == [], "listed but not a peer op"
    assert all(len(reason) > 30 for reason in UNREGISTERED.values())


def test_names_said_not_to_be_tensorflow_ops_are_not(tf1):
    from tensorflow.python.framework import op_def_registry

    for name, reason in UNREGISTERED.items():
        assert (op_def_registry.get(name) is None) == reason.startswith(
            ("not a TensorFlow op", "a TensorFlow Text", "a TensorFlow Decision")
        ), name


def test_the_union_list_is_the_peers_one():
    """The copy in tests/data holds the 418 names of the shared reference list (peers.md)."""
    names = [n for n in UNION.read_text(encoding="utf-8").splitlines() if n.strip()]
    assert len(names) == 418 and len(set(names)) == 418
