"""The paragraph splitter on real scraped news."""

from retrieval.settings import SplitterSettings
from retrieval.text.articles import read_article_file
from retrieval.text.paragraphs import ParagraphSplitter
from tests.conftest import SAMPLE_ARTICLE, SAMPLES


def sample_paragraphs():
    article = read_article_file(SAMPLES / "russia-ukraine-2022-02-11.txt")[0]
    return article, ParagraphSplitter().split(article.meta.article_id, article.text)


def test_sample_article_attribution_and_body():
    article, _ = sample_paragraphs()
    assert article.meta.title.startswith("Russia-Ukraine crisis: Joe Biden and Vladimir Putin")
    assert article.meta.source == "NationalWorld"
    assert article.meta.published == "2022-02-11"
    assert article.meta.url is None
    original = SAMPLE_ARTICLE.read_text(encoding="utf-8")
    assert article.text.strip() in original  # the stored text is the article body, verbatim


def test_no_caption_footer_or_lone_subheading_is_indexed():
    article, paragraphs = sample_paragraphs()
    texts = [p.text for p in paragraphs]
    assert not any("(Photo:" in t for t in texts)
    assert not any("A message from the editor" in t for t in texts)
    assert not any(t.startswith("Additional reporting") for t in texts)
    for heading in ("Citizens urged to leave Ukraine", "British troops to be withdrawn", "Invasion could come"):
        assert not any(t.startswith(heading) for t in texts)
    assert any("130,000" in t for t in texts)


def test_subheading_is_context_of_the_next_paragraph():
    _, paragraphs = sample_paragraphs()
    by_context = {p.context: p for p in paragraphs if p.context}
    assert by_context["British troops to be withdrawn"].text.startswith("Heappey said British troops")
    assert by_context["Russia could attack ‘very quickly’"].text.startswith("Armed forces minister")


def test_paragraphs_are_numbered_and_keep_offsets():
    article, paragraphs = sample_paragraphs()
    assert [p.number for p in paragraphs] == list(range(1, len(paragraphs) + 1))
    for p in paragraphs:
        assert article.text[p.start : p.end] == p.text


def test_long_paragraphs_split_at_sentence_boundaries():
    sentence = "The council approved the new budget after a long debate about schools and roads. "
    text = "Title line of the story\n\n" + sentence * 30
    paragraphs = ParagraphSplitter(SplitterSettings(max_paragraph_chars=400)).split("a", text)
    assert len(paragraphs) > 5
    for p in paragraphs:
        assert len(p.text) <= 400
        assert p.text.endswith("roads.")
        assert text[p.start : p.end] == p.text


def test_config_extends_caption_and_boilerplate_rules():
    text = (
        "First real paragraph of the story, which says something.\n\n"
        "A crowd of several hundred people gathers outside the parliament building on a rainy afternoon"
        " [Credit: Jane Doe]\n\n"
        "Sponsored: buy our newsletter today.\n\n"
        "Second real paragraph of the story."
    )
    default = [p.text for p in ParagraphSplitter().split("a", text)]
    assert len(default) == 4
    settings = SplitterSettings(caption_patterns=[r"\[Credit: [^\]]*\]$"], boilerplate_patterns=[r"^Sponsored:"])
    custom = [p.text for p in ParagraphSplitter(settings).split("a", text)]
    assert custom == ["First real paragraph of the story, which says something.", "Second real paragraph of the story."]


def test_a_byline_line_is_neither_a_paragraph_nor_context():
    text = ("Harbour works begin\n\nBy John Smith, Reuters.\n\nThe council approved the harbour repairs on Monday.\n\n"
            "By Tuesday the river had risen two metres.")
    paragraphs = ParagraphSplitter().split("harbour", text)
    assert [p.text for p in paragraphs] == ["The council approved the harbour repairs on Monday.",
                                            "By Tuesday the river had risen two metres."]
    assert paragraphs[0].context == "Harbour works begin"
    assert all(text[p.start:p.end] == p.text for p in paragraphs)
