"""The landing-zone event trigger on a real folder: stable files are claimed (moved, never
deleted) exactly once; temporary names and files still being written are left alone."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from include.triggers import LandingZoneTrigger, is_candidate


async def _events(trigger: LandingZoneTrigger, count: int, timeout: float) -> list[dict]:
    found = []

    async def collect() -> None:
        async for event in trigger.run():
            found.append(event.payload)
            if len(found) == count:
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(collect(), timeout)
    return found


def _trigger(tmp_path: Path) -> LandingZoneTrigger:
    return LandingZoneTrigger(
        directory=str(tmp_path / "landing"),
        inbox=str(tmp_path / "inbox"),
        poll_seconds=0.05,
        stable_seconds=0.3,
    )


def test_claims_stable_files_once_and_keeps_bytes(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.csv").write_text("x,y\n1,2\n")
    (landing / "b.jsonl").write_text('{"x": 1}\n')
    events = asyncio.run(_events(_trigger(tmp_path), count=3, timeout=2.0))
    assert sorted(e["name"] for e in events) == ["a.csv", "b.jsonl"]
    assert list(landing.iterdir()) == []
    for event in events:
        claimed = Path(event["path"])
        assert claimed.parent == tmp_path / "inbox" and claimed.name.endswith(event["name"])
        assert claimed.stat().st_size == event["size_bytes"]
    assert {Path(e["path"]).read_text() for e in events} == {"x,y\n1,2\n", '{"x": 1}\n'}


def test_ignores_temporary_names_and_growing_files(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "history" / "2026-01-01").mkdir(parents=True)
    (landing / "upload.csv.part").write_text("x\n1\n")
    (landing / ".hidden.csv").write_text("x\n1\n")
    (landing / "history" / "2026-01-01" / "old.csv").write_text("x\n1\n")
    growing = landing / "growing.csv"
    growing.write_text("x\n")

    async def scenario() -> list[dict]:
        trigger = _trigger(tmp_path)
        task = asyncio.ensure_future(_events(trigger, count=1, timeout=3.0))
        for i in range(10):  # keeps changing for ~1 s: must not be claimed meanwhile
            await asyncio.sleep(0.1)
            with open(growing, "a") as handle:
                handle.write(f"{i}\n")
            os.utime(growing)
            assert growing.exists()
        return await task

    events = asyncio.run(scenario())
    assert [e["name"] for e in events] == ["growing.csv"]
    assert Path(events[0]["path"]).read_text().count("\n") == 11
    assert sorted(p.name for p in landing.iterdir()) == [".hidden.csv", "history", "upload.csv.part"]


def test_candidate_names() -> None:
    assert is_candidate(Path("patients.csv"))
    assert not is_candidate(Path("patients.csv.tmp"))
    assert not is_candidate(Path("~lock.csv"))


def test_serialize_round_trip(tmp_path: Path) -> None:
    classpath, kwargs = _trigger(tmp_path).serialize()
    assert classpath == "include.triggers.LandingZoneTrigger"
    assert LandingZoneTrigger(**kwargs).serialize() == (classpath, kwargs)
