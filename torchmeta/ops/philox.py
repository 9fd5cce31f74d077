"""TensorFlow's Philox4x32-10 counter-based generator, bit for bit (tensorflow/core/lib/random/philox_random.h).

The engine every random op draws from; its Python API is small on purpose (tf.data's shuffles reuse it):

``Philox(key, counter)``
    an immutable generator position: a 64-bit ``key`` and a 128-bit ``counter`` (Python ints).
    ``Philox.from_seeds(seed, seed2)`` is TF's ``PhiloxRandom(seed, seed2)`` (key = seed, counter's high
    64 bits = seed2); ``skip(n)`` advances by ``n`` 128-bit blocks (TF's ``Skip``).
``Philox.blocks(n, device)``
    the next ``n`` blocks: an ``(n, 4)`` int32 tensor of the four uint32 words of each block (bit patterns;
    ``as_uint32`` widens them to int64 values in [0, 2**32)). Block ``i`` is the Philox function of
    ``counter + i``; TF's ``operator()`` returns exactly these, in this order.
``Philox.uint32(n, device, start=0)``
    the single-sample stream (TF's ``SingleSampleAdapter`` over this generator): 32-bit words
    ``start .. start + n`` in order, i.e. the blocks flattened.
``single_samples(generator)``
    the same stream one word at a time (Python ints in [0, 2**32), computed in growing chunks): what TF's
    ``SingleSampleAdapter<PhiloxRandom>::operator()`` returns call after call (tf.data's shuffles, the
    RandomShuffleQueue).
``GuardedPhilox(seed, seed2)``
    TF's ``GuardedPhiloxRandom``: a per-op, thread-safe generator. ``reserve_samples128(n)`` returns the
    current position and skips ``n`` blocks past it; ``reserve_random_outputs(count, multiplier)`` reserves
    ``count * multiplier`` blocks (TF's kernels reserve 256 per output). Seeds (0, 0) draw random seeds.

The numbers depend only on (key, counter), never on the device or on threads. On CPU a small C kernel
(torchmeta.ops.philox_native, compiled on first use) computes the blocks; without a C compiler the rounds
run as numpy uint64 ufuncs over cache-sized chunks (torch has no unsigned 64-bit shift, and numpy's per-call
overhead is a third of torch's on small chunks). On other devices they run as torch int64 operations,
whose wrapping products keep the low 64 bits exact.
"""

from __future__ import annotations

import secrets
import threading

import numpy as np
import torch

from torchmeta.ops import philox_native

__all__ = ["Philox", "GuardedPhilox", "as_uint32", "single_samples", "MASK32"]

MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1

# Philox4x32-10 constants (Salmon et al., as in TF).
_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_ROUNDS = 10

# Blocks per numpy pass: the working set (a few (2, chunk) uint64 arrays) stays in L2.
_CHUNK = 16384


def _round_keys(key: int) -> list[tuple[int, int]]:
    k0, k1 = key & MASK32, (key >> 32) & MASK32
    keys = []
    for _ in range(_ROUNDS):
        keys.append((k0, k1))
        k0, k1 = (k0 + _W0) & MASK32, (k1 + _W1) & MASK32
    return keys


def as_uint32(words: torch.Tensor) -> torch.Tensor:
    """int32 bit patterns -> their unsigned values as int64."""
    return words.to(torch.int64) & MASK32


class Philox:
    """A position in a Philox4x32-10 stream: ``key`` (64 bits) and ``counter`` (128 bits)."""

    __slots__ = ("key", "counter")

    def __init__(self, key: int, counter: int = 0):
        self.key = key & _MASK64
        self.counter = counter & _MASK128

    @classmethod
    def from_seeds(cls, seed: int, seed2: int) -> Philox:
        """TF's ``PhiloxRandom(seed, seed2)``: key = seed, counter = seed2 << 64."""
        return cls(seed & _MASK64, (seed2 & _MASK64) << 64)

    @classmethod
    def from_words(cls, counter_words, key_words) -> Philox:
        """From TF's arrays: four uint32 counter words and two uint32 key words (low first)."""
        counter = sum((int(w) & MASK32) << (32 * i) for i, w in enumerate(counter_words))
        key = sum((int(w) & MASK32) << (32 * i) for i, w in enumerate(key_words))
        return cls(key, counter)

    def skip(self, blocks: int) -> Philox:
        """TF's ``Skip``: this position advanced by ``blocks`` 128-bit blocks (wrapping at 2**128)."""
        return Philox(self.key, self.counter + blocks)

    def __eq__(self, other):
        return isinstance(other, Philox) and (self.key, self.counter) == (other.key, other.counter)

    def __hash__(self):
        return hash((self.key, self.counter))

    def __repr__(self):
        return f"Philox(key={self.key:#x}, counter={self.counter:#x})"

    def blocks(self, n: int, device=None) -> torch.Tensor:
        """The next ``n`` blocks as an ``(n, 4)`` int32 tensor of uint32 bit patterns."""
        device = torch.device("cpu") if device is None else torch.device(device)
        if n <= 0:
            return torch.empty((0, 4), dtype=torch.int32, device=device)
        if device.type == "cpu":
            if philox_native.available():
                return torch.from_numpy(philox_native.blocks(self.key, self.counter, n, None).view(np.int32))
            return torch.from_numpy(_blocks_numpy(self.key, self.counter, n, None).view(np.int32))
        return _blocks_torch(self.key, self.counter, torch.arange(n, dtype=torch.int64, device=device))

    def blocks_at(self, offsets: torch.Tensor, device=None) -> torch.Tensor:
        """The blocks ``offsets`` (int64, each in [0, 2**63)) past this position: ``(len, 4)`` int32."""
        device = offsets.device if device is None else torch.device(device)
        offsets = offsets.reshape(-1)
        if offsets.numel() == 0:
            return torch.empty((0, 4), dtype=torch.int32, device=device)
        if device.type == "cpu":
            index = offsets.cpu().numpy().astype(np.uint64)
            if philox_native.available():
                return torch.from_numpy(philox_native.blocks(self.key, self.counter, index.size, index).view(np.int32))
            return torch.from_numpy(_blocks_numpy(self.key, self.counter, index.size, index).view(np.int32))
        return _blocks_torch(self.key, self.counter, offsets.to(device=device, dtype=torch.int64))

    def uint32(self, n: int, device=None, start: int = 0) -> torch.Tensor:
        """32-bit words ``start .. start + n`` of the stream (int32 bit patterns), in TF's order."""
        first = start // 4
        count = (start + n + 3) // 4 - first
        words = self.skip(first).blocks(count, device).reshape(-1)
        offset = start - 4 * first
        return words[offset : offset + n]


def single_samples(generator: Philox):
    """TF's ``SingleSampleAdapter`` over ``generator``: an endless iterator of its 32-bit words (Python ints),
    in order. A short use pays for a few blocks; a long one makes one call per 4,096 words."""
    blocks = 16
    while True:
        yield from as_uint32(generator.blocks(blocks)).reshape(-1).tolist()
        generator = generator.skip(blocks)
        blocks = min(blocks * 2, 1024)


def _blocks_numpy(key: int, counter: int, n: int, offsets) -> np.ndarray:
    """(n, 4) uint32 Philox outputs for counters ``counter + offsets`` (``offsets``: uint64 array, or
    None for 0 .. n - 1), with 128-bit carries."""
    out = np.empty((n, 4), np.uint32)
    lo, hi = counter & _MASK64, counter >> 64
    u64 = np.uint64
    mask, shift = u64(MASK32), u64(32)
    mults = np.array([[_M0], [_M1]], np.uint64)
    keys = [np.array([[k0], [k1]], np.uint64) for k0, k1 in _round_keys(key)]
    chunk = min(n, _CHUNK)
    # Lanes are stacked: x = (c0, c2) are multiplied, y = (c1, c3) are xored in. Each round:
    # p = x * (M0, M1); x' = swap(hi(p)) ^ y ^ key; y' = swap(lo(p)).
    x_buf, y_buf = np.empty((2, chunk), np.uint64), np.empty((2, chunk), np.uint64)
    p_buf, h_buf = np.empty((2, chunk), np.uint64), np.empty((2, chunk), np.uint64)
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        x, y, p, h = x_buf[:, :m], y_buf[:, :m], p_buf[:, :m], h_buf[:, :m]
        if offsets is None:
            index = np.arange(first, first + m, dtype=np.uint64)
            wraps = lo + first + m > _MASK64 + 1
        else:
            index = offsets[first : first + m].copy()
            wraps = lo + int(index.max()) > _MASK64
        index += u64(lo)  # wraps modulo 2**64; the carry goes to the high half below
        np.bitwise_and(index, mask, out=x[0])
        np.right_shift(index, shift, out=y[0])
        if wraps:
            carry = (index < u64(lo)).astype(np.uint64)
            high = carry + u64(hi)  # modulo 2**64, as TF's 128-bit counter
            np.bitwise_and(high, mask, out=x[1])
            np.right_shift(high, shift, out=y[1])
        else:
            x[1] = hi & MASK32
            y[1] = hi >> 32
        for k in keys:
            np.multiply(x, mults, out=p)
            np.right_shift(p, shift, out=h)
            np.bitwise_xor(h[::-1], y, out=x)
            x ^= k
            np.bitwise_and(p[::-1], mask, out=y)
        rows = out[first : first + m]
        rows[:, 0] = x[0]
        rows[:, 1] = y[0]
        rows[:, 2] = x[1]
        rows[:, 3] = y[1]
    return out


def _blocks_torch(key: int, counter: int, offsets: torch.Tensor) -> torch.Tensor:
    """As _blocks_numpy, in torch int64 arithmetic on ``offsets``' device (products wrap mod 2**64)."""
    lo, hi = counter & _MASK64, counter >> 64
    # counter + offset in 32-bit limbs (offsets < 2**63), carrying into the high 64 bits.
    low = (offsets & MASK32) + (lo & MASK32)
    mid = (offsets >> 32) + (lo >> 32) + (low >> 32)
    top = (hi & MASK32) + (mid >> 32)
    c0 = low & MASK32
    c1 = mid & MASK32
    c2 = top & MASK32
    c3 = ((hi >> 32) + (top >> 32)) & MASK32
    for k0, k1 in _round_keys(key):
        p0 = c0 * _M0
        p1 = c2 * _M1
        c0, c1, c2, c3 = (
            ((p1 >> 32) & MASK32) ^ c1 ^ k0,
            p1 & MASK32,
            ((p0 >> 32) & MASK32) ^ c3 ^ k1,
            p0 & MASK32,
        )
    return torch.stack([c0, c1, c2, c3], 1).to(torch.int32)


class GuardedPhilox:
    """TF's GuardedPhiloxRandom: one op's generator, reserving disjoint ranges of its stream per call.

    Seeds (0, 0) mean "random" (TF's ``random::New64()`` for both).
    """

    def __init__(self, seed: int = 0, seed2: int = 0):
        if seed == 0 and seed2 == 0:
            seed, seed2 = secrets.randbits(64), secrets.randbits(64)
        self._lock = threading.Lock()
        self._generator = Philox.from_seeds(seed, seed2)

    @classmethod
    def from_philox(cls, generator: Philox) -> GuardedPhilox:
        guarded = cls.__new__(cls)
        guarded._lock = threading.Lock()
        guarded._generator = generator
        return guarded

    @property
    def position(self) -> Philox:
        return self._generator

    def reserve_samples128(self, samples: int) -> Philox:
        """The current position; the stream moves ``samples`` blocks past it."""
        with self._lock:
            local = self._generator
            self._generator = local.skip(samples)
        return local

    def reserve_samples32(self, samples: int) -> Philox:
        return self.reserve_samples128((samples + 3) // 4)

    def reserve_random_outputs(self, output_count: int, multiplier: int) -> Philox:
        return self.reserve_samples128(output_count * multiplier)
