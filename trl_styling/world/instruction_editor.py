"""The world's instruction-following editor: the paper's Stage 4, ``editor(instruction)``, on the CPU.

It reads free text -- the template synthesizer's instruction, a VLM's, or a raw goal (Edit-Only) -- with
`read_instruction`, then runs what it understood through the
`ParametricEditor`, so the pixel effects and protections are exactly those of
the tools. What it did not understand changes nothing and is reported on ``EditResult.reading``::

    editor = InstructionEditor(seed=3)
    result = editor.edit_text(image, context, "Turn the season to snowy winter. Keep the art deco architecture.")
    result.reading.not_understood, result.reading.ambiguous

``edit(image, context, plan, library, instruction=...)`` is the planning path: plan -> instruction (the
template synthesizer when ``instruction`` is not given) -> reading -> pixels. The tool-executing editor
(`ParametricEditor`, RetouchIQ/MonetGPT style) stays available as the executable-tools path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from trl_styling.context import StyleContext
from trl_styling.tools.plan import Plan
from trl_styling.tools.specs import ToolLibrary

from .editor import EditResult, ParametricEditor
from .semantics.executor import ExecutionTrace, execute_plan
from .semantics.reading import READER_LIBRARY, InstructionReading, read_instruction

__all__ = ["InstructionEditor"]


class InstructionEditor:
    """Edits pictures of the styling world from text (see the module docstring). Deterministic.

    Args:
        seed: The picture's render seed (exact masks and geometry), as for `ParametricEditor`.
        max_size: Cap on the working resolution of large photos.
    """

    def __init__(self, seed: int = 0, *, max_size: int = 1024) -> None:
        self.pixels = ParametricEditor(seed, max_size=max_size)

    def edit_text(
        self,
        image: Image.Image | np.ndarray,
        context: StyleContext,
        text: str,
        *,
        scene: Any = None,
        seed: int | None = None,
    ) -> EditResult:
        """Reads ``text`` and applies what it understood; ``result.reading`` says what it did not."""
        reading = read_instruction(text, context)
        result = self.pixels.edit(image, context, reading.plan, READER_LIBRARY, scene=scene, seed=seed)
        return EditResult(
            image=result.image,
            context=result.context,
            trace=result.trace,
            scene=result.scene,
            pixels=result.pixels,
            reading=reading,
        )

    def edit(
        self,
        image: Image.Image | np.ndarray,
        context: StyleContext,
        plan: Plan,
        library: ToolLibrary | str,
        *,
        scene: Any = None,
        seed: int | None = None,
        instruction: str | None = None,
    ) -> EditResult:
        """The planning path: ``plan`` becomes an instruction (unless given), which is read and applied.

        ``plan`` is validated against ``library`` first (an invalid plan raises ``ToolValidationError``, as
        with the tool-executing editor), so both editors accept and refuse the same plans.
        """
        text = self.instruction(plan, library, context) if instruction is None else instruction
        return self.edit_text(image, context, text, scene=scene, seed=seed)

    @staticmethod
    def instruction(plan: Plan, library: ToolLibrary | str, context: StyleContext) -> str:
        """The template instruction for ``plan`` (validated against ``library`` first)."""
        from trl_styling.pipeline.instructions import synthesize_instruction

        return synthesize_instruction(plan.validate(library), context)

    @staticmethod
    def execute(context: StyleContext, text: str) -> tuple[InstructionReading, ExecutionTrace]:
        """The edit of ``text`` on the symbolic state only (no pixels): the reading and its trace."""
        reading = read_instruction(text, context)
        return reading, execute_plan(context, reading.plan, READER_LIBRARY)


WORLD_EDITORS: dict[str, type] = {"instruction": InstructionEditor, "tools": ParametricEditor}


def world_editor(editor: str | Any = "instruction", seed: int = 0) -> Any:
    """An editor by name: ``"instruction"`` (plan -> instruction -> editor, the paper's path and the default)
    or ``"tools"`` (the plan's tool calls executed); any other object is returned as it is."""
    if not isinstance(editor, str):
        return editor
    if editor not in WORLD_EDITORS:
        raise ValueError(f"Unknown world editor {editor!r}; use one of {', '.join(WORLD_EDITORS)}.")
    return WORLD_EDITORS[editor](seed)
