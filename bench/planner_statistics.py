"""What a bench does to a database it has just filled, so that it measures Coachbot as a live
database runs it.

PostgreSQL plans each query from statistics of the tables, which autovacuum gathers soon after
a table has changed much (within a minute, by default). A bench fills its tables and measures at
once, and some servers run without autovacuum (the one on this project's machine did): without
statistics the planner takes the tables for nearly empty. It then looked for a Slack event's
senders among all of the platform's identities (the unique index searched by platform only): the
server spent four times as long on that query, and a group of events waited twice as long for
the server as on an analysed database; claiming among 5,000 due rows took 0.75 s instead of
0.07 s (docs/performance.md). SQLite keeps no statistics unless told, and neither does a live
Coachbot, so it is measured as it is.
"""

from __future__ import annotations

from sqlalchemy import text

from bot.storage.db import Database


async def analyze(db: Database) -> None:
    """PostgreSQL: gather the query planner's statistics, as autovacuum would have by now."""
    if db.dialect == "postgresql":
        async with db.transaction() as session:
            await (await session.connection()).execute(text("ANALYZE"))
