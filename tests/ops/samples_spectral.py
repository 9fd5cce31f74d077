"""Samples for the FFTs (torchmeta/ops/spectral_ops.py): 1-3D complex transforms and their inverses, real
transforms with cropping fft_length, odd and even lengths, batches, complex128/float64 and
unknown shapes. Errors and tf.signal are in test_spectral_ops.py."""

from __future__ import annotations

import numpy as np

from tests.ops.harness import Sample

S = Sample
i32 = np.int32
_rng = np.random.default_rng(29)
TOL = {"rtol": 1e-4, "atol": 1e-4}


def c(*shape, dtype=np.complex64):
    return (_rng.standard_normal(shape) + 1j * _rng.standard_normal(shape)).astype(dtype)


def r(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


SAMPLES: list[Sample] = []
for _op, _rank in (("FFT", 1), ("IFFT", 1), ("FFT2D", 2), ("IFFT2D", 2), ("FFT3D", 3), ("IFFT3D", 3)):
    SAMPLES += [
        S(_op, {"input": c(*([4] * _rank))}, **TOL),
        S(_op, {"input": c(2, *([3] * _rank))}, id="batch-odd", **TOL),
        S(_op, {"input": c(*([5] * _rank), dtype=np.complex128)}, id="c128"),
        S(_op, {"input": c(2, 1, *([2] * _rank))}, fed={"input": None}, id="unknown", **TOL),
    ]
for _op, _rank in (("RFFT", 1), ("RFFT2D", 2), ("RFFT3D", 3)):
    SAMPLES += [
        S(_op, {"input": r(*([4] * _rank)), "fft_length": np.array([4] * _rank, i32)}, **TOL),
        S(_op, {"input": r(2, *([5] * _rank)), "fft_length": np.array([5] * _rank, i32)}, id="batch-odd", **TOL),
        # TF's own gradient graph of a cropping RFFT does not build (its shapes disagree): no gradient sample.
        S(_op, {"input": r(*([6] * _rank)), "fft_length": np.array([3] * _rank, i32)}, id="crop", grad=False, **TOL),
        S(
            _op,
            {"input": r(*([4] * _rank), dtype=np.float64), "fft_length": np.array([4] * _rank, i32)},
            {"Tcomplex": "dtype:complex128"},
            id="f64",
        ),
        S(
            _op,
            {"input": r(2, *([4] * _rank)), "fft_length": np.array([4] * _rank, i32)},
            fed={"input": [None] * (_rank + 1)},
            id="unknown-dims",
            **TOL,
        ),
        S(
            _op,
            {"input": r(*([4] * _rank)), "fft_length": np.array([4] * _rank, i32)},
            fed={"fft_length": [_rank]},
            id="unknown-length",
            **TOL,
        ),
    ]
for _op, _rank in (("IRFFT", 1), ("IRFFT2D", 2), ("IRFFT3D", 3)):
    SAMPLES += [
        S(_op, {"input": c(*([4] * (_rank - 1)), 3), "fft_length": np.array([4] * _rank, i32)}, **TOL),
        S(
            _op,
            {"input": c(2, *([5] * (_rank - 1)), 3), "fft_length": np.array([5] * _rank, i32)},
            id="batch-odd",
            **TOL,
        ),
        S(
            _op,
            {"input": c(*([6] * (_rank - 1)), 4), "fft_length": np.array([3] * _rank, i32)},
            id="crop",
            grad=False,
            **TOL,
        ),
        S(
            _op,
            {"input": c(*([4] * (_rank - 1)), 3, dtype=np.complex128), "fft_length": np.array([4] * _rank, i32)},
            {"Treal": "dtype:float64"},
            id="c128",
        ),
        S(
            _op,
            {"input": c(*([4] * (_rank - 1)), 3), "fft_length": np.array([4] * _rank, i32)},
            fed={"fft_length": [_rank]},
            id="unknown-length",
            **TOL,
        ),
    ]
