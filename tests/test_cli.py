"""The command line, run as a real process: content check, cohort import/list, plan, outbox, chat
(as a learner, a coach, or someone on no roster)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.i18n import translate
from bot.settings import BUNDLED_CONTENT
from bot.storage.db import Database
from bot.storage.models import Delivery, Enrolment
from tests.cli_process import DEMO_ROSTER, coachbot, coachbot_async

pytestmark = pytest.mark.slow


def test_the_bundled_programs_pass_the_check(tmp_path: Path) -> None:
    result = coachbot("content", "check", str(BUNDLED_CONTENT), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert any(line.startswith("feedback-geven") for line in lines)


def test_a_broken_program_gets_path_line_messages_and_exit_1(tmp_path: Path) -> None:
    program = tmp_path / "programs" / "kapot"
    program.mkdir(parents=True)
    (program / "program.md").write_text(
        "---\nid: kapot\ntitle: Kapot\nlanguage: nl\nsessions:\n  - {id: s1, title: Een}\n---\nWelkom.\n",
        encoding="utf-8",
    )
    (program / "tip.md").write_text("---\ntitle: Tip\ntype: tip\nwhen: 2 days before s9\n---\nDoe dit.\n")
    result = coachbot("content", "check", "programs", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith("programs/kapot/tip.md:4: ")
    assert "s9" in result.stdout


def test_import_is_idempotent_and_reports_changes(tmp_path: Path) -> None:
    first = coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created cohort fb-2027-q1" in first.stdout
    again = coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path)
    assert again.stdout.strip() == "cohort fb-2027-q1: nothing changed"
    moved = tmp_path / "moved.yaml"
    moved.write_text(
        DEMO_ROSTER.read_text(encoding="utf-8").replace("s2: 2027-02-02T09:00", "s2: 2027-02-09T09:00"),
        encoding="utf-8",
    )
    result = coachbot("cohort", "import", str(moved), cwd=tmp_path)
    assert "session s2 moved: 2027-02-02T09:00 -> 2027-02-09T09:00" in result.stdout
    assert "re-planned:" in result.stdout
    listing = coachbot("cohort", "list", cwd=tmp_path)
    assert "fb-2027-q1  feedback-geven  5 participants (0 started)" in listing.stdout


def test_a_bad_roster_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO_ROSTER.read_text(encoding="utf-8").replace("Europe/Amsterdam", "Mars/Olympus"))
    result = coachbot("cohort", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}:" in result.stderr
    assert "Mars/Olympus" in result.stderr
    assert "No cohorts yet" in coachbot("cohort", "list", cwd=tmp_path).stdout


def test_plan_shows_a_learners_timeline(tmp_path: Path) -> None:
    coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path)
    result = coachbot("plan", "fb-2027-q1", "--person", "bram@acme.example", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Bram Bakker <bram@acme.example> (Europe/London, not started)"
    assert any("planned" in line for line in lines[1:])


async def test_outbox_shows_counts_the_oldest_due_row_and_errors_never_text(tmp_path: Path) -> None:
    assert (await coachbot_async("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path))[0] == 0
    await _add_failures(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    code, out, err = await coachbot_async("outbox", cwd=tmp_path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["kind", "planned", "due", "sending", "sent", "failed", "dead", "cancelled"]
    assert any(line.startswith("horoscope ") for line in lines)  # a kind no code knows
    assert any(line.startswith("oldest due: ") and line.endswith(" UTC)") for line in lines)
    assert any("intervention" in line and "dead" in line and "unrenderable" in line for line in lines)
    assert "private words" not in out
    code, out, err = await coachbot_async("outbox", "--cohort", "fb-2027-q1", cwd=tmp_path)
    assert code == 0, err
    assert "unrenderable" in out
    assert "horoscope" not in out  # a stranger's row belongs to no cohort


def test_outbox_of_an_unknown_cohort_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = coachbot("outbox", "--cohort", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "coachbot: there is no cohort 'nope' (see `coachbot cohort list`)"
    ]


async def _add_failures(url: str) -> None:
    """A dead row of a demo learner, and a due row of an unknown kind answering a stranger."""
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    async with Database(url) as database, database.transaction() as session:
        enrolment = (await session.exec(select(Enrolment).order_by(col(Enrolment.id)))).first()
        assert enrolment is not None
        for key, kind, status, error, enrolment_id in (
            ("dead", "intervention", "dead", "unrenderable", enrolment.id),
            ("stranger", "horoscope", "planned", None, None),
        ):
            session.add(
                Delivery(
                    key=key,
                    person_id=enrolment.person_id if enrolment_id else None,
                    enrolment_id=enrolment_id,
                    kind=kind,
                    status=status,
                    due_at=long_ago,
                    claimed_at=long_ago + timedelta(minutes=1) if error else None,
                    last_error=error,
                    payload={"text": "private words"},
                    created_at=long_ago,
                )
            )


def test_a_scripted_console_chat(tmp_path: Path) -> None:
    coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path)
    script = "3\n/wait 2d\n/progress\n/quit\n"
    result = coachbot(
        "chat", "--as", "anna@acme.example", "--clock", "2027-01-04T09:00", cwd=tmp_path, stdin=script
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("[Mon 2027-01-04 09:00] Coachbot:\nWelkom bij **Feedback geven en ontvangen**!")
    assert "  [1] " in out
    assert "(waited 2d; the simulated time is now 2027-01-06" in out
    assert "**Je voortgang**" in out


def test_a_coach_chats_in_the_console_and_is_told_what_the_bot_does_for_them(tmp_path: Path) -> None:
    coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path)
    result = coachbot(
        "chat",
        "--as",
        "Coach@acme.example",
        "--clock",
        "2027-01-04T09:00",
        cwd=tmp_path,
        stdin="hallo\n/quit\n",
    )
    assert result.returncode == 0, result.stderr
    answer = translate("nl", "role.coach", name="Carla", cohorts="fb-2027-q1")
    assert result.stdout == f"[Mon 2027-01-04 09:00] Coachbot:\n{answer}\n\n" * 2  # to /start, to "hallo"
    assert translate("nl", "not_enrolled") not in result.stdout


def test_chat_as_someone_on_no_roster_is_one_line_and_exit_2(tmp_path: Path) -> None:
    coachbot("cohort", "import", str(DEMO_ROSTER), cwd=tmp_path)
    result = coachbot("chat", "--as", "nobody@acme.example", cwd=tmp_path, stdin="hallo\n")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "coachbot: nobody on an imported roster has the e-mail 'nobody@acme.example'"
    ]


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    result = coachbot("cohort", "list", cwd=tmp_path, env={"COACHBOT_DATABASE_URL": "mysql://nope"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("coachbot: COACHBOT_DATABASE_URL")
    assert len(result.stderr.strip().splitlines()) == 1
