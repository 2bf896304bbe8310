"""Executable documentation: the README shows what the command line really does."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from compact_kg import __version__
from compact_kg.cli import cli
from compact_kg.paths import locate_home

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", README, re.S)
    assert match, f"README has no {name} block"
    return match.group(1)


def _console(block: str) -> tuple[list[str], list[str]]:
    """The `$ compact-kg ...` command and the output lines of a ```console block."""
    body = re.search(r"```console\n(.*?)```", block, re.S)
    assert body, "the block holds a ```console example"
    lines = body.group(1).rstrip("\n").splitlines()
    assert lines[0].startswith("$ compact-kg "), "the example starts with the command"
    return shlex.split(lines[0][len("$ compact-kg "):]), lines[1:]


def test_quickstart_is_exactly_two_commands():
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "compact-kg validate" in commands[0]
    assert commands[1] == "bash .ci/run"


def _command_names(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            names.extend(_command_names(command, f"{prefix}{name} "))
        else:
            names.append(f"{prefix}{name}")
    return names


@pytest.mark.parametrize("name", _command_names(cli))
def test_every_command_is_in_the_readme_table(name: str):
    table = _block("commands")
    assert f"`compact-kg {name}" in table, f"add `compact-kg {name}` to the README's command table"


@pytest.mark.parametrize("name", _command_names(cli))
def test_every_command_has_help(name: str):
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_the_validate_example_is_real_output():
    args, shown = _console(_block("validate"))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    actual = result.output.rstrip("\n").splitlines()
    head, tail = shown[:shown.index("...")], shown[shown.index("...") + 1:]
    assert actual[-len(tail):] == tail
    # The README shows what an installed package says; a checkout names itself instead.
    assert head == [f"data: package copy (compact-kg {__version__})"]
    assert actual[0] == f"data: {locate_home(cwd=Path.cwd()).describe()}"


def test_the_query_example_is_real_output():
    args, shown = _console(_block("query-example"))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n").splitlines() == shown
