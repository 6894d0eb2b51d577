"""A real OpenAI-protocol HTTP server on 127.0.0.1, for tests, benchmarks and fault drills.

It speaks `/v1/chat/completions`, `/v1/completions` and `/v1/models`. What it says is
decided by a `responder(body, sample_index) -> str`, so it needs no model; `sample_index`
counts identical requests, letting a test server give fresh "samples" in a fixed order.
Faults (status codes, resets, delays, bad JSON) are queued per request number.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llambo_replay.replay.pricing import approx_chat_tokens, approx_tokens

Responder = Callable[[dict[str, Any], int], str]


def echo_responder(body: dict[str, Any], sample_index: int) -> str:
    """Default: a short deterministic text naming the request and the sample."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return f"reply {digest} #{sample_index}"


@dataclass
class Fault:
    """What to do instead of answering: an HTTP status, a reset, invalid JSON, or a delay first."""

    status: int | None = None
    retry_after: str | None = None
    reset: bool = False
    bad_json: bool = False
    body: dict[str, Any] | None = None  # answer HTTP 200 with this JSON instead of a completion
    raw: bytes | None = None  # answer HTTP 200 with these bytes (JSON that `json.dumps` would not write)
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # sent with the fault's answer (location, encoding)
    trickle_s: float = 0.0  # send the answer's body one byte at a time, this long apart


@dataclass
class LoopbackServer:
    responder: Responder = echo_responder
    ignore_n: bool = False  # like llama.cpp's server: one choice whatever `n` says
    latency_s: float = 0.0
    max_concurrency: int | None = None  # answer 429 beyond this many requests in flight
    faults: dict[int, Fault] = field(default_factory=dict)  # by 0-based request number
    received: list[dict[str, Any]] = field(default_factory=list)
    received_headers: list[dict[str, str]] = field(default_factory=list)
    response_headers: dict[str, str] = field(default_factory=dict)  # sent with every completion
    # Set, a stream's first event is sent, then the rest only once the gate opens (or after 10 s): a test
    # opens it when its client has that event, so `gate_waits` says whether the event came through first.
    stream_gate: threading.Event | None = None
    gate_waits: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: Counter[str] = Counter()
        self._in_flight = 0
        self.peak_in_flight = 0
        self.status_counts: Counter[int] = Counter()
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self, port: int = 0) -> LoopbackServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._send(self, 200, {"object": "list", "data": [{"id": "loopback", "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if self.path.endswith("/files"):  # an upload (multipart): a file object, as OpenAI answers
                    server._upload(self, raw)
                else:
                    server._handle(self, raw)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- protocol ---------------------------------------------------------------------
    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        trickle_s: float = 0.0,
    ) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        headers = dict(headers or {})
        handler.send_response(status)
        content_type = headers.pop("content-type", "application/json")
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        try:
            handler.end_headers()
            if self.stream_gate is not None and content_type == "text/event-stream":
                first, _, rest = payload.partition(b"\n\n")
                handler.wfile.write(first + b"\n\n")
                handler.wfile.flush()
                self.gate_waits.append(self.stream_gate.wait(10))
                handler.wfile.write(rest)
            elif trickle_s:
                for i in range(len(payload)):
                    handler.wfile.write(payload[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(trickle_s)
            else:
                handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test): nothing to say
            handler.close_connection = True
        with self._lock:
            self.status_counts[status] += 1

    def _upload(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        with self._lock:
            self.received.append({"upload_bytes": len(raw)})
            self.received_headers.append({k.lower(): v for k, v in handler.headers.items()})
        digest = hashlib.sha256(raw).hexdigest()[:12]
        self._send(
            handler,
            200,
            {
                "id": f"file-{digest}",
                "object": "file",
                "bytes": len(raw),
                "created_at": 0,
                "filename": "upload",
                "purpose": "batch",
                "status": "processed",
            },
        )

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        body = json.loads(raw or b"{}")
        with self._lock:
            number = len(self.received)
            self.received.append(body)
            self.received_headers.append({k.lower(): v for k, v in handler.headers.items()})
            fault = self.faults.get(number)
            over_limit = self.max_concurrency is not None and self._in_flight >= self.max_concurrency
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            if fault and fault.delay_s:
                time.sleep(fault.delay_s)
            if fault and fault.reset:
                handler.close_connection = True
                handler.connection.shutdown(2)
                return
            if fault and fault.status:
                headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
                self._send(
                    handler,
                    fault.status,
                    fault.body or {"error": {"message": "injected fault"}},
                    headers={**headers, **fault.headers},
                )
                return
            if over_limit:
                self._send(handler, 429, {"error": {"message": "too many requests"}}, headers={"retry-after": "0.05"})
                return
            if self.latency_s:
                time.sleep(self.latency_s)
            if fault and fault.bad_json:
                self._send(handler, 200, None, raw=b'{"choices": [')
                return
            if fault and fault.body is not None:
                self._send(handler, 200, fault.body)
                return
            if fault and fault.raw is not None:
                self._send(handler, 200, None, raw=fault.raw, headers=fault.headers)
                return
            if handler.path.endswith("/audio/speech"):  # speech: bytes, as OpenAI answers (audio/mpeg)
                audio = b"ID3" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest() * 64
                self._send(handler, 200, None, raw=audio, headers={"content-type": "audio/mpeg"})
                return
            if handler.path.endswith("/responses"):  # the Responses API, plain or streamed
                response = self._response(body)
                if body.get("stream"):
                    self._send(
                        handler,
                        200,
                        None,
                        raw=_response_events(response),
                        headers={**self.response_headers, "content-type": "text/event-stream"},
                    )
                else:
                    self._send(handler, 200, response, headers=self.response_headers)
                return
            completion = self._completion(handler.path, body)
            if body.get("stream"):
                self._send(
                    handler,
                    200,
                    None,
                    raw=_event_stream(completion, body),
                    headers={**self.response_headers, "content-type": "text/event-stream"},
                )
                return
            self._send(
                handler, 200, completion, headers=self.response_headers, trickle_s=fault.trickle_s if fault else 0.0
            )
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, body: dict[str, Any], identity: str) -> str:
        """The responder's next sample for this request: the k-th identical request gets sample k."""
        with self._lock:
            sample = self._samples[identity]
            self._samples[identity] += 1
        return self.responder(body, sample)

    def _response(self, body: dict[str, Any]) -> dict[str, Any]:
        """A Responses API answer: one output message whose text the responder writes."""
        identity = json.dumps(body, sort_keys=True)
        text = self._answer(body, identity)
        prompt = approx_tokens(json.dumps(body.get("input", "")))
        usage = {
            "input_tokens": prompt,
            "output_tokens": approx_tokens(text),
            "total_tokens": prompt + approx_tokens(text),
        }
        message = {
            "type": "message",
            "id": "msg_loopback",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        return {
            "id": f"resp_{hashlib.sha256(identity.encode()).hexdigest()[:10]}",
            "object": "response",
            "created_at": 0,
            "model": body.get("model", "loopback"),
            "status": "completed",
            "output": [message],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage,
        }

    def _completion(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        n = 1 if self.ignore_n else int(body.get("n") or 1)
        identity = json.dumps(body, sort_keys=True)
        choices = []
        for index in range(n):
            text = self._answer(body, identity)
            if path.endswith("/chat/completions"):
                choices.append(
                    {"index": index, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                )
            else:
                choices.append(
                    {
                        "index": index,
                        "finish_reason": "stop",
                        "text": text,
                        "logprobs": _logprobs_for(text) if body.get("logprobs") else None,
                    }
                )
        prompt = (
            approx_chat_tokens(body["messages"]) if "messages" in body else approx_tokens(str(body.get("prompt", "")))
        )
        completion = sum(approx_tokens(c["message"]["content"] if "message" in c else c["text"]) for c in choices)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        obj = "chat.completion" if path.endswith("/chat/completions") else "text_completion"
        return {
            "id": f"loopback-{hashlib.sha256(identity.encode()).hexdigest()[:10]}",
            "object": obj,
            "created": 0,
            "model": body.get("model", "loopback"),
            "choices": choices,
            "usage": usage,
        }


def _event_stream(completion: dict[str, Any], body: dict[str, Any]) -> bytes:
    """The completion as OpenAI streams it: one chunk per choice, a usage chunk if asked for, [DONE]."""
    chat = completion["object"] == "chat.completion"
    head = {
        "id": completion["id"],
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": 0,
        "model": completion["model"],
    }
    chunks = []
    for choice in completion["choices"]:
        delta = (
            {"delta": {"role": "assistant", "content": choice["message"]["content"]}}
            if chat
            else {"text": choice["text"]}
        )
        chunks.append({**head, "choices": [{"index": choice["index"], **delta, "finish_reason": "stop"}]})
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**head, "choices": [], "usage": completion["usage"]})
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


def _response_events(response: dict[str, Any]) -> bytes:
    """A Responses API answer as its named events: created, one text delta, completed."""
    text = response["output"][0]["content"][0]["text"]
    events = [
        (
            "response.created",
            {
                "type": "response.created",
                "sequence_number": 0,
                "response": {**response, "status": "in_progress", "output": []},
            },
        ),
        (
            "response.output_text.delta",
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg_loopback",
                "output_index": 0,
                "content_index": 0,
                "delta": text,
                "logprobs": [],
            },
        ),
        ("response.completed", {"type": "response.completed", "sequence_number": 2, "response": response}),
    ]
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)


def _logprobs_for(text: str) -> dict[str, Any]:
    """OpenAI legacy-completions logprobs: each character a token, '0'/'1' both listed."""
    tokens = list(text)
    top = [{"0": -0.3, "1": -1.4} if t in "01" else {t: -0.01} for t in tokens]
    return {
        "tokens": tokens,
        "token_logprobs": [next(iter(d.values())) for d in top],
        "top_logprobs": top,
        "text_offset": list(range(len(tokens))),
    }
