"""Hostile YAML: scenario files and option values that only a mistake or an attack makes.

Each case is (file contents or None, command-line arguments, message fragment): the command must
exit 2 with one `error:` line naming the input and what is wrong, and print nothing on stdout
(an alias bomb that a regression expanded would take gigabytes and minutes before its error
line, which could then not name the alias).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import cli
from engine.scenario.yaml_input import MAX_DEPTH, MAX_SCENARIO_BYTES


def _alias_bomb() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join([*lines, "name: *i", ""])


NOT_UTF8 = "name: caf\udce9\n"  # the byte 0xe9 alone (latin-1 "é"), written with surrogateescape
BLOCK_DEEP = "".join(f"{' ' * depth}k{depth}:\n" for depth in range(MAX_DEPTH + 5)) + " " * 60 + "1"

CASES: dict[str, tuple[str | None, list[str], str]] = {
    "file not utf-8": (NOT_UTF8, ["validate", "{file}"], "is not UTF-8 text (byte 0xe9 at line 1)"),
    "file nested 20,000 deep (flow)": (
        "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
        ["validate", "{file}"],
        f"nests deeper than {MAX_DEPTH} levels",
    ),
    "file nested deep (block mappings)": (
        BLOCK_DEEP,
        ["validate", "{file}"],
        f"nests deeper than {MAX_DEPTH} levels",
    ),
    "file repeats a key": (
        "hedge: {leverage: 3, leverage: 50}\n",
        ["validate", "{file}"],
        "repeats the key 'leverage' in one mapping",
    ),
    "file repeats a top-level key": (
        "paths: 100\npaths: 200\n",
        ["validate", "{file}"],
        "repeats the key 'paths' in one mapping (YAML would keep the last value silently) (line 2)",
    ),
    "file alias bomb": (_alias_bomb(), ["validate", "{file}"], "uses the alias *a"),
    "file too large": (
        "# " + "x" * MAX_SCENARIO_BYTES + "\nname: big\n",
        ["validate", "{file}"],
        f"a scenario file is at most {MAX_SCENARIO_BYTES:,}",
    ),
    "--set alias": (None, ["validate", "default", "--set", "name=*a"], "value uses the alias *a"),
    "--set repeated key": (
        None,
        ["validate", "default", "--set", "hedge={leverage: 3, leverage: 5}"],
        "value repeats the key 'leverage'",
    ),
    "--set deep value": (
        None,
        ["validate", "default", "--set", "name=" + "[" * 1000 + "]" * 1000],
        "value nests deeper than",
    ),
    "--grid alias": (
        None,
        ["sweep", "default", "--grid", "hedge.leverage=2,*x", "--paths", "10"],
        "value uses the alias *x",
    ),
    "--grid date-like value": (
        None,
        ["sweep", "default", "--grid", "hedge.leverage=2022-13-01", "--paths", "10"],
        "value is not valid YAML",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_yaml_is_one_error_line(name: str, tmp_path: Path) -> None:
    contents, args, fragment = CASES[name]
    if contents is not None:
        path = tmp_path / "s.yaml"
        path.write_bytes(contents.encode("utf-8", "surrogateescape"))
        args = [str(path) if a == "{file}" else a for a in args]
    result = CliRunner().invoke(
        cli.app, [*args, "--out", str(tmp_path / "out")] if args[0] == "sweep" else args
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]
    assert len(lines[0]) < 400  # values are quoted by a short prefix only
    assert not (tmp_path / "out").exists()


def test_plain_scenarios_still_load(tmp_path: Path) -> None:
    """The bounds refuse nothing a scenario needs: the shipped files, anchors without aliases,
    and keys repeated in different mappings."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: ok\nhedge: &h {leverage: 3}\npool: {fees: {model: apr}}\nmarket: {spot: 3000}\n",
        encoding="utf-8",
    )
    assert CliRunner().invoke(cli.app, ["validate", str(path)]).exit_code == 0
    assert CliRunner().invoke(cli.app, ["validate", "default"]).exit_code == 0
