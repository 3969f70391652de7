"""Sanity checks of the project itself."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from bot.client import extension_names

ROOT = Path(__file__).resolve().parents[2]


def test_every_extension_imports_and_has_setup() -> None:
    names = extension_names()
    assert {"cogs.setup", "cogs.resources", "cogs.meetings"} <= set(names)
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
