"""Settings objects: each instance owns its lists (one config's extra patterns never leak into another's)."""

from retrieval.settings import SplitterSettings


def test_pattern_lists_are_not_shared_between_instances():
    one, other = SplitterSettings(), SplitterSettings()
    one.caption_patterns.append("^Photo:")
    one.boilerplate_patterns.append("^Subscribe")
    assert other.caption_patterns == [] and other.boilerplate_patterns == []
