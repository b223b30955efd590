"""Atomic writers: outputs get the mode the umask says, not the temporary file's 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.core import io


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077], ids=oct)
def test_written_files_follow_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        written = [io.write_text("x", tmp_path / "a.txt"), io.write_json({"a": 1}, tmp_path / "a.json"),
                   io.write_csv(pd.DataFrame({"a": [1]}), tmp_path / "a.csv"),
                   io.write_bytes(b"x", tmp_path / "a.bin")]
        plain = tmp_path / "plain.txt"
        plain.write_text("x")  # what an ordinary open() gives
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert stat.S_IMODE(plain.stat().st_mode) == expected
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == expected, path.name


def test_no_temporary_file_is_left_after_a_failed_write(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), io.atomic_open(tmp_path / "x.txt") as fh:
        fh.write("half")
        raise RuntimeError("planted")
    assert list(tmp_path.iterdir()) == []
