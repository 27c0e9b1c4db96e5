"""The release history: which publications exist, which one is served, which are kept.

Every publication of the marts, and every rollback, is a *release* with the next integer number
(never reused, even after a failure or a pruning). A rollback is a release of its own that serves
an earlier release's data and says which one (``restored_release_number``), so the history only
grows and reads like a log: "15 restored 12".

This module is the bookkeeping only, with no database in it, so that every serving target keeps
its history the same way: the DuckDB publisher (``social_roi.publish``) stores it in the
``releases`` table of each serving file; a warehouse target would keep the same table beside its
swapped-in schemas. The engine decides where a release's data lives; this module decides the
numbers, which release is current, which are kept and which must be pruned, and which release a
rollback may restore.

No wall clock: ``published_at`` is the data interval's end (docs/decisions.md 16), and a rollback
keeps the restored release's run, interval and ``published_at`` (they describe the data it
serves). The history is therefore a function of the sequence of publications and rollbacks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from social_roi.errors import SocialRoiError

DEFAULT_KEEP = 7
KEEP_ENV = "SOCIAL_ROI_KEEP_RELEASES"


class ReleaseError(SocialRoiError):
    """A release operation was refused; nothing served or kept was changed."""


@dataclass(frozen=True)
class Release:
    """One row of the ``releases`` table."""

    number: int
    run_id: str
    interval_start: datetime
    interval_end: datetime
    published_at: datetime
    tables: tuple[str, ...]
    row_counts: Mapping[str, int]
    restored_release_number: int | None = None
    is_current: bool = False
    is_kept: bool = False


@dataclass(frozen=True)
class Plan:
    """What one publication or rollback does: the new release, the history to store with it (the
    new release current, the kept ones flagged) and the kept releases to delete afterwards."""

    release: Release
    history: tuple[Release, ...]
    prune: tuple[int, ...]


def keep_from(value: str | None) -> int:
    """The number of releases kept, from ``SOCIAL_ROI_KEEP_RELEASES`` (default 7)."""
    if value is None or value.strip() == "":
        return DEFAULT_KEEP
    try:
        keep = int(value)
    except ValueError:
        keep = 0
    if keep < 1:
        raise ReleaseError(f"{KEEP_ENV} must be a whole number of at least 1 (the current release), "
                           f"got {value!r}")
    return keep


def next_number(history: Sequence[Release], taken: Iterable[int] = ()) -> int:
    """One more than any number in the history or otherwise taken (a kept file whose publication
    did not finish): numbers are never reused."""
    return max([0, *(r.number for r in history), *taken]) + 1


def publication(history: Sequence[Release], number: int, *, run_id: str, interval_start: datetime,
                interval_end: datetime, row_counts: Mapping[str, int]) -> Release:
    """The release a publication of ``row_counts``' tables for this run adds to ``history``."""
    _check_number(history, number)
    return Release(number=number, run_id=run_id, interval_start=interval_start.astimezone(UTC),
                   interval_end=interval_end.astimezone(UTC),
                   published_at=interval_end.astimezone(UTC), tables=tuple(row_counts),
                   row_counts=dict(row_counts))


def restoration(history: Sequence[Release], number: int, restored: Release) -> Release:
    """The release a rollback adds: ``restored``'s data under a new number."""
    _check_number(history, number)
    return dataclasses.replace(restored, number=number, restored_release_number=restored.number,
                               is_current=False, is_kept=False)


def plan(history: Sequence[Release], release: Release, available: Collection[int],
         keep: int) -> Plan:
    """Add ``release`` as the current one and keep the ``keep`` newest releases whose data is
    ``available`` (the new one included); every other available release is to be pruned."""
    if keep < 1:
        raise ReleaseError(f"at least the current release must be kept, not {keep}")
    rows = [*history, release]
    stored = sorted((r.number for r in rows if r.number in available or r is release), reverse=True)
    kept = set(stored[:keep])
    new_history = tuple(dataclasses.replace(r, is_current=r is release, is_kept=r.number in kept)
                        for r in rows)
    prune = tuple(sorted(n for n in available if n not in kept))
    return Plan(release, new_history, prune)


def rollback_target(history: Sequence[Release], requested: int | None,
                    available: Collection[int]) -> Release:
    """The release a rollback restores: ``requested``, or by default the release served just
    before the current one (so a second rollback without a number undoes the first)."""
    if not history:
        raise ReleaseError("nothing has been published yet: there is no release to roll back to")
    current = history[-1]
    kept = ", ".join(str(n) for n in sorted(available)) or "none"
    if requested is None:
        earlier = [r for r in history if r.number < current.number]
        if not earlier:
            raise ReleaseError(f"release {current.number} is the first release: there is no "
                               "earlier one to roll back to")
        target = earlier[-1]
    else:
        found = [r for r in history if r.number == requested]
        if not found:
            raise ReleaseError(f"there is no release {requested}: releases are numbered "
                               f"1–{current.number}; kept: {kept}")
        target = found[0]
    if target.number == current.number:
        raise ReleaseError(f"release {target.number} is already the current release")
    if target.number not in available:
        raise ReleaseError(f"release {target.number} was pruned (only the last kept releases can "
                           f"be restored; kept: {kept}; {KEEP_ENV} sets how many)")
    return target


def format_history(history: Sequence[Release]) -> str:
    """The releases as a table, newest first, for ``python -m social_roi releases``."""
    if not history:
        return "No release yet: nothing has been published."
    header = ("release", "", "run id", "data interval (UTC)", "tables", "rows", "restores", "kept")
    table = [header]
    for r in reversed(history):
        table.append((
            str(r.number),
            "current" if r.is_current else "",
            r.run_id,
            f"{r.interval_start:%Y-%m-%d %H:%M} – {r.interval_end:%Y-%m-%d %H:%M}",
            str(len(r.tables)),
            f"{sum(r.row_counts.values()):,}",
            "" if r.restored_release_number is None else str(r.restored_release_number),
            "yes" if r.is_kept else "pruned",
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _check_number(history: Sequence[Release], number: int) -> None:
    if history and number <= history[-1].number:
        raise ReleaseError(f"release {number} would not follow release {history[-1].number}")
