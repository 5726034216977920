"""The bare apps the inbound benches measure Coachbot against, each run as a process of its own.

    python bench/echo_apps.py slack API_URL TOKEN SIGNING_SECRET EVENTS_PATH
    python bench/echo_apps.py telegram BASE_URL TOKEN

- slack: a slack-bolt `AsyncApp` with one `message` listener that `say()`s the text back,
  served by bolt's own aiohttp app (`AsyncApp.web_app`) on a free port, its Web API client on
  one shared aiohttp session (as Coachbot's is);
- telegram: a python-telegram-bot `Application` polling, one `MessageHandler` echoing the text
  back, no rate limiter.

Why a process of its own, started fresh: this module imports only aiohttp and the app's own
library, so the app carries what a bare app would and no more. Run inside the bench's process,
it carried Coachbot's modules too (SQLAlchemy, pydantic, the bundled programs: 130,000 objects
against 48,000), which every full garbage collection walks; that made the bare app slower.

Talking to the bench, one line each way: once receiving, the app prints `ready <port> <cpu>`
(port 0 for Telegram, which polls; cpu: the process's CPU seconds before its run began); each `cpu` line it
reads is answered with the CPU seconds so far; at the end of its input it stops and exits.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp
from aiohttp import web


async def serve_slack(api_url: str, token: str, signing_secret: str, path: str) -> None:
    from slack_bolt.async_app import AsyncApp, AsyncSay
    from slack_sdk.web.async_client import AsyncWebClient

    async def echo(event: dict[str, Any], say: AsyncSay) -> None:
        await say(event["text"])

    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=token, base_url=api_url, session=session)
        bolt = AsyncApp(client=client, signing_secret=signing_secret)
        bolt.event("message")(echo)
        runner = web.AppRunner(bolt.web_app(path=path), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            await _answer_the_bench(port=int(runner.addresses[0][1]), cpu=time.process_time())
        finally:
            await runner.cleanup()


async def serve_telegram(base_url: str, token: str) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text)

    application = (
        Application.builder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        cpu = time.process_time()  # polling, and so the run, starts now
        await application.updater.start_polling(timeout=30)
        try:
            await _answer_the_bench(port=0, cpu=cpu)
        finally:
            await application.updater.stop()
            await application.stop()


async def _answer_the_bench(*, port: int, cpu: float) -> None:
    print(f"ready {port} {cpu}", flush=True)
    while await asyncio.to_thread(sys.stdin.readline):  # "" at the end of the input
        print(time.process_time(), flush=True)


def main(arguments: list[str]) -> None:
    platform, *rest = arguments
    serve = {"slack": serve_slack, "telegram": serve_telegram}[platform]
    asyncio.run(serve(*rest))


if __name__ == "__main__":
    main(sys.argv[1:])
