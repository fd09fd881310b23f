"""Small helpers shared by the model-backed stages."""

from __future__ import annotations

SEED_MODULUS = 2**31 - 1  # servers take 32-bit (some signed) seeds


def check_attempts(max_attempts: int) -> int:
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ValueError(f"max_attempts must be a positive integer (generations per answer), got {max_attempts!r}.")
    return max_attempts


def request_seed(*parts: int) -> int:
    """A request seed from the stage seed, the call's seed and the attempt (deterministic, 31 bits)."""
    return sum(int(p) * (1_000_003**i) for i, p in enumerate(parts)) % SEED_MODULUS
