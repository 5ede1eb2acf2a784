"""Reading article files of every supported kind; broken files are reported, never fatal."""

import json

from retrieval.text.articles import read_article_file, read_articles


def test_txt_with_headers(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text(
        "A headline\nSource: The Daily\nAuthor: A. Writer\nPublished: 2023-05-04\nURL: https://example.org/a\n\n"
        "First paragraph.\n\nSecond paragraph.\n",
        encoding="utf-8",
    )
    (article,) = read_article_file(path)
    meta = article.meta
    assert (meta.article_id, meta.title, meta.source, meta.author) == ("story", "A headline", "The Daily", "A. Writer")
    assert (meta.published, meta.url) == ("2023-05-04", "https://example.org/a")
    assert article.text == "First paragraph.\n\nSecond paragraph."


def test_markdown_front_matter(tmp_path):
    path = tmp_path / "note.md"
    path.write_text('---\ntitle: "Front matter title"\nsource: Blog\npublished: 2021-01-02\n---\n\nBody text here.\n')
    (article,) = read_article_file(path)
    assert article.meta.title == "Front matter title"
    assert article.meta.published == "2021-01-02"
    assert article.text == "Body text here."


def test_html_through_trafilatura(tmp_path):
    body = " ".join(["The harbour reopened on Monday after storm repairs costing four million pounds."] * 4)
    html = (
        "<html><head><title>Harbour reopens</title><meta property='og:site_name' content='Coast News'>"
        "<meta name='date' content='2024-03-01'></head><body><nav>Home | About</nav>"
        f"<article><h1>Harbour reopens</h1><p>{body}</p><p>{body}</p></article></body></html>"
    )
    path = tmp_path / "harbour.html"
    path.write_text(html, encoding="utf-8")
    (article,) = read_article_file(path)
    assert article.meta.title == "Harbour reopens"
    assert "four million pounds" in article.text
    assert "Home | About" not in article.text


def test_json_article(tmp_path):
    path = tmp_path / "a.json"
    fields = {"title": "T", "text": "Some text.", "source": "S", "published": "2020-02-03T10:00:00Z"}
    path.write_text(json.dumps(fields))
    (article,) = read_article_file(path)
    assert (article.meta.title, article.meta.source, article.meta.published) == ("T", "S", "2020-02-03")


def test_unreadable_files_are_skipped_by_name(tmp_path):
    (tmp_path / "good.txt").write_text("Good title\n\nA fine paragraph.\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00garbage\x9c")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    articles, skipped = read_articles([tmp_path])
    assert [a.meta.title for a in articles] == ["Good title"]
    reasons = {name.rsplit("/", 1)[-1]: reason for name, reason in skipped}
    assert set(reasons) == {"binary.txt", "broken.json", "empty.md"}
    assert "UTF-8" in reasons["binary.txt"]
    assert "JSON" in reasons["broken.json"]
