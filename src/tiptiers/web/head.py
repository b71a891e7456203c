"""HEAD requests answered as the GET of the same URL without its body (RFC 9110 9.3.2).

FastAPI routes declare GET only, so link checkers, `curl -I` and caches probing with HEAD got 405. Outermost, so
the HEAD sees the very headers (ETag, Content-Length, cache) the GET would.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not finished:
                if not message.get("more_body", False):
                    finished = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
