"""The Philox4x32-10 engine: Random123's known answers, a scalar reference for counters that carry across
32/64/128 bits, the torch path (other devices) equal to the numpy path (CPU), and GuardedPhilox's
reservations as TF's GuardedPhiloxRandom makes them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.ops import native_helpers
from torchmeta.ops import philox
from torchmeta.ops.philox import GuardedPhilox, Philox, as_uint32

M32 = 0xFFFFFFFF


def _reference_block(key: int, counter: int) -> list[int]:
    """One Philox4x32-10 block, scalar, as written in TF's philox_random.h."""
    c = [(counter >> (32 * i)) & M32 for i in range(4)]
    k = [key & M32, key >> 32]
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & M32, (p0 >> 32) ^ c[3] ^ k[1], p0 & M32]
        k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
    return c


def _words(t: torch.Tensor) -> list[list[int]]:
    return as_uint32(t).tolist()


@pytest.mark.parametrize(
    "counter, key, expected",
    [
        ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
        ([M32] * 4, [M32] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
        (
            [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
            [0xA4093822, 0x299F31D0],
            [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
        ),
    ],
)
def test_known_answers(counter, key, expected):
    """Random123's kat_vectors for philox4x32_10."""
    gen = Philox.from_words(counter, key)
    assert _words(gen.blocks(1)) == [expected]
    assert _words(philox._blocks_torch(gen.key, gen.counter, torch.zeros(1, dtype=torch.int64))) == [expected]


COUNTERS = [
    0,
    5 << 64,
    (1 << 32) - 3,  # low word carries into the second
    (1 << 64) - 3,  # low 64 bits carry into seed2's half
    (1 << 128) - 2,  # wraps to 0
    (0xDEADBEEF << 96) | (7 << 64) | (1 << 40),
]


@pytest.mark.parametrize("counter", COUNTERS, ids=hex)
def test_blocks_follow_the_counter(counter):
    key = 0x0123456789ABCDEF
    gen = Philox(key, counter)
    expected = [_reference_block(key, (counter + i) % (1 << 128)) for i in range(9)]
    assert _words(gen.blocks(9)) == expected
    assert _words(philox._blocks_torch(key, counter, torch.arange(9))) == expected
    offsets = torch.tensor([8, 0, 3, 3])
    assert _words(gen.blocks_at(offsets)) == [expected[i] for i in (8, 0, 3, 3)]
    assert _words(gen.skip(4).blocks(2)) == expected[4:6]


def test_many_blocks_cross_numpy_chunks():
    gen = Philox.from_seeds(87654321, 42)
    n = philox._CHUNK * 2 + 5
    blocks = gen.blocks(n)
    assert torch.equal(blocks, philox._blocks_torch(gen.key, gen.counter, torch.arange(n)))
    for i in (0, philox._CHUNK - 1, philox._CHUNK, n - 1):
        assert _words(blocks[i : i + 1]) == [_reference_block(gen.key, gen.counter + i)]


def test_single_sample_stream():
    gen = Philox.from_seeds(3, 4)
    flat = gen.blocks(5).reshape(-1)
    assert torch.equal(gen.uint32(20), flat)
    assert torch.equal(gen.uint32(7, start=6), flat[6:13])


def test_from_seeds_layout():
    """TF's PhiloxRandom(seed, seed2): the key is the 64-bit seed, seed2 the counter's high half."""
    gen = Philox.from_seeds(2**40 + 3, 2**33 + 9)
    assert gen.key == 2**40 + 3
    assert gen.counter == (2**33 + 9) << 64
    assert Philox.from_seeds(-1, -1) == Philox((1 << 64) - 1, ((1 << 64) - 1) << 64)


def test_guarded_reservations():
    guarded = GuardedPhilox(1, 2)
    start = guarded.position
    assert guarded.reserve_random_outputs(10, 256) == start
    assert guarded.reserve_samples32(5) == start.skip(2560)
    assert guarded.reserve_samples128(1) == start.skip(2562)
    assert guarded.position == start.skip(2563)


def test_unseeded_generators_differ():
    assert GuardedPhilox(0, 0).position != GuardedPhilox(0, 0).position
    assert GuardedPhilox(0, 1).position == GuardedPhilox(0, 1).position


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_blocks_equal_cpu():
    gen = Philox.from_seeds(11, (1 << 64) - 1).skip((1 << 64) - 7)
    assert torch.equal(gen.blocks(1000, "cuda").cpu(), gen.blocks(1000))
    offsets = torch.tensor([5, 0, 999, 3])
    assert torch.equal(gen.blocks_at(offsets.cuda()).cpu(), gen.blocks_at(offsets))


def test_uint32_values():
    words = torch.tensor([-1, 0, 2**31 - 1, -(2**31)], dtype=torch.int32)
    assert as_uint32(words).tolist() == [M32, 0, 2**31 - 1, 2**31]
    assert np.array_equal(as_uint32(words).numpy(), words.numpy().view(np.uint32))


@pytest.fixture
def without_native(monkeypatch):
    """The numpy/torch path, as without a C compiler (TORCHMETA_NATIVE=0)."""
    from torchmeta.ops import philox_native

    native_helpers.use_torch_path(philox_native, monkeypatch)


def test_native_kernel_can_be_turned_off(monkeypatch):
    """With TORCHMETA_NATIVE=0 nothing is compiled or loaded: the numpy rounds run."""
    from torchmeta.ops import philox_native

    monkeypatch.setenv("TORCHMETA_NATIVE", "0")
    monkeypatch.setattr(philox_native.library, "lib", None)
    monkeypatch.setattr(philox_native.library, "tried", False)
    assert not philox_native.available()


@pytest.mark.parametrize("counter", COUNTERS, ids=hex)
def test_native_blocks_equal_numpy_rounds(native, counter):
    philox_native = native
    key = 0xFEDCBA9876543210
    n = 70_000  # split over threads
    assert np.array_equal(philox_native.blocks(key, counter, n, None), philox._blocks_numpy(key, counter, n, None))
    offsets = np.array([3, 0, 2**40, 99, 2**62], np.uint64)
    assert np.array_equal(
        philox_native.blocks(key, counter, 5, offsets), philox._blocks_numpy(key, counter, 5, offsets)
    )


def test_blocks_without_native(without_native):
    gen = Philox.from_seeds(2, 3)
    assert _words(gen.blocks(3)) == [_reference_block(gen.key, gen.counter + i) for i in range(3)]
