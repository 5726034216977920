"""A learner who answers whatever the bot asks, the way a conscientious learner would.

Assessment: the kick-off is answered low on the first competencies and high on the rest (so
there are clear development points); the closing test is answered at the top of the scale.
Quizzes: the first option. Tips, practice, peer feedback: "done". Reflections: a short text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.domain.messages import Outbound
from bot.i18n import translate
from content.model import Program
from tests.fakes.console_learner import ConsoleLearner


@dataclass
class ConscientiousLearner:
    learner: ConsoleLearner
    program: Program
    language: str
    kickoff_done: bool = False
    reflections_written: list[str] = field(default_factory=list)
    delivered: Counter[str] = field(default_factory=Counter)

    async def answer_all(self, messages: list[Outbound]) -> None:
        queue = list(messages)
        while queue:
            message = queue.pop(0)
            self._note_delivery(message)
            reply = self._reply_to(message)
            if reply is not None:
                queue.extend(await self.learner.say(reply))

    def types_delivered(self) -> set[str]:
        return {self.program.intervention(item).type for item in self.delivered}

    def recurring_occurrences(self) -> int:
        return sum(count for item, count in self.delivered.items() if count > 1)

    def _reply_to(self, message: Outbound) -> str | None:
        kinds = {choice.value.split(":", 1)[0] for choice in message.choices}
        if translate(self.language, "kickoff.result") in message.text:
            self.kickoff_done = True
        if "a" in kinds:
            return _key(message, self._score(message))
        if kinds & {"q", "d", "c"}:
            return _key(message, 1)
        if translate(self.language, "reflection.prompt") in message.text:
            text = f"Reflectie {len(self.reflections_written) + 1}: ik merkte dat doorvragen hielp."
            self.reflections_written.append(text)
            return text
        return None

    def _score(self, message: Outbound) -> int:
        scale = len(message.choices)
        if self.kickoff_done:
            return scale
        step = int(message.choices[0].value.split(":")[2])  # a:<progress>:<step>:<option>
        return 2 if step < 4 else scale - 1

    def _note_delivery(self, message: Outbound) -> None:
        key = message.delivery_key
        if key.startswith("plan:"):  # plan:<enrolment>:<intervention>:<occurrence>
            self.delivered[f"{key.split(':')[2]}"] += 1


def _key(message: Outbound, number: int) -> str:
    """What the console shows beside the `number`-th choice (1-based): what a learner types."""
    return message.choices[number - 1].key or str(number)
