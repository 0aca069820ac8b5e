"""What byod needs from ``transformers.AutoTokenizer``, read in a short-lived child interpreter.

transformers imports torch whenever torch is installed (measured here: 6 s and ~650 MB of the driver's
memory), and a driver that loaded a tokenizer in-process would hold that for the whole run although a
tokenizer needs neither. The child runs with torch, TensorFlow and Flax switched off (``USE_TORCH=0``, ...),
writes the facts as JSON and exits, so the driver keeps only the tokenizer's JSON. The caller's process is
left alone: a notebook that imports transformers later still finds torch.

    python -m byod.hf_tokenizer NAME REVISION TARGET.json     (run by :func:`hf_tokenizer_facts`)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from byod.errors import InputError

#: A hub download of a large tokenizer can take a while; a child that hangs longer is stopped.
CHILD_TIMEOUT_S = 600
#: Environment that keeps transformers from importing the model frameworks.
NO_FRAMEWORKS = {"USE_TORCH": "0", "USE_TF": "0", "USE_FLAX": "0", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}


@dataclass(frozen=True)
class HFTokenizerFacts:
    """A Hugging Face tokenizer as transformers configures it, as plain data."""

    backend_json: str  # the ``tokenizers`` JSON with tokenizer_config.json's settings applied (add_bos_token, ...)
    chat_template: str | None
    special_tokens: dict[str, Any]
    bos_token_id: int | None
    add_bos_token: bool


_FACTS: dict[tuple[str, str | None], HFTokenizerFacts] = {}


def hf_tokenizer_facts(name: str, revision: str | None = None) -> HFTokenizerFacts:
    """Load ``name`` (a folder or a hub id) with AutoTokenizer in a child interpreter; cached per process.

    Raises:
        InputError: the tokenizer cannot be loaded, or has no fast (tokenizer.json) version.
    """
    key = (name, revision)
    if key not in _FACTS:
        _FACTS[key] = _facts_from_child(name, revision)
    return _FACTS[key]


def _facts_from_child(name: str, revision: str | None) -> HFTokenizerFacts:
    env = {**os.environ, **NO_FRAMEWORKS, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    with tempfile.TemporaryDirectory(prefix="byod-tokenizer-") as folder:
        target = os.path.join(folder, "facts.json")
        argv = [sys.executable, "-m", "byod.hf_tokenizer", name, revision or "", target]
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise InputError(f"cannot load tokenizer {name!r}: transformers took over {CHILD_TIMEOUT_S} s") from None
        if not os.path.exists(target):
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
            raise InputError(f"cannot load tokenizer {name!r}: the tokenizer loader exited with {done.returncode} "
                             f"({last})")
        with open(target, encoding="utf-8") as handle:
            data = json.load(handle)
    if "error" in data:
        raise InputError(data["error"])
    return HFTokenizerFacts(**data)


def _describe(name: str, revision: str | None) -> dict[str, Any]:
    """In the child: AutoTokenizer's view of ``name`` as JSON-able data, or ``{"error": ...}``."""
    from transformers import AutoTokenizer

    try:
        hf = AutoTokenizer.from_pretrained(name, revision=revision)
    except (OSError, ValueError) as exc:
        return {"error": f"cannot load tokenizer {name!r}: {str(exc)[:300]}"}
    if not getattr(hf, "is_fast", False):
        return {"error": f"tokenizer {name!r} has no fast (tokenizer.json) version; byod needs one"}
    try:
        template = hf.get_chat_template()
    except ValueError:
        template = None  # prompt/response examples need none
    return {"backend_json": hf.backend_tokenizer.to_str(), "chat_template": template,
            "special_tokens": {k: v for k, v in hf.special_tokens_map.items() if isinstance(v, (str, list))},
            "bos_token_id": hf.bos_token_id, "add_bos_token": bool(getattr(hf, "add_bos_token", False))}


if __name__ == "__main__":
    _name, _revision, _target = sys.argv[1:4]
    with open(_target + ".tmp", "w", encoding="utf-8") as _handle:
        json.dump(_describe(_name, _revision or None), _handle)
    os.replace(_target + ".tmp", _target)
