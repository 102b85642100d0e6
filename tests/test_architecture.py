"""The code's shape, checked: the apps' import arrows (import-linter, `pyproject.toml`)."""

import subprocess
import sys

from tests.conftest import ROOT


def test_the_apps_import_one_way_and_shared_modules_import_no_app():
    """experts <- marketplace <- projects <- billing, and the modules every app shares (files,
    publishing, tokens, ...) import none of them. A new import the wrong way fails here; the
    ignores in pyproject.toml are the old ones, removed as they are fixed."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--config",
            "pyproject.toml",
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout
