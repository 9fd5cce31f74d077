"""Every registered op is run against TensorFlow by a sample table, or is on the exclusion list below
with the reason and the test module that covers it instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops import samples_state, samples_training
from tests.ops.samples import SAMPLES
from torchmeta.framework import registry

TESTS = Path(__file__).resolve().parents[1]

# op -> (why it is not in a sample table, the test module that runs it).
EXCLUDED = {
    "Const": (
        "every sample's inputs are Const nodes; importing and exporting them is tested",
        "framework/test_importer.py",
    ),
    "Placeholder": ("every sample's fed inputs are Placeholders; TF's shape and feed rules", "runtime/test_session.py"),
    "NoOp": ("no inputs or outputs to compare; tf.group and initializers build it", "framework/test_meta_graph.py"),
    "VariableV2": ("a ref variable: every Ref(T) variable sample builds one", "ops/test_training_ops.py"),
    "VarHandleOp": ("a resource variable: every resource variable sample builds one", "ops/test_training_ops.py"),
    "DestroyResourceOp": ("deletes the variable a variable sample reads back", "ops/test_state_ops.py"),
    "SaveV2": (
        "writes checkpoint files; they are compared with TensorFlow's in both directions",
        "train/test_io_ops.py",
    ),
    "RestoreV2": ("reads checkpoint files written by TensorFlow and by torchmeta", "train/test_io_ops.py"),
    "MergeV2Checkpoints": ("merges checkpoint files on disk", "train/test_io_ops.py"),
    "TopK": (
        "TF 2.21 refuses to build it (removed at GraphDef version 7); kept for old GraphDefs",
        "ops/test_nn_ops.py",
    ),
    "RandomPoisson": (
        "TF 2.21 refuses to build it (removed at GraphDef version 25); compared with RandomPoissonV2",
        "ops/test_random_ops.py",
    ),
    "RngReadAndSkip": (
        "reads and advances an RNG state resource variable, which a NodeDef sample cannot hold",
        "ops/test_random_ops.py",
    ),
    "PrintV2": (
        "writes to a stream and has no outputs; the printed text is compared with TF's",
        "api/test_logging_ops.py",
    ),
    "PyFunc": (
        "calls a Python function of this process, which a NodeDef sample cannot carry",
        "api/test_script_ops.py",
    ),
    "PyFuncStateless": ("calls a Python function of this process, like PyFunc", "api/test_script_ops.py"),
}


def _sampled() -> set[str]:
    samples = [*SAMPLES, *samples_training.VARIABLE_SAMPLES, *samples_state.VARIABLE_SAMPLES]
    return {s.op for s in samples}


def test_every_registered_op_is_sampled_or_excluded_with_a_reason():
    missing = sorted(set(registry.registered_ops()) - _sampled() - set(EXCLUDED))
    assert missing == [], f"ops with neither a sample nor an exclusion: {missing}"


def test_exclusions_are_current():
    assert sorted(set(EXCLUDED) - set(registry.registered_ops())) == [], "excluded ops that are not registered"
    assert sorted(set(EXCLUDED) & _sampled()) == [], "excluded ops that have samples now: drop them from EXCLUDED"


@pytest.mark.parametrize("op", sorted(EXCLUDED))
def test_exclusion_names_a_reason_and_an_existing_test(op):
    reason, module = EXCLUDED[op]
    assert len(reason) > 20
    assert (TESTS / module).is_file(), module
