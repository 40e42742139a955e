"""An index naming a model this install cannot load says so in one line (issue 22, item 9).

Model-free: each case fails before any model would be read, the way a query on
a hand-edited or copied index does. tests/test_hardening_cli.py runs the same
through `wtkb ask` and the app over a real index.
"""

from __future__ import annotations

import pytest

from index import Embedder, ModelError


@pytest.fixture()
def onnx_file(tmp_path):
    f = tmp_path / "encoder.onnx"
    f.write_bytes(b"an ONNX export of another model")
    return f


@pytest.mark.parametrize("name", ["sentence-transformers/all-mpnet-base-v2", "no-such-model", "/nowhere/model"])
def test_a_model_that_is_not_here_is_one_line_naming_it(name, onnx_file):
    with pytest.raises(ModelError) as e:
        Embedder(name, onnx_path=onnx_file, dim=384).encode(["what does the LADO do?"])
    msg = str(e.value)
    assert f"'{name}'" in msg and "`wtkb build`" in msg and "\n" not in msg, msg


def test_a_folder_that_is_not_a_model_is_one_line_naming_it(tmp_path, onnx_file):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    with pytest.raises(ModelError) as e:
        Embedder(str(folder), onnx_path=onnx_file, dim=384).encode(["x"])
    assert str(folder) in str(e.value) and "`wtkb build`" in str(e.value)


def test_choosing_a_model_to_build_with_keeps_its_own_advice():
    """Without an index (no dim), a bad --model is still about the option, not a rebuild."""
    with pytest.raises(ModelError) as e:
        Embedder("no-such-model")
    assert "--model" in str(e.value) and "wtkb build" not in str(e.value)
