"""The README keeps exactly two set-up commands, and CI runs its test command verbatim in a fresh environment."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
CI = (ROOT / ".ci" / "run").read_text()


def setup_commands() -> list[str]:
    """The commands of the README's fenced ``bash`` blocks that install something (``pip install``)."""
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("pip install")]


def test_the_readme_has_two_setup_commands_install_and_run_install_and_test():
    assert setup_commands() == ["pip install -r requirements.txt && streamlit run app.py",
                                "pip install -r requirements-dev.txt && python -m pytest"]


def test_ci_runs_the_readme_test_command_in_a_fresh_virtual_environment():
    lines = [line.strip() for line in CI.splitlines() if line.strip() and not line.strip().startswith("#")]
    test_command = setup_commands()[1]
    assert test_command in lines
    venv = lines.index("python3 -m venv .venv || exit 1")
    assert lines.index("rm -rf .venv") < venv < lines.index("source .venv/bin/activate || exit 1") < lines.index(
        test_command)
