"""Validation machinery shared by every configuration section (pydantic + safe YAML).

Every section is a frozen pydantic model that forbids unknown keys. Errors are reported as one
:class:`~maxray_gen.errors.ConfigError` naming the file, the key path and the reason, e.g.::

    radar.yaml: radar.cyclic_prefix_s: cyclic prefix 100 ns covers echoes only up to 15.0 m, ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from maxray_gen.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of all config sections: unknown keys rejected, values immutable, no silent coercion of strings."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


class FieldProblem(ValueError):
    """Raised inside validators for a physically inconsistent value; ``field`` extends the reported key path."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _format_error(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err.get("loc", ())]
    ctx_err = (err.get("ctx") or {}).get("error")
    msg = err.get("msg", "invalid value")
    if isinstance(ctx_err, FieldProblem):
        loc.append(ctx_err.field)
        msg = ctx_err.message
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (not part of the schema; check the spelling)"
    elif "input" in err and err.get("type") not in ("missing",) and not isinstance(ctx_err, FieldProblem):
        shown = repr(err["input"])
        if len(shown) <= 60 and not isinstance(err["input"], dict) and shown not in msg:
            msg = f"{msg} (got {shown})"
    return f"{'.'.join(loc) or '<top level>'}: {msg}"


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One line (several problems joined by ``; ``) naming the source, each key path and reason."""
    parts = [_format_error(e) for e in exc.errors(include_url=False)]
    return f"{source}: " + "; ".join(parts)


def parse(model: type[M], data: Any, source: str = "<config>") -> M:
    """Validate ``data`` into ``model``; raise :class:`ConfigError` with the source and key path on failure."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file with safe loading (no arbitrary Python objects)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read file ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{p}: malformed YAML{where}: {problem}") from None


def load(model: type[M], path: str | Path) -> M:
    """Load and validate a YAML file into ``model``."""
    data = load_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: <top level>: expected a mapping of sections, got {type(data).__name__}")
    return parse(model, data, str(path))


def stable_dump(model: BaseModel) -> dict:
    """``model.model_dump(mode="json")`` without the options added after data was made with it (fields marked
    ``json_schema_extra={"added": True}``) while they keep their default, the behaviour before they existed: hashes
    and resume checks made from it stay valid when the code gains an option."""
    return _drop_added(model, model.model_dump(mode="json"))


def _drop_added(model: BaseModel, data: dict) -> dict:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("added") and value == field.get_default(call_default_factory=True):
            data.pop(name, None)
        elif isinstance(value, BaseModel) and isinstance(data.get(name), dict):
            data[name] = _drop_added(value, data[name])
    return data
