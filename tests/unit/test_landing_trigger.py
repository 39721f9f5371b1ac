"""The landing-zone event trigger on a real folder: stable files are claimed (moved, never
deleted) exactly once; temporary names and files still being written are left alone."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from include.triggers import LandingZoneTrigger, is_candidate, safe_name, take_for_run, waiting_in_inbox


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


def test_hostile_names_are_made_safe() -> None:
    assert safe_name("patients.csv") == "patients.csv"
    assert safe_name("a;rm -rf ~;$(reboot)`id`|x>&y.csv") == "a_rm_-rf_____reboot__id__x__y.csv"
    assert safe_name("invoice\u202ecsv.exe") == "invoice_csv.exe"  # a right-to-left override
    assert safe_name("．．／etc／passwd.csv") == ".._etc_passwd.csv"  # fullwidth dots and slashes
    assert safe_name("zero\u200bwidth\nnew.csv") == "zero_width_new.csv"
    assert safe_name("bad\udcffbyte.csv") == "bad_byte.csv"  # an undecodable byte (surrogateescape)
    assert safe_name("x" * 300 + ".csv").endswith("x.csv") and len(safe_name("x" * 300 + ".csv")) == 120


def test_hostile_entries_are_claimed_without_following_them(tmp_path: Path) -> None:
    """A metacharacter name goes on under a safe name; a symlink and a hard link are moved as they
    are (register refuses them); the outside file they point at is never touched."""
    landing = tmp_path / "landing"
    landing.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the platform\n")
    os.chmod(outside, 0o644)
    (landing / "$(id);x.csv").write_text("x,y\n1,2\n")
    (landing / "link.csv").symlink_to(outside)
    os.link(outside, landing / "hard.csv")
    events = asyncio.run(_events(_trigger(tmp_path), count=3, timeout=2.0))
    by_name = {e["name"]: e for e in events}
    assert sorted(by_name) == ["__id__x.csv", "hard.csv", "link.csv"]
    assert by_name["__id__x.csv"]["renamed_from"] == repr("$(id);x.csv")
    assert Path(by_name["link.csv"]["path"]).is_symlink()
    assert os.stat(by_name["hard.csv"]["path"]).st_nlink == 2
    assert outside.read_text() == "not for the platform\n" and os.stat(outside).st_mode & 0o777 == 0o644
    assert list(landing.iterdir()) == []


def test_a_drop_larger_than_a_run_waits_in_the_landing_zone(tmp_path: Path) -> None:
    landing, inbox = tmp_path / "landing", tmp_path / "inbox"
    landing.mkdir()
    for i in range(7):
        (landing / f"f{i}.csv").write_text("x\n1\n")
    trigger = LandingZoneTrigger(directory=str(landing), inbox=str(inbox), poll_seconds=0.05,
                                 stable_seconds=0.1, max_waiting=3)  # fmt: skip
    events = asyncio.run(_events(trigger, count=4, timeout=1.0))
    assert len(events) == 3 and len(list(landing.iterdir())) == 4, "no more than max_waiting claimed"
    taken = take_for_run([e["path"] for e in events], inbox=inbox, run_id="run/1", max_files=2)
    assert len(taken) == 2 and all(Path(p).parent == inbox / "run_1" for p in taken)
    assert len(waiting_in_inbox(inbox)) == 1, "the rest waits for the next run"


def test_files_left_waiting_are_announced_again(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "20260101T000000-abcdef12-left.csv").write_text("x\n1\n")
    trigger = LandingZoneTrigger(directory=str(tmp_path / "landing"), inbox=str(inbox), poll_seconds=0.05,
                                 stable_seconds=0.1, stale_seconds=0.2)  # fmt: skip
    events = asyncio.run(_events(trigger, count=1, timeout=2.0))
    assert events == [{"waiting": 1}]
    assert take_for_run([], inbox=inbox, run_id="next") == [
        str(inbox / "next" / "20260101T000000-abcdef12-left.csv")
    ]


def test_register_refuses_entries_it_must_not_read(tmp_path: Path) -> None:
    from include.ingest import entry_refusal

    regular = tmp_path / "ok.csv"
    regular.write_text("x\n1\n")
    (tmp_path / "link.csv").symlink_to(regular)
    os.link(regular, tmp_path / "hard.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "dir.csv").mkdir()
    assert entry_refusal(tmp_path / "link.csv").startswith("a symbolic link")
    assert entry_refusal(tmp_path / "hard.csv").startswith("a hard link (2 names")
    assert entry_refusal(tmp_path / "pipe.csv").startswith("not a regular file")
    assert entry_refusal(tmp_path / "dir.csv").startswith("not a regular file")
    assert entry_refusal(tmp_path / "gone.csv").startswith("the claimed file is gone")
    os.unlink(tmp_path / "hard.csv")
    assert entry_refusal(regular) is None
