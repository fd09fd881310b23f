"""Small helpers shared by the model-backed stages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trl_styling.pipeline.backends.chat import ChatModel, ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm.responses import ResponseFormatError

T = TypeVar("T")

SEED_MODULUS = 2**31 - 1  # servers take 32-bit (some signed) seeds


def check_attempts(max_attempts: int) -> int:
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ValueError(f"max_attempts must be a positive integer (generations per answer), got {max_attempts!r}.")
    return max_attempts


def request_seed(*parts: int) -> int:
    """A request seed from the stage seed, the call's seed and the attempt (deterministic, 31 bits)."""
    return sum(int(p) * (1_000_003**i) for i, p in enumerate(parts)) % SEED_MODULUS


def complete_until_valid(
    chat: ChatModel,
    pending: list[int],
    request: Callable[[int, int], ChatRequest],
    read: Callable[[int, str], T],
    max_attempts: int,
) -> tuple[dict[int, T], dict[int, list[str]]]:
    """Asks for every item of ``pending`` until ``read`` accepts its first answer, at most ``max_attempts`` times.

    Each attempt sends the still-pending items in one ``complete_many`` batch.

    Args:
        chat: The transport.
        pending: Indices of the items to ask for.
        request: ``(index, attempt) -> ChatRequest`` (a new seed per attempt gives a new answer).
        read: ``(index, text) -> value``; raises `ResponseFormatError` for an unusable answer.
        max_attempts: Generations per item.

    Returns:
        The accepted values by index, and the errors of each attempt for the items never accepted.

    Raises:
        ChatModelUnavailableError: The service is down; nothing is recorded for the input.
    """
    values: dict[int, T] = {}
    errors: dict[int, list[str]] = {i: [] for i in pending}
    for attempt in range(max_attempts):
        if not pending:
            break
        still = []
        for i, answer in zip(pending, chat.complete_many([request(i, attempt) for i in pending])):
            if isinstance(answer, ChatModelUnavailableError):
                raise answer
            try:
                if isinstance(answer, ChatModelError):
                    raise answer
                values[i] = read(i, answer[0])
            except (ChatModelError, ResponseFormatError) as error:
                errors[i].append(f"attempt {attempt + 1}: {error}")
                still.append(i)
        pending = still
    return values, {i: errors[i] for i in pending}
