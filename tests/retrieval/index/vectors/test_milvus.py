"""The Milvus index, on a real milvus-lite file (no Milvus server is installed here, so the server ``uri`` path is
untested): bad names and a dimension mismatch are clear errors, a repeated id keeps its last vector, filters apply
inside the search, and a save is found again in its folder."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.vectors.milvus import LITE_FILE, MilvusIndex


def test_settings_errors_are_named():
    with pytest.raises(ValueError, match="needs a server uri or a folder"):
        MilvusIndex(4)


def test_a_bad_collection_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a valid Milvus collection name: 'my-paragraphs'"):
        MilvusIndex(4, folder=tmp_path, collection="my-paragraphs")


def test_milvus_lite_round_trip(tmp_path):
    folder = tmp_path / "vectors"
    index = MilvusIndex(4, folder=folder)
    try:
        assert (folder / LITE_FILE).exists()
        eye = np.eye(4, dtype=np.float32)
        index.upsert([5, 6, 5], [eye[0], eye[1], eye[2]])  # id 5 repeated: its last vector wins
        assert index.count == 2 and np.allclose(index.vectors_of([5]), eye[2])
        ids, _ = index.search(eye[2], 1, allowed=[6])
        assert ids.tolist() == [6]
        index.info["model"] = "minilm"
        index.save(folder)
        with pytest.raises(ValueError, match="holds 4-dimensional vectors, the model gives 8"):
            MilvusIndex(8, folder=folder)
        again = MilvusIndex.load(folder)
        assert again.count == 2 and again.info == {"model": "minilm"} and again.delete([5, 7]) == 1
    finally:
        index.close()
