"""The SQLite store: stable, never reused ids; change log; aliases, origins; one transaction per article."""

from retrieval.index.identity import normalise_url, text_hash
from retrieval.index.store import ADDED, Store
from retrieval.models import ArticleMeta
from retrieval.text.paragraphs import ParagraphSplitter

TEXT = "First paragraph of the story. It has two sentences.\n\nSecond paragraph, one sentence."


def put(store: Store, key: str, text: str = TEXT, origin: str = ADDED, aliases=()):
    paragraphs = ParagraphSplitter().split(key, text)
    spans = [[(0, len(p.text))] for p in paragraphs]
    return store.put(ArticleMeta(key, f"Title {key}"), text, text_hash(text), paragraphs, spans, origin, aliases)


def test_ids_are_stable_and_never_reused(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    a = put(store, "a")
    b = put(store, "b")
    assert store.delete("b")
    c = put(store, "c")
    assert min(c) > max(b) > max(a)
    assert store.paragraph_ids() == set(a) | set(c)
    seq, articles = store.load(["a"])
    assert [p.id for p in articles["a"].paragraphs] == a and seq == store.seq()


def test_change_log_names_what_changed(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    put(store, "a")
    seq = store.seq()
    put(store, "b")
    store.delete("a")
    now, keys = store.changed_since(seq)
    assert now == store.seq() and keys == {"a", "b"}


def test_membership_changes_are_counted_even_when_no_article_changes(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    put(store, "a")
    seq, version = store.seq(), store.origins_version()
    store.touch("a", None, "server:5/added", [])  # a server gains it: the article itself is unchanged
    assert store.seq() == seq and store.origins_version() > version
    version = store.origins_version()
    store.touch("a", None, "server:5/added", [])  # seen again: no membership change
    assert store.origins_version() == version
    assert not store.drop_origin("a", "server:5/added")  # dropped, the article stays (ADDED holds it)
    assert store.seq() == seq and store.origins_version() > version
    version = store.origins_version()
    assert store.delete("a") and store.origins_version() > version
    assert Store(tmp_path / "s.sqlite").origins_version() == store.origins_version()  # kept in the file


def test_aliases_and_text_identify_an_article(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    url = "https://example.org/story"
    put(store, url, aliases=[normalise_url("http://www.example.org/story/?utm_medium=x")])
    assert store.resolve("https://other.example/x", [normalise_url("https://example.org/story?utm_source=y")]) == url
    assert store.resolve("https://other.example/x", [], text_hash("  First paragraph of the story. It has two "
                                                                   "sentences.\n\nSecond paragraph, one sentence."))
    assert store.find("Title https://example.org/story") == [url]
    assert store.find("https://www.example.org/story/") == [url]


def test_origins_decide_removal(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    put(store, "a", origin="feed-1")
    put(store, "a", origin="feed-2")
    assert store.origins("a") == {"feed-1", "feed-2"}
    assert not store.drop_origin("a", "feed-1")
    assert store.drop_origin("a", "feed-2")
    assert store.counts() == (0, 0)


def test_reopening_keeps_everything(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    ids = put(store, "a")
    store.save_source("feed", last_error="timeout", etag='"x"')
    store.close()
    again = Store(tmp_path / "s.sqlite")
    assert again.paragraph_ids() == set(ids)
    assert again.source_rows()["feed"]["etag"] == '"x"'
