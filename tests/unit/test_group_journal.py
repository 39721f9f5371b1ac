"""The group task's retry journal (include/ingest_group.py): what a retry reads back, and its pruning."""

from __future__ import annotations

import os
import time
from pathlib import Path

from include.ingest_group import GroupJournal
from include.settings import load_settings


def test_the_last_line_of_a_path_wins_and_a_cut_line_is_ignored(tmp_path: Path) -> None:
    journal = GroupJournal(tmp_path / "g.jsonl")
    journal.record("a.csv", step="registered")
    journal.record("a.csv", step="published")
    journal.record("b.csv", outcome="archived")
    with open(journal.path, "a") as handle:
        handle.write('{"path": "a.csv", "outcome": "arch')  # a worker killed mid-write
    again = GroupJournal(journal.path)
    assert again.state("a.csv") == {"step": "published"}
    assert again.state("b.csv") == {"outcome": "archived"}
    assert again.state("c.csv") == {}


def test_a_retry_finds_its_journal_and_old_journals_are_pruned(tmp_path: Path) -> None:
    s = load_settings({"SDP_STATE_DIR": str(tmp_path), "SDP_GROUP_JOURNAL_DAYS": "2"})
    first = GroupJournal.of_group(["x.csv", "y.csv"], "dag/run/task[0]", s)
    first.record("x.csv", outcome="archived")
    old = first.path.parent / "0123456789abcdef.jsonl"
    old.write_text('{"path": "z.csv", "outcome": "archived"}\n')
    three_days_ago = time.time() - 3 * 86_400
    os.utime(old, (three_days_ago, three_days_ago))

    retry = GroupJournal.of_group(["x.csv", "y.csv"], "dag/run/task[0]", s)
    assert retry.path == first.path and retry.state("x.csv") == {"outcome": "archived"}
    assert not old.exists()
    assert oct(first.path.parent.stat().st_mode & 0o777) == "0o700"
    other = GroupJournal.of_group(["x.csv", "y.csv"], "dag/other-run/task[0]", s)
    assert other.path != first.path and other.state("x.csv") == {}
