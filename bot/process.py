"""What a long-running Coachbot process does for itself before it starts serving.

`settle_heap()`: the garbage collector's settings for a busy bot. Python's defaults cost an
inbound Slack event about a tenth of its CPU (bench/slack_inbound.py, docs/performance.md):
- a full collection walks every object the process holds, and most of them were made at
  start-up and live as long as the process (modules, the bundled programs, SQLAlchemy's
  mappers and compiled statements): 130,000 objects, about 100 ms per full collection. Frozen
  (`gc.freeze`), they are left out of every collection; they are still freed when unreferenced.
- a young collection runs whenever 700 more container objects were made than freed. A handful
  of requests in flight at once holds that many for a moment, so young collections ran every
  few events, each finding little garbage (most objects are freed by reference counting the
  moment they are done). At 10,000 they run a few times per thousand events, and a reference
  cycle still waits only moments for its collection.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_THRESHOLD = 10_000


def settle_heap() -> None:
    """Collect start-up garbage, freeze what survives, and raise the young threshold. Call once,
    when the modules and programs are loaded (the older generations keep Python's defaults)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
