"""The license and the changelog that ship with the package agree with ``pyproject.toml``."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
UPL_TITLE = "The Universal Permissive License (UPL), Version 1.0"
#: Keep a Changelog's kinds of change.
CHANGE_KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def upl_text(license_text: str) -> str:
    """The UPL 1.0 terms in ``license_text``, from its title to its last word, one space apart."""
    start = license_text.index(UPL_TITLE)
    end = license_text.index("OTHER DEALINGS IN THE\nSOFTWARE.", start) + len(
        "OTHER DEALINGS IN THE\nSOFTWARE."
    )
    return " ".join(license_text[start:end].split())


def test_the_license_file_is_the_one_pyproject_names() -> None:
    assert PROJECT["license"] == "UPL-1.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("Copyright (c) ")


def test_the_license_is_the_upl_text_that_python_oracledb_ships() -> None:
    """python-oracledb, a dependency, is Oracle's own, dual-licensed under the UPL 1.0."""
    oracledb = distribution("oracledb")
    shipped = next(f for f in oracledb.files or [] if f.name == "LICENSE.txt")
    ours = upl_text((ROOT / "LICENSE").read_text(encoding="utf-8"))
    assert ours == upl_text(shipped.read_text(encoding="utf-8"))
    assert len(ours) > 1500


def test_the_changelog_keeps_unreleased_changes_above_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[(?P<version>[^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert releases[0] == ("Unreleased", "")
    assert releases[1][0] == PROJECT["version"], releases[1]
    assert releases[1][1], releases[1]  # a release date
    assert releases[-1][0] == "0.1.0"
    kinds = set(re.findall(r"^### (.+)$", text, re.M))
    assert kinds <= CHANGE_KINDS, kinds - CHANGE_KINDS
