"""`feedsvc build OUT` never writes through a symlink and never deletes outside OUT.

The output folder may hold what an attacker or an earlier tool left there: a
symlinked folder, a symlink where a page goes, a manifest listing files
outside it. Each case runs the real command and checks the files outside.
"""

from __future__ import annotations

import os
from pathlib import Path

from test_build import build

from feedsvc.build import MANIFEST


def outside(tmp_path: Path) -> Path:
    """Return a folder outside OUT holding a file that must survive every build."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.txt").write_text("keep me")
    return folder


def test_a_symlinked_folder_in_out_is_refused_and_nothing_is_written_through_it(
    articles: Path, tmp_path: Path
) -> None:
    elsewhere = outside(tmp_path)
    out = tmp_path / "site"
    out.mkdir()
    (out / "articles").symlink_to(elsewhere)
    result = build(articles, out, "--quiet", check=False)
    assert result.returncode == 1
    assert f"{out / 'articles'} is a symlink or not a folder" in result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["victim.txt"]


def test_a_symlink_where_a_file_goes_is_replaced_not_followed(
    articles: Path, tmp_path: Path
) -> None:
    elsewhere = outside(tmp_path)
    out = tmp_path / "site"
    out.mkdir()
    (out / "feed.atom").symlink_to(elsewhere / "victim.txt")
    (out / "index.html.tmp").symlink_to(elsewhere / "victim.txt")
    (out / MANIFEST).symlink_to(elsewhere / "victim.txt")
    assert build(articles, out, "--quiet").returncode == 0
    assert (elsewhere / "victim.txt").read_text() == "keep me"
    for name in ("feed.atom", MANIFEST):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 100
    assert not (out / "index.html.tmp").exists()


def test_a_manifest_listing_files_outside_out_deletes_none_of_them(
    articles: Path, tmp_path: Path
) -> None:
    elsewhere = outside(tmp_path)
    out = tmp_path / "site"
    assert build(articles, out, "--quiet").returncode == 0
    (out / "link").symlink_to(elsewhere)
    (out / "stale.html").write_text("an old page")
    listed = [
        "../outside/victim.txt",
        str(elsewhere / "victim.txt"),
        "articles/../../outside/victim.txt",
        "link/victim.txt",
        "stale.html",
    ]
    with open(out / MANIFEST, "a") as manifest:
        manifest.write("".join(f"{name}\n" for name in listed))
    result = build(articles, out, "--quiet")
    assert result.returncode == 0
    assert (elsewhere / "victim.txt").read_text() == "keep me"
    assert not (out / "stale.html").exists()  # listed, below OUT: removed as before
    assert (out / "link").is_symlink()
    assert "'../outside/victim.txt' is not below" in result.stderr
    assert os.listdir(elsewhere) == ["victim.txt"]
