"""The code of the ``citebot eval ...`` commands: retrieval, extraction and summary evaluations on labelled data."""
