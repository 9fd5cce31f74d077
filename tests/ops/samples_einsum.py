"""Samples for Einsum (torchmeta/ops/einsum_ops.py): contractions, transposes, traces and diagonals (repeated
input labels), repeated output labels (diagonal fills), ellipsis broadcasting, labels that are digits or
upper case, empty dims, dtypes; unknown shapes and errors are in test_einsum_ops.py."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample, randn

S = Sample


def e(equation, *shapes, dtype=np.float32, id=None, **kw):
    inputs = [
        randn(*s).astype(dtype) if dtype != np.int32 else np.arange(np.prod(s), dtype=dtype).reshape(s) - 3
        for s in shapes
    ]
    return S("Einsum", {"inputs": inputs}, {"equation": equation}, id=id or equation, **kw)


SAMPLES: list[Sample] = [
    e("ij,jk->ik", (2, 3), (3, 4), id="matmul"),
    e("ij,kj->ik", (2, 3), (4, 3), id="matmul-transposed"),
    e("bij,bjk->bik", (2, 2, 3), (2, 3, 4), id="batch-matmul"),
    e("abc,cd->abd", (2, 3, 4), (4, 5), id="contract"),
    e("abc,cd->da", (2, 3, 4), (4, 5), id="reduce-and-transpose"),
    e("i,i->", (5,), (5,), id="dot"),
    e("i,j->ij", (2,), (3,), id="outer"),
    e("ij->ji", (2, 3), id="transpose"),
    e("ij->", (2, 3), id="sum"),
    e("ijk->ki", (2, 3, 4), id="reduce-transpose"),
    e("ii->", (3, 3), id="trace"),
    e("ii->i", (3, 3), id="diag"),
    e("iij,jk->ik", (2, 2, 3), (3, 4), id="diag-contract"),
    e("ij,jj->ij", (2, 3), (3, 3), id="diag-second"),
    e("i->ii", (3,), id="diag-fill"),
    e("ij->iji", (2, 3), id="diag-fill-3d"),
    e("...ij,...jk->...ik", (5, 2, 3), (3, 4), id="ellipsis"),
    e("...ij,...jk->...ik", (5, 1, 2, 3), (7, 3, 4), id="ellipsis-broadcast"),
    e("ij...,jk...->ik...", (2, 3, 5), (3, 4, 1), id="ellipsis-last"),
    e("...ii->...i", (4, 3, 3), id="batch-diag"),
    e("...i->...", (2, 3, 4), id="ellipsis-sum"),
    e("i...->...", (2, 3, 4), id="ellipsis-sum-first"),
    e("...->...", (2, 3), id="ellipsis-identity"),
    e("a...b,b...->a...", (2, 3, 4), (4, 3), id="ellipsis-middle"),
    e("i1,1k->ik", (2, 3), (3, 4), id="digit-labels"),
    e("iJ,Jk->ik", (2, 3), (3, 4), id="upper-case"),
    e("ij,jk->ik", (0, 3), (3, 4), id="empty"),
    e("ij,jk->ik", (2, 0), (0, 4), id="empty-contraction"),
    e("ij,jk->ik", (3, 3), (3, 2), dtype=np.float64, id="f64"),
    e("ij,jk->ik", (3, 3), (3, 2), dtype=np.complex64, id="c64"),
    e("ij,jk->ik", (2, 3), (3, 2), dtype=np.float16, id="f16", rtol=1e-2, atol=1e-2),
    e("ij,jk->ik", (2, 3), (3, 2), dtype=np.int32, id="int32"),
]
