from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from chalicelib import clock


def test_now_is_aware_and_in_shanghai() -> None:
    now = clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(hours=8)


def test_freeze_and_advance() -> None:
    moment = datetime(2027, 1, 20, 9, 0, tzinfo=clock.SHANGHAI)
    clock.freeze(moment)
    try:
        assert clock.now() == moment
        assert clock.advance(timedelta(minutes=30)) == moment + timedelta(minutes=30)
        assert clock.iso() == "2027-01-20T09:30:00.000000+08:00"
    finally:
        clock.reset()
    assert clock.now() != moment


def test_freeze_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        clock.freeze(datetime(2027, 1, 1))


def test_local_offset_file_moves_every_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_CLOCK_FILE", str(tmp_path / "clock.json"))
    before = clock.now()
    clock.set_local_offset(timedelta(hours=2))
    assert clock.offset() == timedelta(hours=2)
    assert clock.now() - before >= timedelta(hours=2)
    clock.set_local_offset(timedelta(hours=5))
    assert clock.offset() == timedelta(hours=5)


def test_iso_strings_sort_in_time_order() -> None:
    base = datetime(2027, 1, 20, 9, 0, tzinfo=clock.SHANGHAI)
    stamps = [clock.iso(base + timedelta(microseconds=n)) for n in (0, 1, 999_999, 1_000_000)]
    assert stamps == sorted(stamps)
