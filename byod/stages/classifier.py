"""Keep or drop documents by one label's probability under any supervised fastText model the user points at."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from byod.errors import ConfigError
from byod.stages.rules import RuleFilter

CLASSIFIER_SCORE = "classifier_score"
CLASSIFIER_BELOW_THRESHOLD = "classifier.below_threshold"
CLASSIFIER_ABOVE_THRESHOLD = "classifier.above_threshold"

_LABEL_PREFIX = "__label__"
_KEEP_IF = ("above", "below")
#: Loaded models of this Python process, by (path, file stamp): one load per worker, a new one when the file changes.
_MODELS: dict[tuple[str, str], Any] = {}


def _filesystem(path: str) -> tuple[Any, str, bool]:
    """(fsspec filesystem, path inside it, whether it is the local disk) for a local path or fsspec URL."""
    from fsspec.core import url_to_fs
    from fsspec.implementations.local import LocalFileSystem

    fs, inner = url_to_fs(path)
    return fs, inner, isinstance(fs, LocalFileSystem)


def model_stamp(path: str) -> str:
    """What changes when the model file changes (local: mtime and size; fsspec: its ``ukey``).

    Raises:
        ConfigError: the file does not exist (or its scheme has no fsspec implementation installed).
    """
    try:
        fs, inner, local = _filesystem(path)
        if local:
            if not Path(inner).is_file():
                raise FileNotFoundError(inner)
            stat = os.stat(inner)
            return f"{stat.st_mtime_ns}-{stat.st_size}"
        if not fs.isfile(inner):
            raise FileNotFoundError(inner)
        return str(fs.ukey(inner))
    except (OSError, ValueError, ImportError) as error:
        raise ConfigError(f"model_path {path!r} is not a readable file ({type(error).__name__}); give a local "
                          "fastText .bin/.ftz model or an fsspec URL of one") from None


def local_model_file(path: str, stamp: str) -> str:
    """A local copy of the model: the path itself on local disk, else one download per machine and stamp.

    fastText reads only local files. The copy lands in the temp folder under a name made of the URL and
    stamp, written under a temporary name and renamed, so Python workers sharing a machine reuse it.
    """
    fs, inner, local = _filesystem(path)
    if local:
        return inner
    key = hashlib.sha256(f"{path}\0{stamp}".encode()).hexdigest()[:20]
    target = Path(tempfile.gettempdir()) / "byod-models" / key / (Path(inner).name or "model.bin")
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        fs.get_file(inner, str(partial))
        os.replace(partial, target)
    return str(target)


def load_model(path: str, stamp: str) -> Any:
    """The fastText model at ``path``, loaded once per Python process and file stamp.

    Raises:
        ConfigError: the file is not a fastText model.
    """
    key = (path, stamp)
    if key not in _MODELS:
        import fasttext

        try:
            model = fasttext.load_model(local_model_file(path, stamp))
        except ValueError as error:
            raise ConfigError(f"model_path {path!r} is not a fastText model: {str(error)[:80]}") from None
        for old in [k for k in _MODELS if k[0] == path]:  # a replaced file: free the old model
            del _MODELS[old]
        _MODELS[key] = model
    return _MODELS[key]


def label_probability(model: Any, label: str, text: str) -> float:
    """Probability of ``label`` for ``text``, in [0, 1]; newlines become spaces (fastText predicts one line)."""
    labels, probabilities = model.predict(text.replace("\n", " "), k=-1)
    for name, probability in zip(labels, probabilities):
        if name == label:
            return float(min(max(probability, 0.0), 1.0))  # fastText adds 1e-5 before its log: up to 1.00001
    return 0.0


@dataclass(frozen=True, kw_only=True)
class FastTextClassifierFilter(RuleFilter):
    """Keep documents by the probability a supervised fastText classifier gives one label.

    The whole document, newlines replaced by spaces, is scored once; the probability of ``label`` is kept
    in ``score_column`` on every live row. With ``keep_if="above"`` a document scoring under
    ``threshold`` is dropped (``classifier.below_threshold``); with ``keep_if="below"`` one scoring at or
    above it is (``classifier.above_threshold``). The model is loaded once per Python worker (and once on
    the driver at construction, to check the label), and again only when the file changes.
    Reference: DataTrove 0.9.0 ``FastTextClassifierFilter`` (``keep_labels`` / ``remove_labels``, document
    mode); classifiers such as DCLM's (Li et al. 2024, ``__label__hq``): see docs/classifier.md.

    Args:
        model_path: a supervised fastText ``.bin``/``.ftz`` file, local or an fsspec URL (copied to the
            local temp folder once per machine; fastText reads local files only). Nothing is downloaded
            from a model hub.
        label: the label scored, with or without fastText's ``__label__`` prefix (``hq``, ``__label__hq``).
        threshold: probability in [0, 1] separating kept from dropped documents.
        keep_if: ``"above"`` keeps documents with probability >= ``threshold``; ``"below"`` keeps those under it.
        score_column: name of the score column (double; null on rows out of play).

    Reason codes: ``classifier.below_threshold``, ``classifier.above_threshold``.
    """

    model_path: str
    label: str
    threshold: float = 0.5
    keep_if: Literal["above", "below"] = "above"
    score_column: str = CLASSIFIER_SCORE

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.model_path, str) or not self.model_path:
            raise ConfigError(f"model_path must be a path to a fastText model, got {self.model_path!r}")
        if not isinstance(self.label, str) or not self.label.removeprefix(_LABEL_PREFIX):
            raise ConfigError(f"label must name a label of the model such as 'hq' or '__label__hq', got {self.label!r}")
        score = self.threshold
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ConfigError(f"threshold must be a probability in [0, 1], got {self.threshold!r}")
        if self.keep_if not in _KEEP_IF:
            raise ConfigError(f"keep_if must be one of {list(_KEEP_IF)}, got {self.keep_if!r}")
        if not isinstance(self.score_column, str) or not self.score_column:
            raise ConfigError(f"score_column must be a column name, got {self.score_column!r}")
        stamp = model_stamp(self.model_path)
        labels = load_model(self.model_path, stamp).labels  # fails here, before Spark, on a bad file
        wanted = self.label if self.label in labels else _LABEL_PREFIX + self.label
        if wanted not in labels:
            shown = ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "")
            raise ConfigError(f"label {self.label!r} is not in model {self.model_path!r}; its labels: {shown}")
        # Not fields: they follow from the parameters, and the report shows parameters only.
        object.__setattr__(self, "_stamp", stamp)
        object.__setattr__(self, "_label", wanted)

    @property
    def name(self) -> str:
        """Named by its score column when that is not the default, so a pipeline can hold several."""
        base = type(self).__name__
        return base if self.score_column == CLASSIFIER_SCORE else f"{base}[{self.score_column}]"

    @property
    def score_columns(self) -> tuple[tuple[str, str], ...]:  # type: ignore[override]
        """The one score column RuleFilter fills from :meth:`measure`, named by ``score_column``."""
        return ((self.score_column, "double"),)

    def score(self, text: str) -> float:
        """Probability of the label for one document."""
        return label_probability(load_model(self.model_path, self._stamp), self._label, text)

    def measure(self, text: str) -> tuple[str | None, float]:
        """(reason or None, score) for one document."""
        score = self.score(text)
        if self.keep_if == "above":
            return (CLASSIFIER_BELOW_THRESHOLD if score < self.threshold else None), score
        return (CLASSIFIER_ABOVE_THRESHOLD if score >= self.threshold else None), score

    def reason(self, text: str) -> str | None:
        """The reason alone (see :meth:`measure`)."""
        return self.measure(text)[0]
