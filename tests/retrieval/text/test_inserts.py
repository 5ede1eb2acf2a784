"""Teasers, pull quotes and embedded posts inside a page's body are not indexed (snippets from real pages)."""

from __future__ import annotations

from retrieval.text.blocks import Block
from retrieval.text.html import article_text, extract_page
from retrieval.text.inserts import drop_inserts, is_teaser
from retrieval.text.paragraphs import ParagraphSplitter

# Real paragraphs of a USA Today story (c58aa507c4de in ../shared/eval/extraction), with its inline teasers.
EPSTEIN = [
    "Many of the prisons, she said, are aging and need to be repaired. The failure of old camera systems prompted "
    "an effort to replace them at prisons around the country, including at the Manhattan detention center.",
    "<strong>Epstein's inner circle eyed: </strong>Jeffrey Epstein is dead. Prosecutors could still go after his "
    "inner circle if they helped him prey on young girls",
    "Three weeks before he died, Epstein had been found in his jail cell, semiconscious with bruises on his neck. "
    "That prompted authorities to put him on suicide watch.",
    "<strong>Internal memo: </strong>Federal prison guards falsified records of cell checks, inmate counts",
    "Read more: <a href='https://example.com/x'>Jail where Epstein died has a long history of problems</a>",
    "Experts on jail suicide told USA TODAY that an inmate can be removed from suicide watch only if a licensed "
    "mental health professional concludes the inmate is no longer at risk for attempting suicide.",
    "Updated at 1:23 p.m.",
]

# The Hill (156770d676ce): a tweet embedded between two paragraphs.
TWEET = (
    '<blockquote class="twitter-tweet"><p dir="ltr" lang="en">I love that they trademarked it. Don\'t worry, South '
    "Dakota, no one's going to take your slogan. <a href=\"https://t.co/XPxUJuyIAC\">https://t.co/XPxUJuyIAC</a></p>"
    "— Robert Maguire (@RobertMaguire_) <a href=\"https://twitter.com/RobertMaguire_/status/1\">November 18, 2019</a>"
    "</blockquote>"
)
SOUTH_DAKOTA = [
    "Another wondered why the state bothered to trademark the tagline in the first place.",
    TWEET,
    "The latest initiative comes as the state struggles to address its growing rate of methamphetamine use in "
    "recent years, particularly among its youth.",
    "The campaign, which includes both digital and TV ads, cost the state roughly $449,000, according to the Sioux "
    "Falls Argus Leader.",
]


def page(paragraphs: list[str], title: str = "Prison guards charged") -> str:
    body = "".join(p if p.startswith("<blockquote") else f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>{body}</article></body></html>")


def indexed(html: str) -> list[str]:
    page = extract_page(html, "https://example.org/news/story")
    return [p.text for p in ParagraphSplitter().split("story", article_text(page.blocks))]


def test_inline_teasers_and_stamps_are_not_indexed_but_the_story_is() -> None:
    texts = indexed(page(EPSTEIN))
    assert texts == [EPSTEIN[0], EPSTEIN[2], EPSTEIN[5]]


def test_an_embedded_tweet_is_not_indexed() -> None:
    texts = indexed(page(SOUTH_DAKOTA, "Meth campaign"))
    assert texts == [SOUTH_DAKOTA[0], SOUTH_DAKOTA[2], SOUTH_DAKOTA[3]]
    assert not any("@RobertMaguire_" in t or "trademarked it" in t for t in texts)


def test_a_hover_card_of_headlines_inside_a_sentence_is_cut_but_the_sentence_kept() -> None:
    # The Hill (6ebac05f637e): a name's link is followed by a card of its latest headlines and "MORE".
    lead = ('A New York man pleaded guilty to charges he threatened to kill Rep. <a href="/people/ilhan-omar">Ilhan '
            'Omar</a><span><a href="/people/ilhan-omar">Ilhan Omar</a><a href="/a">Progressives oppose spending '
            'stopgap measure over surveillance authority extension</a> <a href="/b">Omar asks court to apply '
            "'system of compassion' in sentencing man convicted of threatening her</a> "
            '<a href="/people/ilhan-omar">MORE</a></span> (D-Minn.), the U.S. Attorney’s Office for the Western '
            "District of New York announced Monday.")
    rest = ["Patrick Carlineo Jr., 55, could face up to 10 years in prison and have to pay $250,000 after pleading "
            "guilty to threatening to assault and murder a U.S. official and being a felon in possession of firearms."]
    texts = indexed(page([lead, *rest], "New York man pleads guilty"))
    assert texts[0] == ("A New York man pleaded guilty to charges he threatened to kill Rep. Ilhan Omar (D-Minn.), "
                        "the U.S. Attorney’s Office for the Western District of New York announced Monday.")


def test_a_pull_quote_repeating_the_body_is_dropped_and_the_paragraph_kept() -> None:
    # Slate (851498a2b9f4): the pull quote repeats words of the paragraph that carries the quote.
    body = ("No single example illustrates this better than The Dragon Waiting and its aftermath. As Gaiman put "
            "it, “Had he taken The Dragon Waiting and written a sequence of five books based in that world, with "
            "that power, he would’ve been George R.R. Martin.” Ford opted instead to write two Star Trek novels.")
    pull = ("“Had he taken The Dragon Waiting and written a sequence of five books based in that world, with that "
            "power, he would’ve been George R.R. Martin.” — Neil Gaiman")
    verge_pull = "This will be Hawley’s second film"
    verge = ("The fourth Star Trek movie will be Hawley’s second film. Lucy in the Sky, his debut, is a slightly "
             "more grounded story about a NASA astronaut dealing with life on Earth.")
    blocks = [Block("p", pull), Block("p", body), Block("quote", verge_pull), Block("p", verge)]
    assert drop_inserts(blocks) == [Block("p", body), Block("p", verge)]


def test_lines_that_look_alike_but_are_the_article_stay() -> None:
    keep = [
        Block("p", "Elizabeth A. Burton: Possession of methamphetamine, possession of a Schedule IV substance, held "
                   "in jail in lieu of $70,000 bond."),  # a charge list line ends like a sentence
        Block("p", "Portion Fix Containers: 1 Green, 1 Red, 1 Orange"),  # a label with figures, not a headline
        Block("p", "Portion Fix Containers: 1 Green, 1 Red, 1 Orange"),  # a listing may repeat a line
        Block("p", "Officers arrested Christopher D. Battin, 33, who resides at 2134 Caldwell Place, Harris said."),
        Block("head", "Clinching in November"),
        Block("p", "More than 30 staff vacancies were open at the facility, said Serene Gregg."),
    ]
    assert drop_inserts(keep) == keep
    assert is_teaser("RELATED: Jail where Epstein died has a long history of problems")
    assert is_teaser("Story continues below gallery") and not is_teaser("Story of the year: the harbour reopens.")
    assert not is_teaser("MORE THAN 30 people died in the blast on Monday, officials said")


def test_a_byline_block_is_dropped_but_a_sentence_starting_with_by_stays() -> None:
    story = [Block("p", "By JOHN SMITH | Staff writer"), Block("p", EPSTEIN[0]),
             Block("p", "By Tuesday the river had risen two metres."), Block("p", "By John Smith and Jane Doe.")]
    assert drop_inserts(story) == story[1:3]


def test_a_more_stories_label_goes_with_the_links_under_it_but_a_list_after_prose_stays() -> None:
    story = Block("p", "The harbour council agreed on Monday to look again at ferry fares after a long debate.")
    steps = Block("list", "- Check the timetable\n- Buy a ticket at the pier", 0.0)
    promo = [Block("p", "More Great WIRED Stories"),
             Block("list", "- The strange life of a coder\n- How to opt out of the sites that sell your data", 0.45)]
    assert drop_inserts([story, *promo]) == [story]
    assert drop_inserts([story, steps]) == [story, steps]
    assert drop_inserts([story, Block("p", "SUBSCRIBE")]) == [story]
