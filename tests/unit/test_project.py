"""Sanity checks of the project itself."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from bot import privacy
from bot.client import extension_names

ROOT = Path(__file__).resolve().parents[2]


def test_every_extension_imports_and_has_setup() -> None:
    names = extension_names()
    assert {"cogs.setup", "cogs.resources", "cogs.meetings", "cogs.privacy"} <= set(names)
    for name in names:
        module = importlib.import_module(name)
        assert callable(getattr(module, "setup", None)), f"{name} has no setup(bot)"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.+?)\n```", readme)
    test_command = commands[1]
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_services_never_import_discord() -> None:
    paths = list((ROOT / "bot" / "services").rglob("*.py"))
    assert any(p.parent.name == "meetings" for p in paths)  # areas live in packages: they are looked into
    for path in paths:
        assert not re.search(r"^\s*(import|from) discord", path.read_text(), re.M), path.name


def test_docs_privacy_describes_every_area_in_the_words_privacy_info_shows() -> None:
    page = (ROOT / "docs" / "PRIVACY.md").read_text()
    for area in privacy.areas():
        assert f"### {area.name}" in page, f"docs/PRIVACY.md has no section for {area.name}"
        for words in (area.stored, area.encrypted, area.who_sees, area.kept_for):
            assert words in page, f"docs/PRIVACY.md does not say, for {area.name}: {words}"


def test_the_docs_name_no_file_outside_the_repository() -> None:
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        assert not re.search(r"\.\./(shared|\.library)|DESIGN\.md", page.read_text()), page.name
