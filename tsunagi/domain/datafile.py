"""Loading YAML data files that municipalities edit, with errors that say where.

A `DataFileError` names the file, the path inside it and the line, e.g.
``demo.yaml: providers[2].service (line 41): 'kaigo' is not one of houkatsu, ...``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """The one base of every data file and request body the product validates: unknown
    keys are errors (a typo in a municipality's file must not pass silently), values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataFileError(ValueError):
    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    node = value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


Problem = tuple[tuple[Any, ...], str]


def load_model(
    path: Path | str, model: type[M], check: Callable[[M], list[Problem]] | None = None
) -> M:
    """Parse `path` as YAML, validate it as `model`, then run `check` on the result.

    `check` returns cross-reference problems as (location, message) pairs, located the
    same way as schema errors.

    :raise DataFileError: unreadable file, invalid YAML, or data that does not fit.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(path, [f"cannot read: {exc.strerror}"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise DataFileError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    def where(loc: tuple[Any, ...]) -> str:
        line = line_of(node, loc)
        return dotted(loc) + (f" (line {line})" if line else "")

    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(f"{where(loc)}: {err['msg']}")
        raise DataFileError(path, problems) from None
    found = check(result) if check else []
    if found:
        raise DataFileError(path, [f"{where(loc)}: {msg}" for loc, msg in found])
    return result
