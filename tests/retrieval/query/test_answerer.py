"""Asking the sample articles: verbatim, attributed quotes; abstention; bad questions."""

import threading

import pytest

from retrieval.errors import QuestionError


def test_troops_question_quotes_the_figure(sample_library):
    answer = sample_library.ask("How many troops has Russia gathered on Ukraine's border?")
    assert answer.found
    first = answer.quotes[0]
    assert "130,000" in first.text
    assert first.article.source == "NationalWorld"
    assert first.article.published == "2022-02-11"


def test_hybrid_finds_the_ambassador(sample_library):
    answer = sample_library.ask("Who is the British ambassador to Ukraine?")
    assert answer.found
    assert "Melinda Simmons" in answer.quotes[0].text
    assert "Melinda Simmons" in answer.quotes[0].highlight


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much of the Amazon rainforest is in Brazil?", "60%"),
        ("When will British troops training Ukrainians leave?", "weekend"),
    ],
)
def test_other_questions_about_the_samples(sample_library, question, expected):
    answer = sample_library.ask(question)
    assert answer.found
    assert expected in answer.quotes[0].text


def test_quotes_are_verbatim_with_a_one_sentence_highlight(sample_library):
    collection = sample_library.collection()
    answer = sample_library.ask("What do geologists study?", k=5)
    assert len(answer.quotes) == 5
    for quote in answer.quotes:
        assert quote.text in collection.texts[quote.article.article_id]
        assert quote.text[quote.highlight_start :].startswith(quote.highlight)
        assert quote.highlight.strip() == quote.highlight and quote.highlight
    # the order is the reader's (retrieval/query/reader.py), not the score's: each score still decides "relevant"
    threshold = sample_library.answerer().settings.min_score
    assert all(q.relevant == (q.score >= threshold) for q in answer.quotes)


@pytest.mark.parametrize(
    "question",
    ["What is a good recipe for banana bread?", "Who won the 1998 football World Cup?", "How do I reset my router?"],
)
def test_unrelated_questions_are_not_found(sample_library, question):
    answer = sample_library.ask(question)
    assert not answer.found
    assert answer.quotes  # the nearest misses are still given


@pytest.mark.parametrize(("question", "message"), [("", "empty"), ("   \n ", "empty"), ("why " * 300, "limit is")])
def test_bad_questions_get_a_clear_error(sample_library, question, message):
    with pytest.raises(QuestionError, match=message):
        sample_library.ask(question)


def test_replies_quote_only_passages_that_pass_the_threshold(sample_library):
    from bot.console import render_answer

    answer = sample_library.ask("How many troops has Russia gathered on Ukraine's border?", k=5)
    threshold = sample_library.retrieval.min_score
    assert [q.relevant for q in answer.quotes] == [q.score >= threshold for q in answer.quotes]
    assert not all(q.relevant for q in answer.quotes)  # loosely related paragraphs are ranked but not shown
    shown = answer.shown_quotes
    assert shown[0] is answer.quotes[0] and all(q.relevant for q in shown[1:])
    text = render_answer(answer)
    assert text.count("\n    — ") == len(shown) and f"[{len(shown) + 1}]" not in text


def free(lock) -> bool:
    """Whether another thread could take ``lock`` now."""
    free: list[bool] = []

    def probe() -> None:
        free.append(lock.acquire(blocking=False))
        if free[0]:
            lock.release()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return free[0]


def test_a_pause_hook_is_called_between_stages_never_holding_the_collection(sample_library):
    question = "How many troops has Russia gathered on Ukraine's border?"
    lock = sample_library.collection().lock
    calls: list[tuple[str, bool]] = []
    paused = sample_library.ask(question, pause=lambda stage: calls.append((stage, free(lock))))
    # before each stage and between the reading's steps, with the collection free: a scheduler can hold the thread
    # there while another question is answered from the same collection (or a writer changes it)
    assert calls[0] == ("embed", True) and calls[-1] == ("answer", True)
    assert calls[1:-1] == [("read", True)] * (len(calls) - 2) and len(calls) - 2 >= 5  # lexical, dense, ... reader
    plain = sample_library.ask(question)
    assert paused == plain and "130,000" in paused.quotes[0].text  # the hook changes nothing in the answer


def test_a_writer_changing_the_collection_during_a_pause_makes_the_question_read_again(tmp_path, embedder,
                                                                                        sample_data_dir):
    """A question paused inside its reading lets the collection go; a writer that removes the article it was
    about to quote meanwhile makes it read again: the answer is the one the changed collection gives."""
    from retrieval.library import Library
    from tests.conftest import copy_data_dir

    library = Library(copy_data_dir(sample_data_dir, tmp_path / "data"), embedder)
    question = "How many troops has Russia gathered on Ukraine's border?"
    article = library.ask(question).quotes[0].article.article_id
    reads: list[str] = []

    def pause(stage: str) -> None:
        reads.append(stage)
        if reads.count("read") == 3:  # inside the reading: lexical candidates found, dense search not yet done
            library.remove(article)
            library.collection()  # brought up to date: the writer changes the rows (under the write lock)

    paused = library.ask(question, pause=pause)
    assert article not in {q.article.article_id for q in paused.quotes}
    assert paused == library.ask(question)  # the same as asking the changed collection
    assert reads.count("read") > 3  # the reading started again (its checkpoints called again)
