"""Shared test setup: quiet TensorFlow, TF1 semantics, the ``tf1`` fixture for the reference, and the
device the op sample tables run torchmeta on (``op_device``)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# The reference is TF's oneDNN CPU kernels, which torchmeta follows (error wording, NaN rules, fused ops such as
# _FusedConv2D/_MklSwish, NCHW convolutions on the CPU). TF 2.21 turns them on by default only on CPUs with
# AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX; elsewhere (an AVX2-only AMD EPYC, say) it runs its Eigen kernels,
# which lack those ops. TF_ENABLE_ONEDNN_OPTS=1 gives the same reference on every x86 CPU.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import pytest
import torch

import torchmeta as tm


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default=os.environ.get("TORCHMETA_TEST_DEVICE", "auto"),
        help="where the op sample tables run torchmeta (TensorFlow, the reference, runs on the CPU): cuda when "
        "a GPU is present (auto, the default; or the TORCHMETA_TEST_DEVICE environment variable)",
    )


@pytest.fixture(scope="session")
def op_device(request) -> str:
    """ "cpu" or "cuda": the device of the op sample tests; ``--device cuda`` without a GPU skips them."""
    choice = request.config.getoption("--device")
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        pytest.skip("--device cuda: no GPU here")
    return choice


@pytest.fixture
def torch_threads():
    """Sets torch's intra-op thread count for the test (``torch_threads(n)``) and restores it after."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def tf1():
    """``tensorflow.compat.v1`` with v2 behaviour disabled (skips when TensorFlow is absent)."""
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    v1.reset_default_graph()
    return v1


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Every test starts with an empty torchmeta default graph."""
    tm.reset_default_graph()
    yield
