"""Per op: forward results equal TensorFlow's (shape, dtype, then values) on the sample table."""

import pytest

from tests.ops.harness import assert_same, run_tf, run_tm
from tests.ops.samples import SAMPLES


def _params():
    for s in SAMPLES:
        marks = [pytest.mark.xfail(reason=s.xfail, strict=True)] if s.xfail else []
        yield pytest.param(s, id=s.name, marks=marks)


@pytest.mark.parametrize("sample", list(_params()))
def test_forward_matches_tf(tf1, sample, op_device):
    expected = run_tf(tf1, sample)
    actual = run_tm(sample, op_device)
    assert_same(expected, actual, sample)
