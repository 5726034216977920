"""The operators' outbox view: the table, the oldest due row's age and the last errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.reports import age_text, render_outbox
from bot.storage.outbox_status import OutboxStatus, RecordedError

NOW = datetime(2027, 1, 12, 12, 0, tzinfo=UTC)


def test_the_outbox_as_a_table_with_its_oldest_due_row_and_last_errors() -> None:
    status = OutboxStatus(
        now=NOW,
        counts={
            ("intervention", "planned"): 12,
            ("intervention", "due"): 3,
            ("intervention", "dead"): 1,
            ("reply", "sent"): 310,
            ("reply", "failed"): 1,
            ("horoscope", "due"): 1,
        },
        oldest_due_at=NOW - timedelta(hours=3, minutes=12),
        errors=(
            RecordedError(
                delivery_id=7,
                kind="reply",
                status="failed",
                last_error="TimedOut",
                due_at=NOW + timedelta(minutes=2),
                claimed_at=NOW - timedelta(minutes=1),
            ),
            RecordedError(
                delivery_id=12,
                kind="intervention",
                status="dead",
                last_error="unrenderable",
                due_at=NOW - timedelta(hours=1),
                claimed_at=NOW - timedelta(minutes=5),
            ),
        ),
    )
    assert render_outbox(status) == [
        "kind          planned  due  sending  sent  failed  dead  cancelled",
        "horoscope           0    1        0     0       0     0          0",
        "intervention       12    3        0     0       0     1          0",
        "reply               0    0        0   310       1     0          0",
        "total              12    4        0   310       1     1          0",
        "",
        "oldest due: 3 h 12 min ago (2027-01-12 08:48 UTC)",
        "",
        "last errors, newest first:",
        "  #7   reply         failed  TimedOut      tried 2027-01-12 11:59 UTC, retry 2027-01-12 12:02 UTC",
        "  #12  intervention  dead    unrenderable  tried 2027-01-12 11:55 UTC",
    ]


def test_an_empty_outbox() -> None:
    assert render_outbox(OutboxStatus(now=NOW, counts={}, oldest_due_at=None, errors=())) == [
        "The outbox is empty.",
        "",
        "nothing due",
        "",
        "no errors recorded",
    ]


def test_a_status_no_code_knows_gets_a_column_of_its_own() -> None:
    status = OutboxStatus(now=NOW, counts={("reply", "held"): 2}, oldest_due_at=None, errors=())
    assert render_outbox(status)[0].endswith("cancelled  held")
    assert render_outbox(status)[1].endswith("0     2")


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=3, minutes=12), "3 h 12 min"),
        (timedelta(days=2, hours=3, minutes=5), "2 d 3 h"),
        (timedelta(seconds=-5), "0 s"),  # a clock a moment behind the database's rows
    ],
)
def test_ages_for_people(age: timedelta, text: str) -> None:
    assert age_text(age) == text
