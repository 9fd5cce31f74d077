"""The two other string hashes of TensorFlow's hash-bucket ops, bit for bit in Python: SipHash-2-4 with a 128-bit
key (``strings::StrongKeyedHash``, highwayhash's SipHash, for StringToHashBucketStrong) and TensorFlow's own
MurmurHash2-style ``Hash64`` with its default seed (``core/lib/hash/hash.cc``, for the deprecated
StringToHashBucket). farmhash's Fingerprint64 (StringToHashBucketFast) is in farmhash.py."""

from __future__ import annotations

__all__ = ["siphash24", "tf_hash64"]

_MASK = (1 << 64) - 1
_TF_HASH_SEED = 0xDECAFCAFFE


def _rotl(v: int, b: int) -> int:
    return ((v << b) | (v >> (64 - b))) & _MASK


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(key0: int, key1: int, data: bytes) -> int:
    """SipHash-2-4 of ``data`` under the key (``key0``, ``key1``), two little-endian 64-bit words."""
    k0, k1 = key0 & _MASK, key1 & _MASK
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    n = len(data)
    end = n - n % 8
    for i in range(0, end, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    m = ((n & 0xFF) << 56) | int.from_bytes(data[end:], "little")
    v3 ^= m
    v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
    v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def tf_hash64(data: bytes, seed: int = _TF_HASH_SEED) -> int:
    """TensorFlow's ``Hash64(data, n, seed)`` (MurmurHash64A); ``Hash64(string)`` uses seed 0xDECAFCAFFE."""
    m = 0xC6A4A7935BD1E995
    r = 47
    n = len(data)
    h = (seed ^ (n * m)) & _MASK
    end = n - n % 8
    for i in range(0, end, 8):
        k = int.from_bytes(data[i : i + 8], "little")
        k = (k * m) & _MASK
        k ^= k >> r
        k = (k * m) & _MASK
        h ^= k
        h = (h * m) & _MASK
    if n % 8:
        h ^= int.from_bytes(data[end:], "little")
        h = (h * m) & _MASK
    h ^= h >> r
    h = (h * m) & _MASK
    h ^= h >> r
    return h
