"""An extracted tree to paragraphs ("blocks"): line breaks stay inside a paragraph, list items and table rows are
one line each, scripts are skipped, link-heavy blocks carry their link share, and a run of links inside a sentence
is told apart from the link it reads through."""

from __future__ import annotations

from lxml import etree

from retrieval.text.blocks import link_list_rest, tree_blocks


def test_lists_and_line_breaks_stay_inside_their_paragraph():
    root = etree.fromstring("<body><p>Path A: Iceland<lb/>Path B: Wales</p><list><item>One</item><item>Two</item>"
                            "</list><head>Next</head></body>")
    blocks = tree_blocks(root)
    assert [(b.kind, b.text) for b in blocks] == [
        ("p", "Path A: Iceland\nPath B: Wales"), ("list", "- One\n- Two"), ("head", "Next")
    ]


def test_tables_quotes_and_skipped_elements():
    root = etree.fromstring("<body><table><row><cell>Team</cell><cell>Goals</cell></row><row><cell>Leeds</cell>"
                            "<cell>3</cell></row></table><quote>He said so.</quote><script>var x;</script>"
                            "<p>Text <graphic src='x.png'/>after an image.</p></body>")
    assert [(b.kind, b.text) for b in tree_blocks(root)] == [
        ("table", "Team | Goals\nLeeds | 3"), ("quote", "He said so."), ("p", "Text after an image.")]


def test_a_block_of_links_has_a_high_link_share():
    root = etree.fromstring("<body><p><ref>Read more</ref> <ref>Other story</ref></p><p>Plain prose here.</p></body>")
    promo, prose = tree_blocks(root)
    assert promo.link_share > 0.8 and prose.link_share == 0.0


def test_a_run_of_links_keeps_only_its_first():
    el = etree.fromstring("<p>Rep. <a>Ilhan Omar</a><a>Ilhan Omar</a><a>headline</a> <a>MORE</a> (D-Minn.) and "
                          "<a>one</a>, <a>two</a></p>")
    links = el.findall("a")
    assert link_list_rest(el) == set(links[1:4])
