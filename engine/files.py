"""Writing files so that a reader never sees half of one: the one atomic text writer."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_MARK = ".lphedge-tmp-"
"""Part of the name of every temporary file or folder lphedge writes beside its outputs."""


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file in the same folder and one rename:
    a crash leaves either the old file or the new one, never a mix. The temporary file is removed
    when the write fails; the new file gets the permissions of any newly created file."""
    tmp = path.with_name(f".{path.name}{TMP_MARK}{secrets.token_hex(4)}")
    try:
        with tmp.open("x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
