"""Answer a question with ranked, verbatim, attributed quotes, or say the articles do not cover it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from embeddings.answer_tower import answer_tower
from retrieval.errors import IndexMissingError, QuestionError
from retrieval.models import Answer, Quote
from retrieval.query.conversation import (
    ContextSettings,
    ConversationContext,
    Turn,
    continuity,
    conversation_context,
    is_anaphoric,
    plan_context,
)
from retrieval.query.fusion import for_model
from retrieval.query.intent import is_content_free
from retrieval.query.ranking import Hit, rank
from retrieval.query.reader import read
from retrieval.query.subject import on_subject
from retrieval.query.timefilter import TimeWindow, age_phrase, allowed_rows, nothing_published, recency_prior
from retrieval.reading import Readable, Reading, Stale
from retrieval.settings import RetrievalSettings
from retrieval.text.articles import strip_controls


def visible_text(text: str) -> str:
    """``text`` without escape sequences, control and invisible format characters (zero-width spaces, BOMs,
    bidi overrides); tabs and line breaks become spaces."""
    text = strip_controls(text.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def clean_question(question: str, max_chars: int) -> str:
    """The question stripped; ``QuestionError`` when it is empty or too long."""
    text = " ".join(visible_text(question or "").split())
    if not text:
        raise QuestionError("the question is empty: ask something about the indexed articles")
    if len(text) > max_chars:
        raise QuestionError(f"the question is {len(text)} characters long; the limit is {max_chars}")
    return text


#: The share of the "not found" threshold a follow-up that leans on its conversation must reach (measured on
#: newsqa-dev's follow-ups: docs/benchmarks.md).
FOLLOW_UP_BAR = 0.85

#: Readings of one question: a writer changing the collection while one is paused at a checkpoint starts it again;
#: the last try never pauses (so it ends).
READ_TRIES = 3


def last_quoted(view: Reading, history: Sequence[Turn]) -> frozenset[int]:
    """The paragraph (stable id) the conversation's last answer quoted first, if it is still indexed."""
    if not history or not history[-1].pids or not history[-1].article_ids:
        return frozenset()
    row = view.row_of_pid(history[-1].pids[0], history[-1].article_ids[0])
    return frozenset() if row is None else frozenset({int(view.ids(np.asarray([row]))[0])})


class Answerer:
    """``ask(question)`` over one collection; the embedder is loaded once and shared."""

    def __init__(self, collection: Readable | None, embedder, settings: RetrievalSettings) -> None:
        self.collection = collection
        self.embedder = embedder
        model = collection.model if collection is not None else getattr(embedder, "name", "")
        self.model = model
        self.settings = for_model(settings, model)
        self.context = ContextSettings()
        self.reader = read  # re-reads the best candidates: the paragraph and the sentence that answer

    def require_collection(self) -> Readable:
        """The collection answered from; ``IndexMissingError`` when nothing is indexed."""
        if self.collection is None:
            raise IndexMissingError("no articles are indexed yet: run `citebot index`")
        return self.collection

    def embed_query(self, question: str) -> np.ndarray:
        encode_query = getattr(self.embedder, "encode_query", None)
        return encode_query(question) if encode_query else self.embedder.encode([question])[0]

    def warm_up(self) -> None:
        """Load what embedding a question needs (the question model, the answer tower) now, not at the first one."""
        self.embed_query("warm-up")
        self.embed_answer("warm-up")

    def embed_answer(self, question: str) -> np.ndarray | None:
        """The question's vector from the answer tower (embeddings/answer_tower.py) for the reader; None when the
        collection's model has none (the reader then uses the question's own vector)."""
        tower = answer_tower(self.model)
        return tower.encode(question) if tower is not None else None

    def search(self, question: str, query_vector: np.ndarray | None = None, depth: int | None = None,
               window: TimeWindow | None = None) -> list[Hit]:
        """The best candidate paragraphs for ``question`` published in ``window``, in order (with recency prior)."""
        collection = self.require_collection()
        if query_vector is None:
            query_vector = self.embed_query(question)
        with collection.reading() as view:
            allowed = allowed_rows(view, window)
            prior = recency_prior(view, question, self.settings.recency_weight, allowed, window)
            return rank(view, question, query_vector, self.settings, depth, allowed, prior)

    def quote(self, hit: Hit) -> Quote:
        """A ``Quote`` for a ranked paragraph, with its best sentence highlighted."""
        with self.require_collection().reading() as view:
            paragraph = view.paragraph(hit.paragraph_id)
            spans = view.sentence_spans(hit.paragraph_id)
            article = view.article(paragraph.article_id)
        start, end = spans[hit.sentence] if hit.sentence >= 0 else (0, len(paragraph.text))
        start, end = int(start), int(end)
        return Quote(
            text=paragraph.text,
            highlight=paragraph.text[start:end],
            highlight_start=start,
            article=article,
            paragraph=paragraph.number,
            score=hit.score,
            pid=paragraph.pid,
            relevant=hit.score >= self.settings.min_score,
        )

    def distinct_quotes(self, hits: list[Hit], k: int) -> list[Quote]:
        """The first ``k`` quotes of ``hits`` whose paragraph texts differ (the same paragraph, stored in two
        articles, is quoted once). Call under the collection's lock."""
        quotes: list[Quote] = []
        seen: set[str] = set()
        for hit in hits:
            quote = self.quote(hit)
            key = " ".join(quote.text.split()).casefold()
            if key not in seen:
                seen.add(key)
                quotes.append(quote)
                if len(quotes) == k:
                    break
        return quotes

    def conversation_scores(self, text: str, query_vector: np.ndarray, hits: list[Hit], quoted: np.ndarray,
                            allowed: np.ndarray | None) -> tuple[tuple[int, float], float]:
        """The row and score of the question's own best paragraph (``hits`` first), and the score of its best
        paragraph among the rows ``quoted`` (the conversation's articles, ``ConversationContext.rows``): what
        :func:`continuity` compares."""
        if allowed is not None:
            quoted = quoted & np.asarray(allowed[: len(quoted)], dtype=bool)
        with self.require_collection().reading() as view:
            inside = rank(view, text, query_vector, self.settings, 1, quoted) if quoted.any() else []
        return ((hits[0].row, hits[0].score) if hits else (-1, 0.0)), (inside[0].score if inside else 0.0)

    def continuity(self, text: str, query_vector: np.ndarray, context: ConversationContext, hits: list[Hit],
                   allowed: np.ndarray | None) -> float:
        """How surely ``text`` continues the conversation ``context``, given its own ranking ``hits`` (see
        :func:`retrieval.query.conversation.continuity`)."""
        alone, inside = self.conversation_scores(text, query_vector, hits, context.rows, allowed)
        with self.require_collection().reading() as view:
            return continuity(view, text, query_vector, context, alone, inside, self.context)

    def read_answer(self, view: Reading, text: str, query_vector: np.ndarray, k: int, history: Sequence[Turn],
                    window: TimeWindow | None, answer_vector: np.ndarray | None = None) -> tuple[Answer, bool | None]:
        """The read stage of :meth:`ask` through an entered ``view``: (the answer, whether it is dated by recency —
        None when there is nothing to quote). ``answer_vector``: :meth:`embed_answer`'s. Calls
        ``view.checkpoint()`` between its steps."""
        allowed = allowed_rows(view, window)
        recency = recency_prior(view, text, self.settings.recency_weight, allowed, window)
        hits = rank(view, text, query_vector, self.settings, k, allowed, recency)
        view.checkpoint()
        follows = None
        context = conversation_context(view, self.embedder, history, self.context.decay) if history else None
        sure = self.continuity(text, query_vector, context, hits, allowed) if context else 0.0
        # landing in an article the conversation quoted, it is read in context (as strongly as it continues)
        inside = bool(context is not None and hits and context.rows[hits[0].row])
        if inside and is_anaphoric(text):  # "What did she say?" leans on the conversation entirely
            sure = 1.0
        if context is not None and (sure >= self.context.switch_below or inside):
            plan = plan_context(view, self.embedder, text, query_vector, context, self.context, sure)
            prior = plan.prior if recency is None or plan.prior is None else plan.prior + recency
            hits = rank(view, text, plan.query_vector, self.settings, k, allowed, prior)
            follows = plan.follows.question if plan.follows else None
            view.checkpoint()
        if not hits:
            message = nothing_published(view, window)
            return Answer(question=text, found=False, quotes=[], follows_up=follows, message=message), None
        # a follow-up leaning on its conversation ("Where did they teach?") and read inside its article has few
        # words of its own to score: it passes a lower bar (FOLLOW_UP_BAR of the threshold)
        leaning = follows is not None and inside and is_anaphoric(text)
        bar = self.settings.min_score * (FOLLOW_UP_BAR if leaning else 1.0)
        found = max(hit.score for hit in hits) >= bar
        reading = self.reader(view, text, query_vector, hits, last_quoted(view, history), answer_vector=answer_vector,
                              follows_up=follows is not None)
        view.checkpoint()
        hits = reading.hits
        near_miss = found and reading.answers is False  # on the subject, but no sentence answers this
        found = found and reading.answers is not False
        quotes = self.distinct_quotes(hits, k)
        subject = None if found else (quotes[0].article if near_miss and quotes
                                      else on_subject(view, text, quotes, self.settings.min_score))
        answer = Answer(question=text, found=found, quotes=quotes, follows_up=follows, on_subject=subject)
        return answer, recency is not None

    def ask(
        self,
        question: str,
        k: int | None = None,
        history: Sequence[Turn] = (),
        window: TimeWindow | None = None,
        today: date | None = None,
        pause: Callable[[str], None] | None = None,
    ) -> Answer:
        """The top ``k`` quotes; ``found`` is false when the best score is under the threshold.

        ``history`` (earlier turns, oldest first) reads the question as a follow-up unless it changes the subject;
        ``window`` keeps articles published in it; ``today`` dates the age of the newest quote on time questions.
        ``pause``, when given, is called with the name of the stage about to start: ``"embed"`` (the question),
        ``"read"`` (ranking and quoting, under a share of the collection's lock; called again between the reading's
        steps, the lock let go meanwhile), ``"answer"`` (the lock released), never while the lock is held: a
        scheduler may hold the thread there to let another question go first (bot/fair_slots.py). A writer that
        changed the collection during such a pause makes the reading start again (at most ``READ_TRIES`` times,
        the last without pauses). Without it, nothing changes.
        """
        text = clean_question(question, self.settings.max_question_chars)
        if is_content_free(text) and not (history and is_anaphoric(text)):  # "What did she say?" follows up
            return Answer(question=text, found=False, quotes=[], content_free=True)
        k = max(1, k or self.settings.top_k)
        collection = self.require_collection()
        if pause is not None:
            pause("embed")
        query_vector = self.embed_query(text)
        answer_vector = self.embed_answer(text)
        if pause is not None:
            pause("read")
        for attempt in range(READ_TRIES):
            try:  # ranked and quoted from one state, even while a writer applies a change; the last try never pauses
                with collection.reading().pausing(pause if attempt < READ_TRIES - 1 else None) as view:
                    answer, dated = self.read_answer(view, text, query_vector, k, history, window, answer_vector)
                break
            except Stale:  # a writer changed the collection while this reading was paused: read it again
                continue
        if dated is None:  # nothing to quote: the answer says so
            return answer
        if pause is not None:
            pause("answer")
        if dated:
            newest = max((q.article.published or "" for q in answer.shown_quotes), default="")
            answer = replace(answer, newest_age=age_phrase(newest, (window and window.as_of) or today or date.today()))
        return answer
