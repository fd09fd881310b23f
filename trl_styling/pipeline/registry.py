"""Named backends per stage, registered like PEFT's tuners: adding an editor or a judge is adding a module.

A backend module registers its classes (or factories) at import time::

    from trl_styling.pipeline import register_backend

    @register_backend("judge", "my_vlm")
    class MyVLMJudge:
        needs_structured_goal = False

        def __init__(self, *, library, seed, endpoint="http://localhost:8000/v1", model="judge"):
            import openai  # heavy imports inside the backend module, at construction time
            ...

        def score(self, request): ...

and `get_backend` ``("judge", "my_vlm", **kwargs)`` builds it. Where the registering module is imported
from: the built-in modules of `BUILTIN_BACKEND_MODULES` are imported on first lookup; third-party
packages can declare an entry point in the ``trl_styling.backends`` group (its module is imported the same
way); anything else is imported by the caller, or named in ``GenerationConfig.plugins`` so that worker
processes import it too.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, TypeVar

from trl_styling.pipeline.stages import STAGE_PROTOCOLS, STAGES

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Modules whose import registers the built-in backends (the hermetic world, the template synthesizer).
BUILTIN_BACKEND_MODULES: tuple[str, ...] = (
    "trl_styling.pipeline.backends.world",
    "trl_styling.pipeline.instructions",
    "trl_styling.pipeline.backends.diffusers_backends",
    "trl_styling.pipeline.backends.local_transformers",
    "trl_styling.pipeline.backends.openai_server",  # imports openai only when a backend is built
)
ENTRY_POINT_GROUP = "trl_styling.backends"

_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {stage: {} for stage in STAGES}
_loaded = False


class UnknownBackendError(KeyError):
    """No backend of that name is registered for the stage; the message lists the registered names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def _check_stage(stage: str) -> None:
    if stage not in _REGISTRY:
        raise ValueError(f"Unknown pipeline stage {stage!r}; stages: {', '.join(STAGES)}.")


def register_backend(stage: str, name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Class/factory decorator registering ``name`` for ``stage``.

    Registering a name twice with a different object is an error unless ``replace=True`` (re-importing the
    same module, e.g. in a worker process, re-registers the same qualified name and is allowed).
    """
    _check_stage(stage)
    if not isinstance(name, str) or not name:
        raise ValueError(f"A backend name must be a non-empty string, got {name!r}.")

    def decorator(factory: F) -> F:
        existing = _REGISTRY[stage].get(name)
        if existing is not None and not replace and _qualname(existing) != _qualname(factory):
            raise ValueError(
                f"Backend {name!r} is already registered for stage {stage!r} ({_qualname(existing)}); "
                "pick another name or pass replace=True."
            )
        _REGISTRY[stage][name] = factory
        return factory

    return decorator


def unregister_backend(stage: str, name: str) -> None:
    """Removes a registration (tests use it to clean up)."""
    _check_stage(stage)
    _REGISTRY[stage].pop(name, None)


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def load_builtin_backends() -> None:
    """Imports the built-in backend modules and the ``trl_styling.backends`` entry points, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_BACKEND_MODULES:
        importlib.import_module(module)
    try:
        found = entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # pragma: no cover - broken metadata must not break the built-ins
        found = ()
    for ep in found:
        try:
            ep.load()
        except Exception as error:  # a broken plugin is reported, the rest still works
            logger.warning("Could not load trl-styling backend plugin %r: %s", ep.name, error)


def import_plugins(modules: tuple[str, ...] | list[str]) -> None:
    """Imports modules that register backends (``GenerationConfig.plugins``)."""
    for module in modules:
        importlib.import_module(module)


def list_backends(stage: str) -> list[str]:
    """Sorted names registered for ``stage`` (built-ins included)."""
    _check_stage(stage)
    load_builtin_backends()
    return sorted(_REGISTRY[stage])


def get_backend_class(stage: str, name: str) -> Callable[..., Any]:
    """The registered class/factory; `UnknownBackendError` lists the registered names."""
    _check_stage(stage)
    load_builtin_backends()
    try:
        return _REGISTRY[stage][name]
    except KeyError:
        names = ", ".join(sorted(_REGISTRY[stage])) or "(none)"
        raise UnknownBackendError(
            f"Unknown {stage} backend {name!r}; registered {stage} backends: {names}. A backend module registers "
            "itself with @register_backend(stage, name) when imported: import it first (or list it in "
            "GenerationConfig.plugins / --plugin)."
        ) from None


def get_backend(stage: str, name: str, **kwargs: Any) -> Any:
    """Builds the backend ``name`` of ``stage`` with keyword arguments and checks it has the stage's method."""
    backend = get_backend_class(stage, name)(**kwargs)
    protocol = STAGE_PROTOCOLS[stage]
    if not isinstance(backend, protocol):
        raise TypeError(
            f"Backend {name!r} of stage {stage!r} ({type(backend).__name__}) does not implement {protocol.__name__} "
            "(see trl_styling.pipeline.stages)."
        )
    return backend
