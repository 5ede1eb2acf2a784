"""Live sources: feeds, article URLs and folders, fetched politely and safely and turned into ``Article`` objects.

Public API (everything blocks: call it from a worker thread, never on an event loop)::

    client = HttpClient(FetchSettings(...))          # one per process; thread-safe
    make_client(config_or_settings) -> HttpClient    # from FetchSettings or anything with .fetch (bot Config)
    fetch_article(client, url, fallback=None) -> Article
        # fetch one page and extract its article; raises FetchError (.reason, .status, .gone for 404/410)
        # or NotAnArticle (.reason: too short, not HTML, no text). ``fallback``: a FeedEntry or PageFallback
        # whose fields fill what the page lacks. Article.meta.url = fetched URL after redirects, tracking
        # parameters stripped; Article.meta.article_id derives from the canonical URL (stable);
        # Article.aliases = url_key of the link, the fetched URL and the canonical URL.
    poll_feed(client, spec_or_url, etag=None, modified=None) -> FeedPoll(entries, etag, modified, not_modified,
        title)   # conditional GET; raises FetchError (also "not an RSS or Atom feed")
    collect(client, spec, state=None, progress=None) -> CollectResult(articles, failures, gone, skipped, etag,
        modified, not_modified, error)   # unpacks as ``articles, failures = collect(...)``; never raises for one bad
        # item: folder -> read_articles; url -> one page; feed -> each entry's page (max_items, keep_days,
        # state.known skipped unless state.refetch). failures: (url, FailureReason), a str with ``.gone``.
        # state: SourceState or a JSON-able dict {etag, modified, known: [url_key], refetch}; a dict is
        # updated in place with the new etag/modified.
    url_key(url) -> str          # identity of a URL (http/https, www, utm_*, AMP, trailing slash … folded)
    clean_url(url) -> str        # tracking parameters and fragment removed (what quotes link to)
    text_fragment_link(url, sentence) -> str   # url#:~:text=… opening the page at the quoted sentence
    article_id_for(url) -> str   # the stable article id for a page URL
    preview_paragraphs(article, splitter_settings=None) -> list[str]   # exactly what would be indexed
"""

# Names resolve on first use (PEP 562), so that reading the configuration (``spec``) does not load the HTTP
# client, feed parser and page extraction: `citebot ask` starts without them. (Once the submodule ``preview`` is
# imported, ``retrieval.sources.preview`` names that module: import the function from ``retrieval.sources.preview``.)
_LAZY = {
    "Feed": "feeds",
    "FeedEntry": "feeds",
    "parse_feed": "feeds",
    "CollectResult": "fetch",
    "FailureReason": "fetch",
    "FeedPoll": "fetch",
    "SourceState": "fetch",
    "collect": "fetch",
    "fetch_article": "fetch",
    "poll_feed": "fetch",
    "FetchError": "http",
    "HttpClient": "http",
    "Response": "http",
    "make_client": "http",
    "NotAnArticle": "pages",
    "PageFallback": "pages",
    "article_from_html": "pages",
    "article_id_for": "pages",
    "preview": "preview",
    "preview_paragraphs": "preview",
    "DEFAULT_CONTACT": "spec",
    "SOURCE_KINDS": "spec",
    "FetchSettings": "spec",
    "SourceSpec": "spec",
    "clean_url": "retrieval.text.urls",
    "text_fragment_link": "retrieval.text.urls",
    "url_key": "retrieval.text.urls",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module if "." in module else f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_CONTACT", "SOURCE_KINDS", "CollectResult", "FailureReason", "Feed", "FeedEntry", "FeedPoll", "FetchError",
    "FetchSettings", "HttpClient", "NotAnArticle", "PageFallback", "Response", "SourceSpec", "SourceState",
    "article_from_html", "article_id_for", "clean_url", "collect", "fetch_article", "make_client", "parse_feed",
    "poll_feed", "preview", "preview_paragraphs", "text_fragment_link", "url_key",
]
