"""De eigen teksten van de bot in het Nederlands. Sleutels en {plaatshouders} gelijk aan en.py."""

MESSAGES: dict[str, str] = {
    "stranger": (
        "Hoi! Ik ben Coachbot, de leercoach van je opleiding. Ik ken je nog niet: "
        "meld je aan via de persoonlijke link die je trainer je stuurde."
    ),
    "stranger.by_email": (
        "Hoi! Ik ben Coachbot, de leercoach van je opleiding. Ik ken je nog niet: "
        "het e-mailadres van dit account staat niet op de deelnemerslijst van een programma. "
        "Doe je mee aan een opleiding? Vraag je trainer dan om je met dit adres in te schrijven."
    ),
    "invite.unknown": (
        "Deze aanmeldlink is niet geldig. Gebruik de persoonlijke link die je trainer je stuurde, "
        "of vraag om een nieuwe."
    ),
    "invite.used": (
        "Deze aanmeldlink is al gebruikt: elke link werkt één keer. Vraag je trainer om een nieuwe."
    ),
    "invite.expired": "Deze aanmeldlink is verlopen. Vraag je trainer om een nieuwe.",
    "command.start": "Beginnen, of verder waar je was",
    "command.menu": "Kies je keuzemodules",
    "command.progress": "Wat je gedaan hebt en wat er komt",
    "command.journal": "Lees je reflecties terug",
    "command.coach": "Praat met een echte coach",
    "command.pause": "Even geen berichten",
    "command.resume": "Verder na een pauze",
    "command.language": "Wissel van taal: /language nl of en",
    "command.help": "Wat ik kan",
    "not_enrolled": (
        "Ik ken je wel, maar je bent nu niet ingeschreven voor een programma. "
        "Vraag je trainer om je toe te voegen."
    ),
    "start.help": "Typ /help om te zien wat ik kan. We gaan beginnen!",
    "start.again": (
        "Welkom terug, {name}! We gaan verder waar je was. Typ /progress om te zien waar je staat."
    ),
    "help": (
        "**Wat ik kan**\n"
        "- /menu: kies de keuzemodules voor je eigen leerpad\n"
        "- /progress: wat je gedaan hebt en wat er nog komt\n"
        "- /journal: lees je reflecties terug\n"
        "- /pause en /resume: even geen berichten, en weer verder\n"
        "- /language nl of /language en: wissel van taal\n"
        "- /coach: praat met een echte coach\n"
        "- /peers: of je meedoet aan peer-feedback rondes (/peers off, /peers on)\n"
        "- /help: dit overzicht\n\n"
        "Als ik je een reflectievraag stel, typ je gewoon je antwoord."
    ),
    "choice.no_such": "Optie {typed} staat nu niet open. Typ een van: {keys}.",
    "choice.none_open": "Optie {typed} bestaat niet: er wacht nu geen vraag van mij op een antwoord.",
    "role.coach": (
        "Hoi {name}! Je bent coach van {cohorts}. Jouw deelnemers krijgen hun programma van mij "
        "tussen de klassikale sessies door. Vraagt iemand van hen om een coach, dan zet ik de vraag "
        "hier neer met een knop Oppakken; /cases toont de vragen die je hebt opgepakt."
    ),
    "role.manager": (
        "Hoi {name}! Je bent leidinggevende van deelnemers in {cohorts}. Zij krijgen hun programma "
        "van mij tussen de klassikale sessies door. Een wekelijks overzicht voor jou is er nog niet."
    ),
    # Wat een deelnemer die om een coach vroeg mag verwachten (bot/flows/expectation.py).
    "coach.expect.today": (
        "Een coach reageert meestal binnen {duration}, "
        "dus je kunt vandaag vóór {time} een antwoord verwachten."
    ),
    "coach.expect.later": (
        "Een coach reageert meestal binnen {duration}, dus je kunt {when} een antwoord verwachten."
    ),
    "coach.expect.because": (
        "Een coach reageert meestal binnen {duration}. {reason}, dus je kunt {when} een antwoord verwachten."
    ),
    "coach.expect.hours.one": "{count} werkuur",
    "coach.expect.hours.other": "{count} werkuren",
    "coach.expect.decimal_mark": ",",
    "coach.expect.reason.evening": "Het is nu avond",
    "coach.expect.reason.day_off": "Het is {weekday}",
    "coach.expect.reason.holiday": "Vandaag is een vrije dag",
    "coach.expect.reason.weekend_between": "Het weekend zit ertussen",
    "coach.expect.reason.day_off_between": "Er zit een vrije dag tussen",
    "coach.expect.reason.days_off_between": "Er zitten vrije dagen tussen",
    "coach.expect.when.tomorrow_morning": "morgenochtend",
    "coach.expect.when.tomorrow_afternoon": "morgenmiddag",
    "coach.expect.when.day_morning": "{weekday}ochtend",
    "coach.expect.when.day_afternoon": "{weekday}middag",
    "coach.expect.when.date_morning": "{weekday} {day} {month} 's ochtends",
    "coach.expect.when.date_afternoon": "{weekday} {day} {month} 's middags",
    "coach.expect.weekdays": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "coach.expect.months": (
        "januari februari maart april mei juni juli augustus september oktober november december"
    ),
    "fallback": (
        "Dat begreep ik niet helemaal. Als ik je iets vraag, zeg ik erbij hoe je antwoordt. "
        "Typ /help om te zien wat je me kunt vragen."
    ),
    "unknown_command": "/{command} ken ik niet. Typ /help voor de commando's.",
    "paused.reminder": "Je berichten staan op pauze. Typ /resume als je verder wilt.",
    "pause.done": "Gepauzeerd. Ik stuur je niets tot je /resume typt. Tot later!",
    "pause.already": "Je staat al op pauze. Typ /resume om verder te gaan.",
    "resume.done": "Welkom terug! We pakken het programma op vanaf vandaag.",
    "resume.not_paused": "Je stond niet op pauze, dus je kunt gewoon verder.",
    "language.done": "Gedaan: vanaf nu praat ik Nederlands met je.",
    "language.usage": "Kies een taal met /language nl of /language en.",
    "button.done.tip": "Gedaan",
    "button.done.practice": "Gedaan!",
    "button.done.peer-feedback": "Gedaan",
    "button.later": "Later",
    "done.tip": "Mooi, genoteerd. 👍",
    "done.practice": (
        "Goed dat je het in je werk hebt geprobeerd: daar beklijft het leren. "
        "Ik vraag je straks hoe het ging."
    ),
    "done.peer-feedback": "Dank je dat je tijd maakte voor een collega. 🙌",
    "later.ok": "Prima, ik herinner je er over een paar uur aan.",
    "reflection.prompt": "_Typ je antwoord als bericht. Alleen jij kunt het teruglezen, met /journal._",
    "reflection.thanks": (
        "Dank je dat je het opschreef. Iets onder woorden brengen is al de helft van het leren. "
        "Je leest het altijd terug met /journal."
    ),
    "quiz.question": "**Vraag {number}/{total}:**",
    "quiz.correct": "✅ Juist!",
    "quiz.incorrect": "❌ Niet helemaal.",
    "quiz.right_answer": "Het goede antwoord: {answer}",
    "quiz.finished": "Dat was de quiz: {correct} van de {total} goed. Goed gedaan!",
    "assessment.statement": "**Stelling {number}/{total}:**",
    "kickoff.result": "Dank je! Je ontwikkelpunten, waar de meeste winst zit:",
    "kickoff.suggestions": "Deze keuzemodules passen daarbij:",
    "kickoff.menu_hint": "Je kiest of wijzigt je modules wanneer je wilt met /menu.",
    "closing.result": "**Je voor en na**, per competentie (start → nu):",
    "closing.row": "- {competency}: {before} → {after} ({change})",
    "closing.row_new": "- {competency}: {after}",
    "menu.title": "**Jouw leerpad in {program}**",
    "menu.required": "Hoort bij ieders leerpad:",
    "menu.optional": "Keuzemodules (☑ gekozen):",
    "menu.matches": " · past bij je ontwikkelpunten",
    "menu.no_options": "Dit programma heeft geen keuzemodules.",
    "menu.add": "Kies: {title}",
    "menu.remove": "Verwijder: {title}",
    "menu.added": "“{title}” staat in je leerpad. Ik stuur het op het goede moment.",
    "menu.removed": "“{title}” is uit je leerpad gehaald.",
    "progress.summary": (
        "**Je voortgang**\n"
        "- gedaan: {done}\n"
        "- wacht op jou: {open}\n"
        "- nog te gaan: {remaining} van {total} in je leerpad\n"
        "- reeks: {streak} actieve week/weken op rij"
    ),
    "progress.complete": "🎉 Je hebt je hele leerpad afgerond. Gefeliciteerd!",
    "journal.empty": "Je dagboek is nog leeg. Je reflecties komen hier te staan.",
    "journal.title": "**Je dagboek** (alleen jij ziet dit)",
    "catch_up.intro": (
        "Je hebt {count} onderdeel/onderdelen van het programma gemist. Kies wat je nu wilt doen:"
    ),
    "catch_up.coming": "Komt eraan.",
    "stale.press": "Die knop doet niets meer.",
    "stale.already_done": "Die had je al gedaan. 👍",
    "stale.already_answered": "Die had je al beantwoord.",
    "stale.already_later": "Ik herinner je er al aan.",
    "home.stranger": (
        "Hoi! Ik ben Coachbot, de leercoach van je opleiding, maar ik ken je nog niet. "
        "Stuur me een bericht om mee te doen: als je trainer je heeft aangemeld, herken ik je. "
        "Zo niet, vraag je trainer je toe te voegen."
    ),
    "home.progress": "Je voortgang",
    "home.done": "Gedaan: {done} van de {total} onderdelen van je leerpad",
    "home.open": "Wacht op jou: {open}",
    "home.recent": "Onlangs gedaan: {titles}",
    "home.streak": "Reeks: {streak} actieve week/weken op rij",
    "home.scores.kickoff": "Je scores bij de start, per competentie:",
    "home.scores.compare": "Je voor en na, per competentie (start → afsluiting):",
    "home.next": "Hierna",
    "home.next.item": "- {when}: {title}",
    "home.next.none": "Er staat nu niets gepland.",
    "home.when": "{weekday} {day} {month}, {time}",
    "home.weekdays": "ma di wo do vr za zo",
    "home.months": "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "home.not_started": "Stuur me een bericht om te beginnen: dan start je programma.",
    "home.paused": "Je berichten staan op pauze. Typ /resume om verder te gaan.",
    "home.menu": "Je keuzemodules",
    "home.menu.later": "Je kiest modules zodra je programma loopt en niet op pauze staat.",
    "help.coach": "Praat met een coach",
    "coach.confirm": "Wil je met een coach praten? Dan geef ik je vraag door aan een echte persoon.",
    "coach.yes": "Ja, graag",
    "coach.no": "Nee, nu niet",
    "coach.not_now": "Prima. Typ /coach als je toch iemand wilt spreken.",
    "coach.describe": (
        "Ik zoek een coach voor je. Waar gaat het over? Eén regel is genoeg; je kunt dit ook overslaan."
    ),
    "coach.skip": "Overslaan",
    "coach.share": (
        "Mag de coach je laatste {count} reflecties lezen? Dat helpt om je vraag te begrijpen. "
        "Zonder jouw ja ziet de coach ze niet."
    ),
    "coach.share.yes": "Ja, deel ze",
    "coach.share.no": "Nee, niet delen",
    "coach.opened": "Je vraag staat klaar voor de coaches. Wie hem oppakt, praat hier met je verder.",
    "coach.no_coaches": (
        "Je groep heeft nog geen coach, dus ik kan je vraag niet doorgeven. Vraag je trainer ernaar."
    ),
    "coach.waiting": (
        "Er heeft nog geen coach op je vraag gereageerd. Zodra iemand hem oppakt, kun je hier "
        "met die coach praten."
    ),
    "coach.already.asking": (
        "Je bent al een vraag voor een coach aan het stellen: beantwoord mijn vraag hierboven."
    ),
    "coach.already.open": (
        "Je vraag ligt al bij de coaches; wie hem oppakt, reageert hier. Typ /coach end om hem in te trekken."
    ),
    "coach.already.claimed": (
        "Je praat al met een coach: typ gewoon je bericht. Typ /coach end om af te sluiten."
    ),
    "coach.none_open": "Je hebt geen open vraag aan een coach.",
    "coach.too_long": (
        "Dat bericht is te lang om door te geven (meer dan 4.000 tekens). Kun je het korter zeggen, "
        "of in een paar berichten?"
    ),
    "coach.nobody": "Er is nu geen coach om dit aan door te geven.",
    "coach.claim": "Oppakken",
    "coach.claimed_label": "Opgepakt",
    "coach.not_yours": "Dit is geen vraag uit een groep waarvan jij coach bent.",
    "coach.taken": "{coach} heeft deze vraag al opgepakt.",
    "coach.claimed_by_you": (
        "Je hebt vraag #{case} van {learner} opgepakt. Wat je hier typt, gaat naar {learner}. "
        "Met /cases zie je je open vragen, met /reply NUMMER tekst antwoord je op een andere, "
        "met /close sluit je af."
    ),
    "coach.claimed": "Coach {coach} heeft je vraag opgepakt. Typ hier gewoon je bericht voor {coach}.",
    "coach.cases.hint": (
        "Typ hier je antwoord, of /reply NUMMER tekst voor een andere vraag. /cases NUMMER toont een "
        "gesprek tot nu toe; /unclaim NUMMER geeft de vraag terug aan alle coaches, /handover NUMMER "
        "aan een van hen; /close NUMMER sluit hem."
    ),
    "coach.text_only": "Ik kan alleen tekst doorgeven: typ alsjeblieft wat je wilt zeggen.",
    "coach.post.claimed_by": "Opgepakt door {coach}.",
    "coach.post.closed": "Gesloten.",
    "coach.claim_first": (
        "Vraag #{case} heeft nog geen coach: druk eerst op Oppakken, dan gaat je antwoord door."
    ),
    "coach.not_your_case": (
        "Vraag #{case} is niet aan jou om te beantwoorden, dus ik heb dat niet doorgegeven."
    ),
    "coach.unclaimed_by_you": "Je hebt vraag #{case} teruggegeven: alle coaches kunnen hem weer oppakken.",
    "coach.handed_back": (
        "Coach {by} moest je vraag teruggeven. Een andere coach pakt hem op; tot dan wachten je "
        "berichten hier."
    ),
    "coach.handover.pick": "Wie neemt vraag #{case} over?",
    "coach.handover.nobody": "Er is geen andere coach in deze groep om vraag #{case} aan over te dragen.",
    "coach.handover.usage": (
        "Om een vraag aan een andere coach over te dragen: /handover NUMMER (typ /cases voor de nummers)."
    ),
    "coach.handed_over_by_you": "Vraag #{case} ligt nu bij {coach}.",
    "coach.handed_on": "Coach {by} heeft je vraag overgedragen aan coach {coach}, die vanaf nu met je praat.",
    "coach.handed_to_you": (
        "{by} heeft vraag #{case} van {learner} aan jou overgedragen. Typ /cases {case} om het gesprek "
        "tot nu toe te lezen; wat je nu typt gaat naar {learner}."
    ),
    # Peer-feedback rondes (bot/flows/peers.py).
    "peer.intro.pair": "Je partner in deze ronde is **{partner}**: jullie geven elkaar feedback.",
    "peer.intro.trio": "Jij geeft feedback aan **{partner}**, en **{giver}** geeft jou feedback.",
    "peer.intro.deadline": (
        "Geef je feedback vóór {deadline}. Druk op de knop, dan stel "
        "ik je {count} korte vragen, één voor één."
    ),
    "peer.alone": "Er is deze ronde niemand anders in je groep, dus deze stap doe je deze keer alleen.",
    "peer.anonymous": "een collega uit je groep",
    "peer.give": "Feedback geven",
    "peer.question": "({step}/{count}) {question}",
    "peer.confirm": "Dit is je feedback voor {partner}:",
    "peer.send": "Verstuur",
    "peer.redo": "Opnieuw schrijven",
    "peer.sent": "Verstuurd! {partner} krijgt je feedback.",
    "peer.already_given": "Je hebt deze feedback al verstuurd.",
    "peer.received": "**Feedback van {giver}**",
    "peer.received.ask": (
        "Hoe nuttig is deze feedback voor je? Je kunt de gever ook bedanken, of het melden bij een coach."
    ),
    "peer.thank": "Bedank",
    "peer.report": "Meld",
    "peer.rated": "Dank je voor je beoordeling.",
    "peer.thank.ask": "Wat wil je tegen {giver} zeggen? Eén kort bericht.",
    "peer.thank.too_long": (
        "Dat is wat lang voor een bedankje: houd het onder de {limit} tekens, alsjeblieft."
    ),
    "peer.thank.sent": "Je bedankje is onderweg.",
    "peer.thanks": "{receiver} bedankt je voor je feedback:\n\n{text}",
    "peer.reported": (
        "Dank je dat je het meldt. Een coach kijkt ernaar en praat er misschien met je over; de feedback "
        "blijft van jou. Wie hem gaf, hoort hier niets over."
    ),
    "peer.report.description": "Melding over peer feedback",
    "peer.report.post": "Gemelde feedback, gegeven door {giver}:",
    "peer.reminder": "Een herinnering: je feedback voor {partner} staat nog open. Je hebt tot {deadline}.",
    "peer.no_show": (
        "Je partner kon je deze ronde geen feedback geven. Dat gebeurt, en het zegt niets over jou. "
        "In plaats daarvan een korte reflectie: wat viel je de afgelopen dagen op aan je eigen aanpak? "
        "Typ gewoon je antwoord."
    ),
    "peer.status.on": "Je doet mee aan peer-feedback rondes. Typ /peers off om ze over te slaan.",
    "peer.status.off": "Je slaat peer-feedback rondes over. Typ /peers on om weer mee te doen.",
    "peer.turned.on": "Gedaan: je doet mee aan de volgende peer-feedback rondes.",
    "peer.turned.off": (
        "Gedaan: je slaat de volgende peer-feedback rondes over. Typ /peers on om weer mee te doen."
    ),
    "journal.peer.received": "**{date} · Feedback van {giver}**",
    "journal.peer.given": "**{date} · Jouw feedback voor {receiver}**",
    "coach.history.none": "Er zijn geen vragen aan een coach om te laten zien.",
    "coach.history.title": "**Vragen aan een coach**",
    "coach.history.case": "**#{case}** ({date}) {learner}, met coach {coach}: {status}",
    "coach.history.status.asking": "wordt gesteld",
    "coach.history.status.open": "wacht op een coach",
    "coach.history.status.claimed": "in gesprek",
    "coach.history.status.closed": "gesloten",
    "coach.cases.title": "**Je open vragen**",
    "coach.cases.line": "- #{case}: {learner}",
    "coach.cases.none": "Je hebt nu geen open vragen.",
    "coach.no_such_case": "Die vraag staat niet bij jou open. Typ /cases voor je lijst.",
    "coach.reply_usage": "Zo antwoord je op een vraag: /reply NUMMER je tekst (typ /cases voor de nummers).",
    "coach.closed_by_you": "Vraag #{case} is afgesloten.",
    "coach.closed": (
        "Coach {coach} heeft het gesprek afgesloten. Hoe nuttig was het, van één ster (niet) "
        "tot vijf (heel)? Je programma gaat nu weer verder."
    ),
    "coach.ended": (
        "Je gesprek met de coach is afgesloten. Hoe nuttig was het, van één ster (niet) tot vijf (heel)? "
        "Je programma gaat nu weer verder."
    ),
    "coach.ended_by_learner": "{learner} heeft vraag #{case} afgesloten.",
    "coach.withdrawn": "Je vraag aan de coaches is ingetrokken. Je programma gaat weer verder.",
    "coach.rated": "Dank je voor je beoordeling!",
    "coach.role.learner": "deelnemer",
    "coach.role.coach": "coach",
    "coach.post.title": "**Nieuwe vraag #{case}** van {learner}",
    "coach.post.progress": "{program}: {done} van {total} onderdelen gedaan, laatst actief {last}",
    "coach.post.about": "Waar het over gaat: {about}",
    "coach.post.no_description": "(geen omschrijving)",
    "coach.post.reflections": "Gedeelde reflecties:",
    "coach.chase": "Vraag #{case} van {learner} wacht nog op een coach. Kun jij hem oppakken?",
    "coach.slow": (
        "Het duurt langer dan normaal voordat een coach op je vraag reageert, sorry daarvoor. "
        "Je vraag staat nog steeds klaar; je hoort het hier zodra iemand hem oppakt."
    ),
    "coach.lead": (
        "Vraag #{case} van {learner} is na twee herinneringstermijnen nog door niemand opgepakt. "
        "Wil jij zorgen dat iemand hem oppakt?"
    ),
    "coach.chase_claimed": "{learner} wacht sinds een werkdag op je antwoord in vraag #{case}.",
}
