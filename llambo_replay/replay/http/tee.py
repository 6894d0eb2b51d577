"""A streamed answer, while recording, passed to the client as it arrives and stored once it is whole.

Before, a stream was read whole, checked, stored and only then handed over: the client saw its first
event when the last had arrived, which changes interactive programs and time-to-first-token. Teed,
each chunk reaches the client as the endpoint sends it. The price: once the client has events, a
stream that breaks (or turns out not to be valid server-sent events) cannot be asked again on the
client's behalf: it ends in an error for the client, as it would from the endpoint directly, and
nothing is stored (the next recording asks again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import httpx2

from llambo_replay.errors import EndpointError
from llambo_replay.replay.http.answers import BodyLimit
from llambo_replay.replay.http.retry import RetryableFailure
from llambo_replay.replay.http.schema import answer_kind

# Framing of the body as it came over the wire: the client gets the decoded bytes.
WIRE_FRAMING = frozenset({"content-length", "content-encoding", "transfer-encoding"})


def teeable(response: httpx2.Response) -> bool:
    """Answers passed on as they arrive: successful event streams."""
    return response.status_code == 200 and answer_kind(response.headers.get("content-type", "")) == "event-stream"


class TeedStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """The body of `response`, chunk by chunk under `limit`; once all of it is through, `finish` judges and
    stores the whole (in a thread when async: the store fsyncs). When the client stops reading before the
    end (the SDK stops at `[DONE]`), the rest is read without it, then stored."""

    def __init__(self, response: httpx2.Response, limit: BodyLimit, finish: Callable[[bytes], None]) -> None:
        self._response, self._limit, self._finish = response, limit, finish
        self._chunks: list[bytes] = []

    def _take(self, chunk: bytes) -> bytes:
        self._chunks.append(self._limit.take(chunk))
        return chunk

    def _whole(self) -> bytes:
        content, self._chunks = b"".join(self._chunks), []
        return content

    def __iter__(self) -> Iterator[bytes]:
        chunks = self._response.iter_bytes()
        with _as_endpoint_errors():
            try:
                for chunk in chunks:
                    yield self._take(chunk)
            except GeneratorExit:  # the client stopped reading (the SDK does, at `[DONE]`): the rest is read
                with _unless_unusable():
                    for chunk in chunks:
                        self._take(chunk)
                    self._finish(self._whole())
                raise
            finally:
                self._response.close()
            self._finish(self._whole())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._response.aiter_bytes()
        with _as_endpoint_errors():
            try:
                async for chunk in chunks:
                    yield self._take(chunk)
            except GeneratorExit:
                with _unless_unusable():
                    async for chunk in chunks:
                        self._take(chunk)
                    await asyncio.to_thread(self._finish, self._whole())
                raise
            finally:
                await self._response.aclose()
            await asyncio.to_thread(self._finish, self._whole())

    def close(self) -> None:
        self._response.close()

    async def aclose(self) -> None:
        await self._response.aclose()


@contextmanager
def _as_endpoint_errors() -> Iterator[None]:
    """A stream that fails after the client has events is not retried: the reason reaches the client."""
    try:
        yield
    except (RetryableFailure, httpx2.TransportError) as error:
        raise EndpointError(
            f"the streamed answer failed after the client had part of it ({error or error.__class__.__name__}); "
            "nothing was stored, rerun to record it"
        ) from None


@contextmanager
def _unless_unusable() -> Iterator[None]:
    """After the client has stopped reading, an unusable rest is not stored and not its business."""
    try:
        yield
    except (RetryableFailure, EndpointError, httpx2.TransportError):
        pass


def teed_response(response: httpx2.Response, request: httpx2.Request, stream: TeedStream) -> httpx2.Response:
    headers = [(name, value) for name, value in response.headers.multi_items() if name.lower() not in WIRE_FRAMING]
    return httpx2.Response(response.status_code, headers=headers, stream=stream, request=request)
