"""An on-disk cache of chat answers, so that rerunning a generation costs no model requests.

The key is the SHA-256 of everything that decides an answer: the endpoint, the model, the messages (images
included, as their data URLs), the sampling parameters, ``n`` and the seed. One JSON file per key
(``<dir>/<key[:2]>/<key>.json``), written atomically, so concurrent worker processes can share a directory.
Answers that failed are never cached. No credential is part of a key or a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from trl_styling.pipeline.backends.chat import ChatRequest

CACHE_FORMAT = 1  # bump when the meaning of a cached answer changes


def request_key(endpoint: str, model: str, request: ChatRequest) -> str:
    """The SHA-256 hex key of a request sent to ``model`` at ``endpoint`` (``tag`` excluded: it only names
    the caller)."""
    payload = {
        "format": CACHE_FORMAT,
        "endpoint": endpoint,
        "model": model,
        "messages": list(request.messages),
        "n": request.n,
        "seed": request.seed,
        "params": {
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stop": list(request.stop),
            "json_schema": request.json_schema,
            "extra": request.extra,
        },
    }
    if request.top_p is not None:  # only when set, so the keys of earlier caches stay valid
        payload["params"]["top_p"] = request.top_p
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """``get(key)`` -> the cached texts or None; ``put(key, texts)``. ``hits`` and ``misses`` count lookups."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.directory)!r}, hits={self.hits}, misses={self.misses})"

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[str] | None:
        try:
            data: Any = json.loads(self.path(key).read_text(encoding="utf-8"))
            texts = data["texts"]
            if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)):
                raise ValueError("texts must be a list of strings")
        except (OSError, ValueError, KeyError, TypeError):  # absent or damaged: a miss, recomputed and rewritten
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return texts

    def put(self, key: str, texts: list[str], **meta: Any) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"texts": list(texts), **meta}, f, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
