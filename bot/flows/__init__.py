"""Conversations, platform-neutral: onboarding, kick-off, menu, interventions, reflections,
progress. Flows read and change state through `bot.storage` and answer with `Reply`s, which the
router writes to the outbox; they never know which platform a person is on."""
