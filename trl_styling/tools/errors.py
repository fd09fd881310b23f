"""The two error types of `trl_styling.tools`; both are ``ValueError`` so callers may catch either."""

from __future__ import annotations

from collections.abc import Sequence

_MAX_LISTED = 40  # enough for every vocabulary of App. C.1.1; longer lists are cut so messages stay readable


def _format_allowed(allowed: Sequence[object]) -> str:
    shown = ", ".join(str(a) for a in allowed[:_MAX_LISTED])
    return shown + (f", ... ({len(allowed)} in all)" if len(allowed) > _MAX_LISTED else "")


class ToolValidationError(ValueError):
    """A tool call does not fit its library.

    Attributes: ``tool`` (the called tool name), ``parameter`` (the offending parameter, a dotted path
    such as ``"sub_actions[1].arguments.target_time"`` inside nested actions, or ``None`` when the problem
    is not parameter-specific), ``allowed`` (the allowed values/names as a tuple, or ``None``), ``step``
    (0-based index of the plan step, or ``None`` outside a plan) and ``reason`` (the bare explanation).
    """

    def __init__(
        self,
        reason: str,
        *,
        tool: str,
        parameter: str | None = None,
        allowed: Sequence[object] | None = None,
        step: int | None = None,
    ) -> None:
        self.reason = reason
        self.tool = tool
        self.parameter = parameter
        self.allowed = tuple(allowed) if allowed is not None else None
        self.step = step
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"step {self.step}: " if self.step is not None else ""
        where += f"tool {self.tool!r}"
        if self.parameter is not None:
            where += f", parameter {self.parameter!r}"
        text = f"{where}: {self.reason}"
        if self.allowed is not None:
            text += f" Allowed: {_format_allowed(self.allowed)}."
        return text

    def with_step(self, step: int) -> ToolValidationError:
        """A copy located at plan step ``step`` (0-based), chained to this error."""
        error = ToolValidationError(
            self.reason, tool=self.tool, parameter=self.parameter, allowed=self.allowed, step=step
        )
        error.__cause__ = self
        return error

    def __reduce__(self):  # keyword-only __init__: make pickling (multiprocessing, datasets.map) work
        return (_rebuild_tool_error, (self.reason, self.tool, self.parameter, self.allowed, self.step))


def _rebuild_tool_error(
    reason: str, tool: str, parameter: str | None, allowed: tuple | None, step: int | None
) -> ToolValidationError:
    return ToolValidationError(reason, tool=tool, parameter=parameter, allowed=allowed, step=step)


class PlanParseError(ValueError):
    """Model output could not be read as a valid plan.

    ``position`` is the character offset in the parsed text where the problem was found (the start of
    the offending step for validation errors, whose `ToolValidationError` is the ``__cause__``);
    ``reason`` is the bare explanation.
    """

    def __init__(self, reason: str, position: int = 0) -> None:
        self.reason = reason
        self.position = position
        super().__init__(f"{reason} (at character {position})")

    def __reduce__(self):
        return (PlanParseError, (self.reason, self.position))
