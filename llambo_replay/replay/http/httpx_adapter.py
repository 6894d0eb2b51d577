"""The replay transport for `httpx` clients (the openai SDK uses `httpx2`; LangChain, LiteLLM and many
other libraries build `httpx` clients of their own).

`httpx.Client(transport=for_httpx(transport))` sends every request through the same `ReplayTransport`,
so the same keys, slots and cassettes serve both kinds of client. The adapter only converts requests
and responses between the two libraries; `httpx` is imported only when it is used."""

from __future__ import annotations

from typing import Any

import httpx2

from llambo_replay.replay.http.transport import ReplayTransport


def for_httpx(transport: ReplayTransport) -> Any:
    """An `httpx.BaseTransport` and `httpx.AsyncBaseTransport` over `transport`."""
    import httpx

    def forward(request: httpx.Request, content: bytes) -> httpx2.Request:
        return httpx2.Request(
            request.method,
            str(request.url),
            headers=request.headers.multi_items(),
            content=content,
            extensions=request.extensions,
        )

    def back(response: httpx2.Response, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            response.status_code,
            headers=response.headers.multi_items(),
            content=response.content,
            request=request,
        )

    class HttpxReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = transport.handle_request(forward(request, request.read()))
            response.read()
            return back(response, request)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await transport.handle_async_request(forward(request, await request.aread()))
            await response.aread()
            return back(response, request)

        def close(self) -> None:
            transport.close()

        async def aclose(self) -> None:
            await transport.aclose()

    return HttpxReplayTransport()
