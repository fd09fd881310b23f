"""Named tool libraries: ``simple`` (10 atomic), ``regular`` (+10 constraint), ``complex`` (+20 styling)."""

from __future__ import annotations

import functools

from trl_styling.tools.complex import complex_tools
from trl_styling.tools.regular import regular_tools
from trl_styling.tools.simple import atomic_tools
from trl_styling.tools.specs import ToolLibrary

LIBRARY_NAMES: tuple[str, ...] = ("simple", "regular", "complex")

_BUILDERS = {"simple": atomic_tools, "regular": regular_tools, "complex": complex_tools}


@functools.cache
def get_tool_library(name: str) -> ToolLibrary:
    """The library called ``name`` (built once; libraries are immutable). Unknown names raise ValueError."""
    if name not in _BUILDERS:
        raise ValueError(f"Unknown tool library {name!r}; available: {', '.join(LIBRARY_NAMES)}.")
    return ToolLibrary(name=name, tools=_BUILDERS[name]())


def resolve_library(library: ToolLibrary | str) -> ToolLibrary:
    """A ``ToolLibrary`` from an instance or a library name."""
    if isinstance(library, ToolLibrary):
        return library
    if isinstance(library, str):
        return get_tool_library(library)
    raise TypeError(f"Expected a ToolLibrary or one of {LIBRARY_NAMES}, got {type(library).__name__}.")
