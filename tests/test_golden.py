"""Golden outputs: every per-path output of every shipped scenario and lane-kernel case, for each
kernel that applies, has the SHA-256 digest stored in `tests/golden/digests.json`.

A refactor changes no digest. A change that moves a number on purpose rewrites the file with
`python tests/golden_outputs.py --write`, in a commit of its own that says which numbers moved and
why (see `tests/golden_outputs.py`).
"""

from __future__ import annotations

import pytest
from golden_outputs import compute, stored


@pytest.fixture(scope="module")
def digests() -> dict[str, dict[str, str]]:
    return compute()


def test_the_same_cases_are_digested(digests: dict[str, dict[str, str]]) -> None:
    assert sorted(digests) == sorted(stored())


def test_every_output_has_its_golden_digest(digests: dict[str, dict[str, str]]) -> None:
    golden = stored()
    moved = [
        f"{case}: {name}"
        for case, outputs in sorted(digests.items())
        for name, digest in sorted(outputs.items())
        if golden.get(case, {}).get(name) != digest
    ]
    missing = [
        f"{case}: {name}"
        for case, outputs in sorted(golden.items())
        for name in sorted(outputs)
        if name not in digests.get(case, {})
    ]
    assert not moved and not missing, f"moved: {moved[:20]}; missing: {missing[:20]}"


def test_both_kernels_agree_wherever_both_apply(digests: dict[str, dict[str, str]]) -> None:
    pairs = [c.rsplit("/", 1)[0] for c in digests if c.endswith("/lanes")]
    assert pairs
    for case in pairs:
        assert digests[f"{case}/general"] == digests[f"{case}/lanes"], case
