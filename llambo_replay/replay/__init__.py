"""Content-addressed record/replay of OpenAI-protocol HTTP traffic.

This package knows HTTP, JSON and files. It knows nothing of LLAMBO, Bayesian
optimisation or benchmarks: any program that talks to an OpenAI-compatible endpoint
through the official `openai` client can use it.
"""

from llambo_replay.replay.http.capture import capture
from llambo_replay.replay.http.httpx_adapter import for_httpx
from llambo_replay.replay.http.rate_limit import RateLimit
from llambo_replay.replay.http.retry import RetryPolicy
from llambo_replay.replay.http.session import make_transport, open_async_client, open_client, unwrap
from llambo_replay.replay.http.transport import ReplayTransport
from llambo_replay.replay.modes import RecordMode, parse_mode
from llambo_replay.replay.storage.store import CassetteStore

__all__ = [
    "CassetteStore",
    "capture",
    "for_httpx",
    "RecordMode",
    "ReplayTransport",
    "RateLimit",
    "RetryPolicy",
    "open_async_client",
    "open_client",
    "make_transport",
    "unwrap",
    "parse_mode",
]
