"""bm25s's English stop words, read without importing bm25s itself (its package loads scipy, tqdm and asyncio:
about 0.3 s of `citebot ask`'s start for one word list)."""

from __future__ import annotations

import importlib.util
from functools import lru_cache


@lru_cache(maxsize=1)
def english() -> tuple[str, ...]:
    """``bm25s.stopwords.STOPWORDS_EN``, loaded from bm25s's file alone (the same list; falls back to the import)."""
    spec = importlib.util.find_spec("bm25s")  # finds the package without running its __init__
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            words = importlib.util.spec_from_file_location("_citebot_bm25s_stopwords", f"{folder}/stopwords.py")
            if words is not None and words.loader is not None:
                module = importlib.util.module_from_spec(words)
                try:
                    words.loader.exec_module(module)
                    return tuple(module.STOPWORDS_EN)
                except (OSError, AttributeError, SyntaxError):
                    break
    from bm25s.stopwords import STOPWORDS_EN

    return tuple(STOPWORDS_EN)
