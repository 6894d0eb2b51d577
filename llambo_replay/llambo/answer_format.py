"""Answer formats: how a prompt asks for its answer, and how the answer is parsed (the `--protocol` flag
and a run's `settings.protocol` name one).

`paper` is the LLAMBO paper's free-text `## ... ##` format. `json` asks for a JSON object
and sends a JSON schema as `response_format` (llama.cpp's server enforces it with a
grammar), so small local models give parseable answers. Requests differ between the
two, so their cassette keys differ by construction.
"""

from __future__ import annotations

import ast
import json
import math
import re
from abc import ABC, abstractmethod
from typing import Any

from llambo_replay.errors import UsageError
from llambo_replay.llambo.space import SearchSpace

_SCORE_RE = re.compile(r"## (-?[\d.]+) ##")
_PAIR_RE = re.compile(r"(\w+): ([\d.eE+-]+)")
_NUMBERED_DICT_RE = re.compile(r"\d+\.\s+({.*?})", re.DOTALL)  # the official warm-starting reader
_ANY_DICT_RE = re.compile(r"\{[^{}]*\}")


def _literal_dicts(chunks: list[str]) -> list[dict]:
    """Each chunk that is a Python dict literal, as that dict; the others are skipped."""
    found = []
    for chunk in chunks:
        try:
            value = ast.literal_eval(chunk)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _name_map(space: SearchSpace, anonymised: bool) -> dict[str, str]:
    return {(f"X{i + 1}" if anonymised else p.name): p.name for i, p in enumerate(space.params)}


def _to_config(pairs: dict[str, Any], space: SearchSpace, anonymised: bool) -> dict[str, float] | None:
    names = _name_map(space, anonymised)
    config = {}
    for shown, value in pairs.items():
        if shown not in names:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number):
            return None
        config[names[shown]] = number
    return config if set(config) == set(space.names) else None


def _official_pairs(text: str) -> dict[str, Any]:
    """The official sampler's reading of an answer; {} where it would raise (and skip the answer)."""
    parts = text.split("##")
    if len(parts) < 2:
        return {}
    pairs = {}
    for pair in parts[1].strip().split(","):
        items = [x.strip() for x in pair.split(":")]
        if len(items) != 2:
            return {}
        try:
            pairs[items[0]] = float(items[1])
        except ValueError:
            return {}
    return pairs


class AnswerFormat(ABC):
    """What every answer format says in a prompt and how it reads an answer. In-context examples are
    shown in the paper's `## ... ##` form unless a format says otherwise."""

    name: str
    min_score_tokens = 0  # the fewest completion tokens a score answer needs

    @abstractmethod
    def config_instruction(self) -> str: ...

    @abstractmethod
    def configs_instruction(self, n: int) -> str | None: ...

    @abstractmethod
    def score_instruction(self, metric: str) -> str: ...

    def show_config(self, pairs: str) -> str:
        """An in-context example of a configuration answer, from `name: value, ...`."""
        return f"## {pairs} ##"

    def show_score(self, value: str) -> str:
        """An in-context example of a score answer."""
        return f"## {value} ##"

    @abstractmethod
    def config_format(self, space: SearchSpace, anonymised: bool) -> dict[str, Any] | None: ...

    @abstractmethod
    def configs_format(self, space: SearchSpace, anonymised: bool, n: int) -> dict[str, Any] | None: ...

    @abstractmethod
    def score_format(self) -> dict[str, Any] | None: ...

    @abstractmethod
    def parse_config(
        self, text: str, space: SearchSpace, anonymised: bool = False, lenient: bool = True
    ) -> dict[str, float] | None: ...

    @abstractmethod
    def config_dicts(self, text: str) -> list[dict] | None: ...

    @abstractmethod
    def loose_config_dicts(self, text: str) -> list[dict]: ...

    @abstractmethod
    def parse_score(self, text: str) -> float: ...


class PaperFormat(AnswerFormat):
    name = "paper"
    min_score_tokens = 0  # `## 0.95 ##` fits the paper's 8 tokens

    def config_instruction(self) -> str:
        return "Your response must only contain the predicted configuration, in the format ## configuration ##."

    def configs_instruction(self, n: int) -> str | None:
        """The warm-starting answer format; None keeps the official template's (a list of Python dicts)."""
        return None

    def score_instruction(self, metric: str) -> str:
        return f"Your response should only contain the predicted {metric} in the format ## performance ##."

    def config_format(self, space: SearchSpace, anonymised: bool) -> dict[str, Any] | None:
        return None

    def configs_format(self, space: SearchSpace, anonymised: bool, n: int) -> dict[str, Any] | None:
        return None

    def score_format(self) -> dict[str, Any] | None:
        return None

    def parse_config(
        self, text: str, space: SearchSpace, anonymised: bool = False, lenient: bool = True
    ) -> dict[str, float] | None:
        """`## C: 1.5, gamma: 0.01 ##` -> config; None if unusable. Strict reading is the official one:
        the text after the first `##`, split on commas and colons, every value a float. Lenient reading
        also takes bare `C: 1.5, ...` text, markdown escapes and junk around the pairs."""
        if not lenient:
            return _to_config(_official_pairs(text), space, anonymised)
        text = text.replace("\\", "")
        body = text.split("##")[1] if text.count("##") >= 2 else text.strip().rstrip(".")
        pairs = dict(_PAIR_RE.findall(body))
        return _to_config(pairs, space, anonymised) if pairs else None

    def config_dicts(self, text: str) -> list[dict] | None:
        """A warm-starting answer's configurations as written, as the official reader takes them: every
        `<number>. {...}` item a Python dict literal; None where one is not (it drops the whole answer)."""
        items = _NUMBERED_DICT_RE.findall(text)
        found = _literal_dicts(items)
        return found if len(found) == len(items) else None

    def loose_config_dicts(self, text: str) -> list[dict]:
        """Every `{...}` in the answer that is a dict literal, numbered or not (the robust reading)."""
        return _literal_dicts(_ANY_DICT_RE.findall(text))

    def parse_score(self, text: str) -> float:
        found = _SCORE_RE.findall(text)
        try:
            return float(found[0]) if len(found) == 1 else math.nan
        except ValueError:
            return math.nan


class JsonFormat(AnswerFormat):
    name = "json"
    min_score_tokens = 24  # `{ "performance": 0.9583164 }` does not fit in 8

    def config_instruction(self) -> str:
        return (
            "Your response must only contain the predicted configuration, as a JSON object mapping each "
            "hyperparameter name to its value."
        )

    def configs_instruction(self, n: int) -> str:
        return (
            f'Your response must only contain a JSON object {{"configurations": [...]}} holding {n} objects, '
            "each mapping every hyperparameter name to its value."
        )

    def score_instruction(self, metric: str) -> str:
        return f'Your response should only contain the predicted {metric} as a JSON object {{"performance": value}}.'

    @staticmethod
    def _config_schema(space: SearchSpace, anonymised: bool) -> dict[str, Any]:
        names = list(_name_map(space, anonymised))
        return {"type": "object", "properties": {n: {"type": "number"} for n in names}, "required": names}

    def config_format(self, space: SearchSpace, anonymised: bool) -> dict[str, Any] | None:
        return {"type": "json_object", "schema": self._config_schema(space, anonymised)}

    def configs_format(self, space: SearchSpace, anonymised: bool, n: int) -> dict[str, Any] | None:
        schema = {
            "type": "object",
            "required": ["configurations"],
            "properties": {
                "configurations": {
                    "type": "array",
                    "minItems": n,
                    "maxItems": n,
                    "items": self._config_schema(space, anonymised),
                }
            },
        }
        return {"type": "json_object", "schema": schema}

    def score_format(self) -> dict[str, Any] | None:
        return {
            "type": "json_object",
            "schema": {
                "type": "object",
                "properties": {"performance": {"type": "number"}},
                "required": ["performance"],
            },
        }

    @staticmethod
    def _load(text: str) -> Any:
        text = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
        try:
            return json.loads(text)
        except ValueError:
            return None

    def parse_config(
        self, text: str, space: SearchSpace, anonymised: bool = False, lenient: bool = True
    ) -> dict[str, float] | None:
        value = self._load(text)
        return _to_config(value, space, anonymised) if isinstance(value, dict) else None

    def config_dicts(self, text: str) -> list[dict] | None:
        value = self._load(text)
        items = value.get("configurations") if isinstance(value, dict) else value
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            return None
        return items

    def loose_config_dicts(self, text: str) -> list[dict]:
        value = self._load(text)
        items = value.get("configurations") if isinstance(value, dict) else value
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

    def parse_score(self, text: str) -> float:
        value = self._load(text)
        score = value.get("performance") if isinstance(value, dict) else None
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            return math.nan
        return float(score) if math.isfinite(score) else math.nan


class JsonExamplesFormat(JsonFormat):
    """The JSON protocol with in-context examples in JSON too, so a prompt never shows the answer format
    it does not ask for. `json` keeps the paper's `## ... ##` examples: the committed recordings use it."""

    name = "json-examples"

    def show_config(self, pairs: str) -> str:
        return (
            "{"
            + ", ".join(f'"{name}": {value}' for name, value in (pair.split(": ", 1) for pair in pairs.split(", ")))
            + "}"
        )

    def show_score(self, value: str) -> str:
        return f'{{"performance": {value}}}'


ANSWER_FORMATS: dict[str, AnswerFormat] = {
    "paper": PaperFormat(),
    "json": JsonFormat(),
    "json-examples": JsonExamplesFormat(),
}


def get_answer_format(name: str) -> AnswerFormat:
    try:
        return ANSWER_FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown answer format {name!r}; choose one of: {', '.join(ANSWER_FORMATS)}") from None
