"""The engine: the only path from LLAMBO to an LLM.

It wraps an `openai.AsyncOpenAI` client (built on the replay layer, so every call is
recorded or replayed), runs requests concurrently on its own event loop, tops up
endpoints that ignore `n`, and keeps the usage ledger. It opens no files and no sockets
of its own.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import openai

from llambo_replay.llambo.prompts import SYSTEM_MESSAGE
from llambo_replay.replay.http.session import unwrap
from llambo_replay.replay.occurrences import Batch
from llambo_replay.replay.pricing import cached_tokens, cost_usd, token_count

MAX_TOPUP_ROUNDS = 4
_DRAIN_ROUNDS = 20  # one per level of nested tasks is enough; bounded all the same
# The order in which the distinct prompts of one call are sent. Answers, request keys and occurrence
# slots do not depend on it (each prompt's requests keep their own order); a server's prompt cache
# does. "prefix": sorted, so that neighbours share the longest prefix (LLAMBO's prompts for one
# template differ only in their last line), and with one request in flight each prompt's samples are
# asked back to back; llama.cpp then re-reads only what changed. "program": the order LLAMBO made them.
REQUEST_ORDERS = ("prefix", "program")


@dataclass(frozen=True)
class Sampling:
    temperature: float
    top_p: float
    max_tokens: int | None  # None: not sent (the endpoint's own limit), as the official warm-start asks


def message_text(content: Any) -> str:
    """A chat answer's text: the string, or the text parts of a list of parts joined; "" for none."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    texts = [part.get("text") if isinstance(part, dict) else getattr(part, "text", None) for part in parts]
    return "".join(text for text in texts if isinstance(text, str))


@dataclass
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    short_answers: int = 0  # samples still missing after top-ups (counted as unparseable)
    cached_prompt_tokens: int = 0  # prompt tokens the provider served from its prompt cache

    def add(self, usage: Any, model: str) -> None:
        self.requests += 1
        if usage is None:
            return
        details = getattr(usage, "prompt_tokens_details", None)
        tokens = {  # a count that is not a whole number counts as unknown (0): the answer is kept all the same
            "prompt_tokens": token_count(getattr(usage, "prompt_tokens", 0)),
            "completion_tokens": token_count(getattr(usage, "completion_tokens", 0)),
            "prompt_tokens_details": {"cached_tokens": token_count(getattr(details, "cached_tokens", 0))},
        }
        self.prompt_tokens += tokens["prompt_tokens"]
        self.completion_tokens += tokens["completion_tokens"]
        self.cached_prompt_tokens += cached_tokens(tokens)
        self.cost_usd += cost_usd(model, tokens)

    def minus(self, earlier: Usage) -> Usage:
        return Usage(**{k: v - getattr(earlier, k) for k, v in asdict(self).items()})

    def snapshot(self) -> Usage:
        return Usage(**asdict(self))


@dataclass
class Engine:
    client: openai.AsyncOpenAI
    model: str
    max_concurrency: int = 4
    system_message: str = SYSTEM_MESSAGE
    usage: Usage = field(default_factory=Usage)
    order: str = "prefix"
    # The model of `complete` calls, when not `model`: the official code asks a completions (instruct)
    # model for the generative surrogate's logprobs and a chat model for everything else.
    completions_model: str | None = None
    on_response: Callable[[Usage], None] | None = None  # told after each answer is counted (a progress bar)

    def __post_init__(self) -> None:
        if self.order not in REQUEST_ORDERS:
            raise ValueError(f"unknown request order {self.order!r}; choose one of {REQUEST_ORDERS}")
        self._loop = asyncio.new_event_loop()
        self._semaphore: asyncio.Semaphore | None = None
        self._failed: BaseException | None = None  # once a request fails, no other one is sent

    # -- public -----------------------------------------------------------------------
    def chat(
        self, prompts: Sequence[str], n: int, sampling: Sampling, response_format: dict[str, Any] | None = None
    ) -> list[list[str]]:
        """Exactly `n` answer texts per prompt (missing samples are empty strings)."""

        def extract(response: Any) -> list[str]:
            return [message_text(choice.message.content) for choice in response.choices]

        def call(prompt: str) -> Any:
            kwargs = {"response_format": response_format} if response_format else {}
            return self.client.chat.completions.create(
                model=self.model,
                n=n,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=_optional(sampling.max_tokens),
                messages=[{"role": "system", "content": self.system_message}, {"role": "user", "content": prompt}],
                **kwargs,
            )

        return self._run(prompts, n, call, extract, "", self.model)

    def complete(self, prompts: Sequence[str], n: int, sampling: Sampling, logprobs: int = 5) -> list[list[dict]]:
        """Exactly `n` completions per prompt as `{"text", "top_logprobs"}` (legacy completions API)."""

        def extract(response: Any) -> list[dict]:
            out = []
            for choice in response.choices:
                lp = choice.logprobs
                out.append(
                    {
                        "text": choice.text or "",
                        "tokens": list(lp.tokens or []) if lp else [],
                        "top_logprobs": [dict(d or {}) for d in (lp.top_logprobs or [])] if lp else [],
                    }
                )
            return out

        def call(prompt: str) -> Any:
            return self.client.completions.create(
                model=model,
                prompt=prompt,
                n=n,
                logprobs=logprobs,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=_optional(sampling.max_tokens),
            )

        model = self.completions_model or self.model
        return self._run(prompts, n, call, extract, {"text": "", "tokens": [], "top_logprobs": []}, model)

    def close(self) -> None:
        self._drain()
        self._loop.run_until_complete(self.client.close())
        self._loop.close()

    def _drain(self) -> None:
        """Cancel what an interruption (Ctrl-C, SIGTERM) left running on the loop and let it unwind, so
        that closing the loop leaves no half-run request behind (and prints no "Event loop is closed").

        A Ctrl-C that lands inside a request's task is re-raised by each task awaiting it as it unwinds
        (asyncio lets KeyboardInterrupt out of the loop): keep unwinding, and take every task's outcome
        so that none is reported later as "Task exception was never retrieved"."""
        touched: set[asyncio.Task] = set()
        for _ in range(_DRAIN_ROUNDS):
            pending = [task for task in asyncio.all_tasks(self._loop) if not task.done()]
            if not pending:
                break
            touched.update(pending)
            for task in pending:
                task.cancel()
            try:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            except (KeyboardInterrupt, SystemExit):
                continue  # the interruption being unwound, re-raised by the next task up
        for task in touched:
            if task.done() and not task.cancelled():
                task.exception()

    # -- internals --------------------------------------------------------------------
    def _run(self, prompts: Sequence[str], n: int, call: Any, extract: Any, empty: Any, model: str) -> list[list[Any]]:
        # Identical prompts are asked once for all their samples, so each request key
        # belongs to one coroutine and its occurrence slots follow one deterministic order.
        counts = Counter(prompts)
        unique = list(counts)  # first-seen order
        wanted = {p: n * counts[p] for p in unique}
        self._failed = None
        try:
            answers = self._loop.run_until_complete(self._gather(unique, wanted, n, call, extract, empty, model))
        except BaseException:
            self._drain()
            raise
        by_prompt = dict(zip(unique, answers))
        taken: dict[str, int] = {}
        out = []
        for prompt in prompts:
            start = taken.get(prompt, 0)
            out.append(by_prompt[prompt][start : start + n])
            taken[prompt] = start + n
        return out

    async def _gather(
        self, prompts: list[str], wanted: dict[str, int], n: int, call: Any, extract: Any, empty: Any, model: str
    ) -> list[list[Any]]:
        self._semaphore = self._semaphore or asyncio.Semaphore(self.max_concurrency)
        sending = sorted(prompts) if self.order == "prefix" else prompts
        if self.order == "prefix" and self.max_concurrency == 1:
            answers = [await self._samples(p, wanted[p], n, call, extract, empty, model) for p in sending]
        else:
            answers = await _all([self._samples(p, wanted[p], n, call, extract, empty, model) for p in sending])
        by_prompt = dict(zip(sending, answers))
        return [by_prompt[p] for p in prompts]

    async def _one(self, prompt: str, call: Any, extract: Any, model: str, batch: Batch, index: int) -> list[Any]:
        assert self._semaphore is not None
        async with self._semaphore:
            # A request waiting for a slot would otherwise take the one a failed request just freed,
            # and be sent (and paid for) before the failure reaches the caller.
            if self._failed is not None:
                raise self._failed
            try:
                with batch.member(index):  # its occurrence slot is its place here, whenever it arrives
                    response = await call(prompt)
            except openai.OpenAIError as exc:
                self._failed = unwrap(exc)
                raise self._failed from None
            except Exception as exc:
                self._failed = exc
                raise
        self.usage.add(getattr(response, "usage", None), model)
        if self.on_response is not None:
            self.on_response(self.usage)
        return extract(response)

    async def _samples(
        self, prompt: str, total: int, n: int, call: Any, extract: Any, empty: Any, model: str
    ) -> list[Any]:
        """`total` samples from requests asking `n` each; endpoints that return fewer get the same request again."""
        got: list[Any] = []
        per_request = n
        for _ in range(MAX_TOPUP_ROUNDS + 1):
            missing = total - len(got)
            if missing <= 0:
                break
            batch = Batch(math.ceil(missing / max(per_request, 1)))
            batches = await _all([self._one(prompt, call, extract, model, batch, i) for i in range(batch.size)])
            for batch in batches:
                got.extend(batch)
            per_request = max(min(len(b) for b in batches), 1)
        if len(got) < total:
            self.usage.short_answers += total - len(got)
            got.extend([empty] * (total - len(got)))
        return got[:total]


def _optional(value: Any) -> Any:
    """A request field that is left out, not sent as null, when it is None."""
    return openai.NOT_GIVEN if value is None else value


async def _all(coroutines: list[Any]) -> list[Any]:
    """gather, but a failure cancels the rest, so nothing is left running on a closed loop."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]  # scheduled in program order
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
