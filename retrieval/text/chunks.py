"""An article body split into sibling chunks: the chunks the extractor left out, put back.

Many sites cut an article's body into several containers of one kind, with ads or embeds between them (Wired's
``div.body__container`` chunks, for one); the extractor keeps the chunk it judged the main text and drops the others,
so half an article goes unindexed. The body's container is the one holding most of the extracted paragraphs; every
other element of the same tag and class on the page is a chunk of the same body, and its paragraphs go back in
document order between the chunks around it.
"""

from __future__ import annotations

from collections import Counter

from retrieval.text.blocks import Block, text_key, tree_blocks

MIN_MATCHED = 3  # extracted paragraphs found in one container before it counts as the body's container
MIN_CHUNK_WORDS = 25  # a chunk with fewer words of prose is furniture (a caption, a byline), not body text
MAX_LEVELS = 3  # a chunk's common ancestor with the body's container lies at most this many levels above it


def _signature(el) -> tuple[str, str] | None:
    """A container's tag and class, the mark of its sibling chunks (None without a class: too common to match)."""
    tag, cls = el.tag, " ".join((el.get("class") or "").split())
    return (tag, cls) if isinstance(tag, str) and cls else None


def body_chunks(root, blocks: list[Block]) -> list:
    """The containers of the body's chunks, in document order: the elements sharing the tag and class of the one
    holding most of ``blocks`` (the extracted paragraphs) and lying in the same article (a common ancestor at most
    :data:`MAX_LEVELS` above it) — none when fewer than two such elements exist."""
    keys = {text_key(b.text) for b in blocks if b.text}
    homes = [p.getparent() for p in root.iter("p")  # the containers of the extracted paragraphs found on the page
             if p.getparent() is not None and text_key(p.text_content()) in keys]
    counts = Counter(sig for sig in map(_signature, homes) if sig)
    if not counts:
        return []
    signature, matched = counts.most_common(1)[0]
    if matched < MIN_MATCHED:
        return []
    main = max((el for el in homes if _signature(el) == signature), key=lambda el: len(el.text_content()))
    near = set(list(main.iterancestors())[:MAX_LEVELS])  # the article around it, not the page's sidebars
    chunks = [el for el in root.iter(signature[0]) if _signature(el) == signature
              and (el is main or near & set(el.iterancestors()))]
    # a chunk nested in another is read with it
    chunks = [el for el in chunks if not any(a in chunks for a in el.iterancestors())]
    return chunks if len(chunks) > 1 else []


def with_sibling_chunks(root, blocks: list[Block], max_link_share: float) -> list[Block]:
    """``blocks`` with the paragraphs of the body's chunks they lack, each chunk's put after the blocks of the
    chunks before it (see module doc); ``root``: the page's parsed HTML."""
    chunks = body_chunks(root, blocks)
    if not chunks:
        return blocks
    per_chunk = [[(b, text_key(b.text)) for b in tree_blocks(chunk) if b.link_share <= max_link_share]
                 for chunk in chunks]
    home = {}  # paragraph key -> the chunk holding it
    for n, keyed in enumerate(per_chunk):
        for _, key in keyed:
            home.setdefault(key, n)
    out = [(b, text_key(b.text)) for b in blocks]
    contributed = {home.get(key) for _, key in out}  # chunks the extractor already took paragraphs from
    seen = {key for _, key in out}
    for n, keyed in enumerate(per_chunk):
        missing = [(b, key) for b, key in keyed if key and key not in seen]
        if not missing or n in contributed:
            continue
        prose = sum(len(key.split()) for b, key in missing if b.kind in ("p", "quote", "list"))
        if prose < MIN_CHUNK_WORDS:
            continue
        placed = [home.get(key) for _, key in out]
        before = [i for i, c in enumerate(placed) if c is not None and c < n]
        after = [i for i, c in enumerate(placed) if c is not None and c > n]
        at = before[-1] + 1 if before else (after[0] if after else len(out))
        out[at:at] = missing
        seen.update(key for _, key in missing)
    return [b for b, _ in out]
