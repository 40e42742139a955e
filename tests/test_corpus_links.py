"""Corpus files are read only from inside the corpus folder (issue 22, item 3).

A symlink that resolves outside the folder it was found in (a private file,
/etc/passwd, a folder elsewhere) is skipped with one line naming it, unless
Settings.follow_links_outside_corpus allows it. Real files and links on disk,
made here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import discover
from ingest.config import SettingsError, load_settings

BODY = "## Section\n\nA paragraph of ordinary guidance text about sharing information.\n"
SECRET = "## Private\n\nThe private key of the person running the build.\n"


@pytest.fixture()
def layout(tmp_path):
    """corpus/ with a real note, and outside/ holding a private file and a folder of notes."""
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    corpus.mkdir()
    (corpus / "real.md").write_text(BODY)
    (outside / "secret.md").write_text(SECRET)
    (outside / "folder" / "other.md").write_text(SECRET)
    return corpus, outside


def names(files) -> list[str]:
    return sorted(p.name for p in files)


def skipped(warnings, link: Path) -> list[str]:
    return [w for w in warnings if w.startswith(str(link)) and "outside the corpus folder" in w]


def test_a_file_link_to_outside_is_skipped_with_one_line(layout):
    corpus, outside = layout
    (corpus / "passwd.md").symlink_to(outside / "secret.md")
    (corpus / "etc.txt").symlink_to("/etc/passwd")
    files, warnings = discover([corpus])
    assert names(files) == ["real.md"]
    for link in (corpus / "passwd.md", corpus / "etc.txt"):
        line = skipped(warnings, link)
        assert len(line) == 1 and "\n" not in line[0] and "WTKB_FOLLOW_LINKS_OUTSIDE_CORPUS" in line[0]


def test_a_relative_link_climbing_out_is_skipped(layout):
    corpus, _ = layout
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up.md").symlink_to("../../outside/secret.md")
    files, warnings = discover([corpus])
    assert names(files) == ["real.md"] and skipped(warnings, corpus / "sub" / "up.md")


def test_a_folder_link_to_outside_is_not_walked(layout):
    corpus, outside = layout
    (corpus / "linked").symlink_to(outside / "folder", target_is_directory=True)
    (corpus / "home").symlink_to(outside, target_is_directory=True)
    files, warnings = discover([corpus])
    assert names(files) == ["real.md"]
    assert skipped(warnings, corpus / "linked") and skipped(warnings, corpus / "home")


def test_a_link_to_outside_through_a_linked_folder_inside_is_skipped(layout):
    corpus, outside = layout
    (corpus / "a").mkdir()
    (corpus / "a" / "leak.md").symlink_to(outside / "secret.md")
    (corpus / "b").symlink_to(corpus / "a", target_is_directory=True)  # inside: followed once
    files, warnings = discover([corpus])
    assert names(files) == ["real.md"]
    assert skipped(warnings, corpus / "a" / "leak.md")


def test_links_that_stay_inside_are_read(layout):
    corpus, _ = layout
    (corpus / "sub").mkdir()
    (corpus / "sub" / "alias.md").symlink_to("../real.md")
    (corpus / "again").symlink_to(corpus / "sub", target_is_directory=True)
    files, warnings = discover([corpus])
    assert names(files) == ["alias.md", "real.md"]
    assert not [w for w in warnings if "outside" in w]


def test_a_linked_corpus_folder_itself_is_its_own_root(layout, tmp_path):
    corpus, _ = layout
    (tmp_path / "entry").symlink_to(corpus, target_is_directory=True)
    files, warnings = discover([tmp_path / "entry"])
    assert names(files) == ["real.md"] and not warnings


def test_a_file_named_on_the_command_line_is_read_wherever_it_is(layout):
    _, outside = layout
    link = outside.parent / "chosen.md"
    link.symlink_to(outside / "secret.md")
    files, warnings = discover([link])
    assert files == [link] and not warnings


def test_the_setting_allows_links_outside(layout, monkeypatch):
    corpus, outside = layout
    (corpus / "passwd.md").symlink_to(outside / "secret.md")
    (corpus / "linked").symlink_to(outside / "folder", target_is_directory=True)
    files, _ = discover([corpus], outside_links=True)
    assert names(files) == ["other.md", "passwd.md", "real.md"]
    assert load_settings().follow_links_outside_corpus is False
    monkeypatch.setenv("WTKB_FOLLOW_LINKS_OUTSIDE_CORPUS", "1")
    assert load_settings().follow_links_outside_corpus is True
    monkeypatch.setenv("WTKB_FOLLOW_LINKS_OUTSIDE_CORPUS", "perhaps")
    with pytest.raises(SettingsError, match="WTKB_FOLLOW_LINKS_OUTSIDE_CORPUS"):
        load_settings()


def test_a_dangling_link_is_one_line_not_an_error(layout):
    corpus, _ = layout
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    (corpus / "gone-out.md").symlink_to("/nonexistent-wtkb/x.md")
    files, warnings = discover([corpus])
    assert names(files) == ["real.md"]
    assert any(w.startswith(str(corpus / "gone.md")) for w in warnings)
    assert skipped(warnings, corpus / "gone-out.md")

