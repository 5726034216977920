"""The bot's own words in English. Keys and {placeholders} must match nl.py (a test checks)."""

MESSAGES: dict[str, str] = {
    "stranger": (
        "Hi! I'm Coachbot, the learning coach of your training programme. I don't know you yet: "
        "join with the personal link your trainer sent you."
    ),
    "stranger.by_email": (
        "Hi! I'm Coachbot, the learning coach of your training programme. I don't know you yet: "
        "the e-mail address of this account is not on the participant list of a programme. "
        "If you take part in one, ask your trainer to enrol you with this address."
    ),
    "invite.unknown": (
        "This join link is not valid. Use the personal link your trainer sent you, or ask them for a new one."
    ),
    "invite.used": (
        "This join link has been used already: each link works once. Ask your trainer for a new one."
    ),
    "invite.expired": "This join link has expired. Ask your trainer for a new one.",
    "command.start": "Start, or continue where you were",
    "command.menu": "Choose your optional modules",
    "command.progress": "What you have done and what is coming",
    "command.journal": "Read your reflections again",
    "command.coach": "Talk to a human coach",
    "command.pause": "Pause messages for a while",
    "command.resume": "Continue after a pause",
    "command.language": "Switch language: /language nl or en",
    "command.help": "What I can do",
    "not_enrolled": (
        "I know you, but you are not enrolled in a programme right now. Ask your trainer to add you."
    ),
    "start.help": "Type /help to see what I can do. Let's start!",
    "start.again": "Welcome back, {name}! We continue where you were. Type /progress to see where you are.",
    "help": (
        "**What I can do**\n"
        "- /menu: choose the optional modules for your own path\n"
        "- /progress: what you have done and what is coming\n"
        "- /journal: read your reflections again\n"
        "- /pause and /resume: take a break from messages, and come back\n"
        "- /language nl or /language en: switch language\n"
        "- /coach: talk to a human coach\n"
        "- /peers: whether you take part in peer-feedback rounds (/peers off, /peers on)\n"
        "- /help: this list\n\n"
        "When I ask a reflection question, just type your answer."
    ),
    "choice.no_such": "There is no option {typed} open right now. Type one of: {keys}.",
    "choice.none_open": "There is no option {typed}: no question of mine is waiting for an answer right now.",
    "role.coach": (
        "Hi {name}! You are a coach of {cohorts}. Your learners get their programme from me "
        "between the classroom sessions. When one of them asks for a coach, I post the question "
        "here with a Claim button; /cases lists the questions you have taken."
    ),
    "role.manager": (
        "Hi {name}! You are a manager of learners in {cohorts}. They get their programme from "
        "me between the classroom sessions. A weekly summary for you is not available yet."
    ),
    # What a learner who asked for a coach may expect (bot/flows/expectation.py).
    "coach.expect.today": (
        "A coach usually answers within {duration}, so expect an answer before {time} today."
    ),
    "coach.expect.later": "A coach usually answers within {duration}, so expect an answer by {when}.",
    "coach.expect.because": (
        "A coach usually answers within {duration}; {reason}, so expect an answer by {when}."
    ),
    "coach.expect.hours.one": "{count} working hour",
    "coach.expect.hours.other": "{count} working hours",
    "coach.expect.decimal_mark": ".",
    "coach.expect.reason.evening": "it is evening now",
    "coach.expect.reason.day_off": "it is {weekday}",
    "coach.expect.reason.holiday": "today is a day off",
    "coach.expect.reason.weekend_between": "the weekend comes in between",
    "coach.expect.reason.day_off_between": "a day off comes in between",
    "coach.expect.reason.days_off_between": "days off come in between",
    "coach.expect.when.tomorrow_morning": "tomorrow morning",
    "coach.expect.when.tomorrow_afternoon": "tomorrow afternoon",
    "coach.expect.when.day_morning": "{weekday} morning",
    "coach.expect.when.day_afternoon": "{weekday} afternoon",
    "coach.expect.when.date_morning": "the morning of {weekday} {day} {month}",
    "coach.expect.when.date_afternoon": "the afternoon of {weekday} {day} {month}",
    "coach.expect.weekdays": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "coach.expect.months": (
        "January February March April May June July August September October November December"
    ),
    "fallback": (
        "I didn't quite get that. When I ask you a question I'll tell you how to answer. "
        "Type /help to see what you can ask me."
    ),
    "unknown_command": "I don't know /{command}. Type /help to see the commands.",
    "paused.reminder": "Your messages are paused. Type /resume when you want to continue.",
    "pause.done": "Paused. I won't send you anything until you type /resume. Take care!",
    "pause.already": "You are already paused. Type /resume to continue.",
    "resume.done": "Welcome back! We pick up the programme from today.",
    "resume.not_paused": "You are not paused, so nothing to resume. Carry on!",
    "language.done": "Done: from now on I speak English with you.",
    "language.usage": "Choose a language with /language nl or /language en.",
    "button.done.tip": "Done",
    "button.done.practice": "I did it",
    "button.done.peer-feedback": "Done",
    "button.later": "Later",
    "done.tip": "Nice, noted. 👍",
    "done.practice": (
        "Great that you tried it at work: that is where learning sticks. I'll ask you how it went."
    ),
    "done.peer-feedback": "Thanks for taking the time for a colleague. 🙌",
    "later.ok": "Fine, I'll remind you in a few hours.",
    "reflection.prompt": "_Type your answer as a message. Only you can read it back, with /journal._",
    "reflection.thanks": (
        "Thank you for writing that down. Putting it into words is half the learning. "
        "You can read it back any time with /journal."
    ),
    "quiz.question": "**Question {number}/{total}:**",
    "quiz.correct": "✅ Correct!",
    "quiz.incorrect": "❌ Not quite.",
    "quiz.right_answer": "The right answer: {answer}",
    "quiz.finished": "That was the quiz: {correct} of {total} right. Well done!",
    "assessment.statement": "**Statement {number}/{total}:**",
    "kickoff.result": "Thank you! Your development points, where there is most to gain:",
    "kickoff.suggestions": "These optional modules match them:",
    "kickoff.menu_hint": "You can choose or change your modules any time with /menu.",
    "closing.result": "**Your before and after**, per competency (kick-off → now):",
    "closing.row": "- {competency}: {before} → {after} ({change})",
    "closing.row_new": "- {competency}: {after}",
    "menu.title": "**Your path in {program}**",
    "menu.required": "Part of everyone's path:",
    "menu.optional": "Optional modules (☑ chosen):",
    "menu.matches": " · matches your development points",
    "menu.no_options": "This programme has no optional modules.",
    "menu.add": "Add: {title}",
    "menu.remove": "Remove: {title}",
    "menu.added": "Added “{title}” to your path. I'll send it at the right moment.",
    "menu.removed": "Removed “{title}” from your path.",
    "progress.summary": (
        "**Your progress**\n"
        "- done: {done}\n"
        "- waiting for you: {open}\n"
        "- still to come: {remaining} of {total} in your path\n"
        "- streak: {streak} active week(s) in a row"
    ),
    "progress.complete": "🎉 You have completed your whole path. Congratulations!",
    "journal.empty": "Your journal is empty so far. Your reflections will appear here.",
    "journal.title": "**Your journal** (only you can see this)",
    "catch_up.intro": (
        "You missed {count} part(s) of the programme while you were away. Choose what you'd like to do now:"
    ),
    "catch_up.coming": "Here it comes.",
    "stale.press": "That button no longer does anything.",
    "stale.already_done": "You already did that one. 👍",
    "stale.already_answered": "You already answered that.",
    "stale.already_later": "I'll remind you already.",
    "home.stranger": (
        "Hi! I'm Coachbot, the learning coach of your training programme, but I don't know you yet. "
        "Send me a message to join: if your trainer enrolled you, I'll recognise you. "
        "If not, ask your trainer to add you."
    ),
    "home.progress": "Your progress",
    "home.done": "Done: {done} of {total} parts of your path",
    "home.open": "Waiting for you: {open}",
    "home.recent": "Recently done: {titles}",
    "home.streak": "Streak: {streak} active week(s) in a row",
    "home.scores.kickoff": "Your kick-off scores, per competency:",
    "home.scores.compare": "Your before and after, per competency (kick-off → closing):",
    "home.next": "Coming up",
    "home.next.item": "- {when}: {title}",
    "home.next.none": "Nothing is planned right now.",
    "home.when": "{weekday} {day} {month}, {time}",
    "home.weekdays": "Mon Tue Wed Thu Fri Sat Sun",
    "home.months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "home.not_started": "Send me a message to begin: then your programme starts.",
    "home.paused": "Your messages are paused. Type /resume to continue.",
    "home.menu": "Your optional modules",
    "home.menu.later": "You can choose modules once your programme is running and not paused.",
    "help.coach": "Talk to a coach",
    "coach.confirm": "Would you like to talk to a coach? I'll pass your question on to a real person.",
    "coach.yes": "Yes, please",
    "coach.no": "No, not now",
    "coach.not_now": "Fine. Type /coach if you do want to talk to someone.",
    "coach.describe": (
        "I'll find you a coach. What is it about? One line is enough; you can also skip this."
    ),
    "coach.skip": "Skip",
    "coach.share": (
        "May the coach read your last {count} reflections? It helps them understand your question. "
        "Without your yes, the coach does not see them."
    ),
    "coach.share.yes": "Yes, share them",
    "coach.share.no": "No, don't share",
    "coach.opened": "Your question is with the coaches now. Whoever takes it will talk to you here.",
    "coach.no_coaches": (
        "Your group has no coach yet, so I can't pass your question on. Please ask your trainer."
    ),
    "coach.waiting": (
        "No coach has taken your question yet. As soon as someone does, you can talk to them here."
    ),
    "coach.already.asking": "You're already asking for a coach: please answer my question above.",
    "coach.already.open": (
        "Your question is already with the coaches; whoever takes it will answer here. "
        "Type /coach end to withdraw it."
    ),
    "coach.already.claimed": (
        "You're already talking to a coach: just type your message. Type /coach end to finish."
    ),
    "coach.none_open": "You have no open question for a coach.",
    "coach.too_long": (
        "That message is too long to pass on (over 4,000 characters). Could you say it more briefly, "
        "or in a few messages?"
    ),
    "coach.nobody": "There is no coach to pass this on to right now.",
    "coach.claim": "Claim",
    "coach.claimed_label": "Claimed",
    "coach.not_yours": "This question is from a group you are not a coach of.",
    "coach.taken": "{coach} has already taken this question.",
    "coach.claimed_by_you": (
        "You've taken question #{case} from {learner}. What you type here goes to {learner}. "
        "/cases lists your open questions, /reply NUMBER text answers another one, /close finishes."
    ),
    "coach.claimed": "Coach {coach} has taken your question. Just type your message for {coach} here.",
    "coach.cases.hint": (
        "Type your answer here, or /reply NUMBER text for another question. /cases NUMBER shows a "
        "conversation so far; /unclaim NUMBER hands it back to all coaches, /handover NUMBER to "
        "one of them; /close NUMBER closes it."
    ),
    "coach.text_only": "Only text can be passed on: please type what you want to say.",
    "coach.post.claimed_by": "Claimed by {coach}.",
    "coach.post.closed": "Closed.",
    "coach.claim_first": (
        "Question #{case} has no coach yet: press Claim on it first, then your answer goes through."
    ),
    "coach.not_your_case": "Question #{case} is not yours to answer, so I did not pass that on.",
    "coach.unclaimed_by_you": "You handed question #{case} back: all coaches can claim it again.",
    "coach.handed_back": (
        "Coach {by} had to hand your question back. Another coach will take it; until then, your "
        "messages wait here."
    ),
    "coach.handover.pick": "Who should take question #{case} over?",
    "coach.handover.nobody": "There is no other coach in this group to hand question #{case} to.",
    "coach.handover.usage": (
        "To hand a question to another coach: /handover NUMBER (type /cases for the numbers)."
    ),
    "coach.handed_over_by_you": "Question #{case} is now with {coach}.",
    "coach.handed_on": (
        "Coach {by} has handed your question to coach {coach}, who will talk with you from now on."
    ),
    "coach.handed_to_you": (
        "{by} has handed question #{case} from {learner} to you. Type /cases {case} to read it so far; "
        "what you type now goes to {learner}."
    ),
    # Peer-feedback rounds (bot/flows/peers.py).
    "peer.intro.pair": "Your partner in this round is **{partner}**: you give each other feedback.",
    "peer.intro.trio": "You give feedback to **{partner}**, and **{giver}** gives feedback to you.",
    "peer.intro.deadline": (
        "Give your feedback by {deadline}. Press the button and I'll "
        "ask you {count} short questions, one at a time."
    ),
    "peer.alone": (
        "There is nobody else in your group for this round right now, so this step is yours alone this time."
    ),
    "peer.anonymous": "a colleague from your group",
    "peer.give": "Give feedback",
    "peer.question": "({step}/{count}) {question}",
    "peer.confirm": "This is your feedback for {partner}:",
    "peer.send": "Send it",
    "peer.redo": "Write it again",
    "peer.sent": "Sent! {partner} gets your feedback.",
    "peer.already_given": "You have already sent this feedback.",
    "peer.received": "**Feedback from {giver}**",
    "peer.received.ask": (
        "How useful is this feedback for you? You can also thank the giver, or report it to a coach."
    ),
    "peer.thank": "Say thank you",
    "peer.report": "Report",
    "peer.rated": "Thank you for rating it.",
    "peer.thank.ask": "What would you like to say to {giver}? One short message.",
    "peer.thank.too_long": "That is a bit long for a thank-you: keep it under {limit} characters, please.",
    "peer.thank.sent": "Your thank-you is on its way.",
    "peer.thanks": "{receiver} says thank you for your feedback:\n\n{text}",
    "peer.reported": (
        "Thank you for telling us. A coach will look at it and may talk with you about it; you keep the "
        "feedback. The person who gave it is not told."
    ),
    "peer.report.description": "Report of peer feedback",
    "peer.report.post": "Reported feedback, given by {giver}:",
    "peer.reminder": "A reminder: your feedback for {partner} is still open. You have until {deadline}.",
    "peer.no_show": (
        "Your partner could not give you feedback this round. That happens, and it says nothing about you. "
        "Instead, a short reflection: what did you notice about your own practice these last days? Just "
        "type your answer."
    ),
    "peer.status.on": "You take part in peer-feedback rounds. Type /peers off to skip them.",
    "peer.status.off": "You skip peer-feedback rounds. Type /peers on to take part again.",
    "peer.turned.on": "Done: you take part in the next peer-feedback rounds.",
    "peer.turned.off": "Done: you skip the next peer-feedback rounds. Type /peers on to take part again.",
    "journal.peer.received": "**{date} · Feedback from {giver}**",
    "journal.peer.given": "**{date} · Your feedback for {receiver}**",
    "coach.history.none": "There are no questions to a coach to show.",
    "coach.history.title": "**Questions to a coach**",
    "coach.history.case": "**#{case}** ({date}) {learner}, coach {coach}: {status}",
    "coach.history.status.asking": "being asked",
    "coach.history.status.open": "waiting for a coach",
    "coach.history.status.claimed": "in conversation",
    "coach.history.status.closed": "closed",
    "coach.cases.title": "**Your open questions**",
    "coach.cases.line": "- #{case}: {learner}",
    "coach.cases.none": "You have no open questions right now.",
    "coach.no_such_case": "That question isn't open with you. Type /cases for your list.",
    "coach.reply_usage": "To answer a question: /reply NUMBER your text (type /cases for the numbers).",
    "coach.closed_by_you": "Question #{case} is closed.",
    "coach.closed": (
        "Coach {coach} has closed the conversation. How helpful was it, from one star (not) to five (very)? "
        "Your programme carries on now."
    ),
    "coach.ended": (
        "Your conversation with the coach is closed. How helpful was it, from one star (not) to five (very)? "
        "Your programme carries on now."
    ),
    "coach.ended_by_learner": "{learner} has closed question #{case}.",
    "coach.withdrawn": "Your question to the coaches is withdrawn. Your programme carries on.",
    "coach.rated": "Thank you for rating it!",
    "coach.role.learner": "learner",
    "coach.role.coach": "coach",
    "coach.post.title": "**New question #{case}** from {learner}",
    "coach.post.progress": "{program}: {done} of {total} parts done, last active {last}",
    "coach.post.about": "What it is about: {about}",
    "coach.post.no_description": "(no description)",
    "coach.post.reflections": "Shared reflections:",
    "coach.chase": "Question #{case} from {learner} is still waiting for a coach. Could you take it?",
    "coach.slow": (
        "It is taking longer than usual for a coach to answer your question, sorry about that. "
        "Your question is still waiting; you'll hear here as soon as someone takes it."
    ),
    "coach.lead": (
        "Nobody has taken question #{case} from {learner}, twice the usual time. "
        "Could you make sure someone takes it?"
    ),
    "coach.chase_claimed": "{learner} has been waiting a working day for your answer in question #{case}.",
}
