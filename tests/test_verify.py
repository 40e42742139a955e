"""`wtkb verify`: a document added by hand becomes Official only by its checksum pinned in sources.toml.

The pinning itself (``ingest.provenance.pin_sha256``) is plain file work, tested fast; the command is
tested end to end over a real index: Not verified → verify → rebuild → Official.
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib

import pytest
from typer.testing import CliRunner

from ingest.provenance import load_sources, pin_sha256
from ingest.records import IngestError

SHA = "a" * 64
MANIFEST = """# Our official documents (a comment that must survive)

[[source]]
id = "local-guide"   # the county's guide
title = "Local guide"
official = true

[[source]]
id = "other"
title = "Other"
official = false
"""


def test_a_pin_is_added_under_an_existing_entry_and_the_rest_is_kept(tmp_path):
    manifest = tmp_path / "sources.toml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    assert pin_sha256(manifest, "local-guide", SHA) == "pinned"
    text = manifest.read_text(encoding="utf-8")
    assert "# Our official documents (a comment that must survive)" in text and "# the county's guide" in text
    assert load_sources(manifest)["local-guide"]["sha256"] == SHA
    assert pin_sha256(manifest, "local-guide", SHA) == "already pinned"
    with pytest.raises(IngestError, match="already pins another sha256"):
        pin_sha256(manifest, "local-guide", "b" * 64)
    with pytest.raises(IngestError, match="official = false"):
        pin_sha256(manifest, "other", SHA)


def test_a_document_without_an_entry_gets_one_and_bad_input_changes_nothing(tmp_path):
    manifest = tmp_path / "sources.toml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    title = 'A "quoted" title \\ with a backslash'
    assert pin_sha256(manifest, "new-doc", SHA, title=title, kind="framework") == "added"
    entry = load_sources(manifest)["new-doc"]
    assert entry == {"id": "new-doc", "title": title, "kind": "framework", "official": True, "sha256": SHA}
    before = manifest.read_text(encoding="utf-8")
    for doc_id, sha in (("../x", SHA), ("new-doc-2", "not-a-hash")):
        with pytest.raises(IngestError):
            pin_sha256(manifest, doc_id, sha)
    assert manifest.read_text(encoding="utf-8") == before
    fresh = tmp_path / "none" / "sources.toml"
    fresh.parent.mkdir()
    assert pin_sha256(fresh, "doc", SHA) == "added" and tomllib.loads(fresh.read_text())["source"][0]["id"] == "doc"


@pytest.mark.slow
def test_verify_makes_a_hand_added_document_official_after_a_rebuild(tmp_path, fixture_pdf, embedder):
    import index
    from wtkb.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf = corpus / "local-procedures.pdf"
    shutil.copy(fixture_pdf[0], pdf)
    manifest = tmp_path / "sources.toml"
    settings = index.load_settings(index_dir=tmp_path / "index", corpus_dirs=(corpus,), sources_file=manifest)
    index.build(settings, embedder=embedder)
    assert [d.badge for d in index.info(settings).sources] == ["Not verified"]
    env = {"WTKB_INDEX_DIR": str(settings.index_dir), "WTKB_SOURCES_FILE": str(manifest),
           "WTKB_CORPUS_DIRS": str(corpus)}
    runner = CliRunner()
    wrong = runner.invoke(app, ["verify", "local-procedures", "--sha256", SHA], env=env)
    assert wrong.exit_code == 1 and "does not match" in wrong.output and not manifest.exists()
    unsure = runner.invoke(app, ["verify", "local-procedures"], env=env)
    assert unsure.exit_code == 1 and "--yes" in unsure.output and not manifest.exists()
    missing = runner.invoke(app, ["verify", "nope"], env=env)
    assert missing.exit_code == 1 and "not verified: local-procedures" in missing.output
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    done = runner.invoke(app, ["verify", "local-procedures", "--sha256", sha], env=env)
    assert done.exit_code == 0, done.output
    assert load_sources(manifest)["local-procedures"]["sha256"] == sha
    index.build(settings, embedder=embedder)
    assert [d.badge for d in index.info(settings).sources] == ["Official"]
    again = runner.invoke(app, ["verify", "local-procedures", "--yes"], env=env)
    assert again.exit_code == 0 and "already Official" in again.output
