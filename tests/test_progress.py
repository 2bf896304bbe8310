"""compact_kg.progress: a bar only for a person at a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from compact_kg.progress import progress_bar, wants_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_quiet_in_ci_or_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.delenv("CI", raising=False)
    assert wants_progress()
    assert not wants_progress(quiet=True)
    monkeypatch.setenv("CI", "true")
    assert not wants_progress()
    monkeypatch.delenv("CI")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not wants_progress()


def test_callback_does_nothing_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with progress_bar("work", total=3) as progress:
        for done in range(1, 4):
            progress(done, 3)
    assert err.getvalue() == ""


def test_bar_is_drawn_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    with progress_bar("work", total=3) as progress:
        for done in range(1, 4):
            progress(done, 3)
    assert "work" in err.getvalue()
