"""A malformed `--scheduler` address is the user's input, not an lphedge bug: exit 2 with one
`error:` line naming the option and the value, and no output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import cli


@pytest.mark.parametrize(
    ("address", "fragment"),
    [
        ("notanaddress", "missing port number"),
        ("tcp://127.0.0.1:notaport", "invalid literal for int()"),
        ("foo://h:8786", "unknown address scheme 'foo'"),
    ],
)
def test_a_malformed_scheduler_address_is_an_input_error(
    address: str, fragment: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["run", "--paths", "100", "--scheduler", address, "--out", str(out), "--quiet"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: --scheduler = '{address}': is not a scheduler address")
    assert fragment in errors[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
