"""First contact: who is this, which enrolment, welcome and kick-off; strangers are told how
to join and nothing about them is kept."""

from __future__ import annotations

from datetime import datetime

from bot.domain.messages import Identity, Inbound
from bot.flows.planning import replan
from bot.flows.turn import Learner, Turn
from bot.i18n import CATALOGUES, translate
from bot.storage import invites, outbox
from bot.storage.models import Enrolment, Person
from bot.storage.models import Identity as IdentityRow
from bot.storage.repository import person_by_email

# Platforms where the chat identity *is* the person's e-mail, vouched for by whoever runs it.
EMAIL_IDENTIFIED = frozenset({"console"})
GREETING = "welcome:"  # the keys of the greetings the bot sends people it found (`greeting_key`)


async def link_by_email(turn: Turn, inbound: Inbound, *, email: str | None = None) -> Person | None:
    """Link a new identity to the person on a roster with its e-mail: a console identity's id is
    the e-mail; on a platform with an e-mail directory (Slack) `email` is the address the
    platform holds for the account. Nobody on a roster has it: None, and nothing is stored."""
    if inbound.identity.platform in EMAIL_IDENTIFIED:
        email = inbound.identity.external_id
    if not email:
        return None
    person = await person_by_email(turn.session, email)
    if person is None or person.id is None:
        return None
    return link(turn, person, inbound.identity, handle=inbound.handle)


async def link_by_invite(turn: Turn, inbound: Inbound) -> Person | None:
    """Link a chat to the person whose personal invite token it sent (`/start TOKEN`): a
    participant (the invite is their enrolment's), a coach or a manager (the invite is theirs).

    A used, expired or unknown token links nothing and is answered, in both languages (we do
    not know who this is), with what to do; `/start` without a token, or any other first
    message, returns None without an answer, for the stranger text."""
    command = inbound.command
    if inbound.identity.platform in EMAIL_IDENTIFIED or command is None or command[0] != "start":
        return None
    token = command[1]
    if not token:
        return None
    invite = await invites.find(turn.session, token)
    problem = _invite_problem(invite, turn)
    if problem is not None or invite is None:
        _say_in_every_language(turn, problem or "invite.unknown")
        return None
    person = await _invited_person(turn, invite)
    if person is None or person.id is None:
        _say_in_every_language(turn, "invite.unknown")
        return None
    invite.used_at = turn.now
    turn.session.add(invite)
    return link(turn, person, inbound.identity, handle=inbound.handle)


async def _invited_person(turn: Turn, invite: invites.Invite) -> Person | None:
    if invite.person_id is not None:
        return await turn.session.get(Person, invite.person_id)
    enrolment = await turn.session.get(Enrolment, invite.enrolment_id) if invite.enrolment_id else None
    return await turn.session.get(Person, enrolment.person_id) if enrolment else None


def _invite_problem(invite: invites.Invite | None, turn: Turn) -> str | None:
    if invite is None:
        return "invite.unknown"
    if invite.used_at is not None:
        return "invite.used"
    if invite.expires_at <= turn.now:
        return "invite.expired"
    return None


def _say_in_every_language(turn: Turn, key: str) -> None:
    turn.send_text("\n\n".join(translate(language, key) for language in CATALOGUES))


async def start(turn: Turn, learner: Learner, *, active_from: datetime | None = None) -> None:
    """/start: the first time, welcome and kick-off; later, pick up where the learner was.
    `active_from`: when the journey, and with it the kick-off, begins if not now (the bot
    greeting someone it found waits for the send window; a learner who writes does not)."""
    enrolment = learner.enrolment
    if enrolment.started_at is not None:
        turn.say("start.again", name=_first_name(learner.person))
        return
    enrolment.started_at = turn.now
    await _begin(turn, learner, active_from=active_from or turn.now)


def greeting_may_wait(learner: Learner, now: datetime) -> bool:
    """Whether the bot may have found this learner and be waiting for the send window to greet
    them: their journey begins after `now`, which nothing else sets (`greet_now` checks)."""
    active_since = learner.enrolment.active_since
    return active_since is not None and active_since > now


async def greet_now(turn: Turn, learner: Learner) -> bool:
    """A learner whose greeting waits for the send window wrote first: drop the greeting that
    waits, on any platform, and greet them now, as at a first message (welcome, kick-off).
    False, changing nothing, if no greeting waited (their journey began a moment ahead of
    `now` for another reason: another instance's clock)."""
    dropped = await outbox.cancel_unsent(
        turn.session, enrolment_id=learner.enrolment_id, kinds=("reply",), key_prefix=GREETING
    )
    if not dropped:
        return False
    await _begin(turn, learner, active_from=turn.now)
    return True


def greeting_key(platform: str, enrolment_id: int) -> str:
    """The outbox key (before the reply's index) of the greeting the bot sends someone it found."""
    return f"{GREETING}{platform}:{enrolment_id}"


async def _begin(turn: Turn, learner: Learner, *, active_from: datetime) -> None:
    """The journey begins at `active_from`: the welcome now, the kick-off planned from then."""
    learner.enrolment.active_since = active_from
    turn.session.add(learner.enrolment)
    turn.send_text(learner.program.welcome)
    turn.say("start.help")
    await replan(turn.session, learner, now=turn.now)


def _first_name(person: Person) -> str:
    return person.name.split(" ", 1)[0]


def link(turn: Turn, person: Person, identity: Identity, *, handle: str | None = None) -> Person:
    """From now on this chat account is this person."""
    assert person.id is not None
    turn.session.add(
        IdentityRow(
            person_id=person.id,
            platform=identity.platform,
            external_id=identity.external_id,
            handle=handle,
            created_at=turn.now,
        )
    )
    return person
