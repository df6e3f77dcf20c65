"""Reading an invocation record that drifted from the documented schema, part by part.

The cancel endpoint belongs to the oldest generation of bctrl's v1 API, and its records
drift: a field the reference marks required goes missing, a value changes type. A stop
button must still read them, or a cancel that succeeded is reported as failed. So only
what the outcome is decided from, the ``id`` and the ``status``, must be readable; any
other top-level field, or part (``progress``, ``request``, ``result``, ``error``, one
step result), that does not match is None and every other field is validated as usual.
The drifted paths are logged once each, and kept on the record as ``schema_warnings``.

This runs only after a strict read failed, so it may be slow; the strict read is not.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Annotated, Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from bctrl_tools.models import Invocation, InvocationResult, StepResult

__all__ = ["degrade"]

logger = logging.getLogger("bctrl_tools")

Record = TypeVar("Record", bound=Invocation)
Loc = tuple[int | str, ...]


class _Decisive(TypedDict):
    """What a cancel's outcome is decided from: without these a record is unreadable."""

    id: str
    status: str


_DECISIVE = TypeAdapter(_Decisive)
_STEP: TypeAdapter[StepResult] = TypeAdapter(StepResult)

# The tags pydantic puts after a step's index in an error's location ("success" or
# "failure", by `ok`): they name the branch it tried, not a field the server sent.
_STEP_TAGS = frozenset({"success", "failure"})

_logged: set[str] = set()
_logged_lock = threading.Lock()


def degrade(cls: type[Record], data: Any, exc: ValidationError) -> tuple[Record, tuple[str, ...]]:
    """``data`` read with each part ``exc`` found wrong left unread, and the drifted paths.

    ``exc`` is what the strict read of ``data`` raised. Raises ``ValidationError`` if
    ``data`` is not an object or has no ``id`` and ``status`` readable as strings.
    """
    _DECISIVE.validate_python(data)
    locs = [error["loc"] for error in exc.errors(include_url=False, include_context=False)]
    if not all(locs):
        raise exc  # the body as a whole did not match: nothing to read part by part
    bad_steps = {index for loc in locs if (index := _step_index(loc)) is not None}
    unread = {str(loc[0]) for loc in locs if _step_index(loc) is None}
    record = _construct(cls, data, unread, bad_steps)
    warnings = tuple(dict.fromkeys(_path(loc) for loc in locs))  # a set in record order
    _log_once(warnings)
    return record, warnings


def _construct(
    cls: type[Record], data: dict[str, Any], unread: set[str], bad_steps: set[int]
) -> Record:
    """The record with the ``unread`` fields and ``bad_steps`` None, the rest validated."""
    values: dict[str, Any] = {}
    keys: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.alias or name
        key = alias if alias in data else name if name in data else None
        keys.add(key or alias)
        if key in unread or alias in unread:
            values[name] = None  # a required field missing is unread too
        elif key is None:
            continue  # an optional field the server left out stays out
        elif name == "result" and bad_steps:
            values[name] = _result_without(data[key], bad_steps)
        else:
            values[name] = _field(cls, name).validate_python(data[key])
    # Built, not validated: what is left has been validated field by field above.
    # (cast: the pydantic mypy plugin types model_construct as the class it is defined on)
    record = cast(Record, cls.model_construct(set(values), **values))
    extra = {key: value for key, value in data.items() if key not in keys}
    object.__setattr__(record, "__pydantic_extra__", extra)
    return record


def _result_without(raw: dict[str, Any], bad_steps: set[int]) -> InvocationResult:
    """The result with the steps in ``bad_steps`` None; the rest of it matched."""
    rest = InvocationResult.model_validate({**raw, "steps": []})
    steps = [
        None if index in bad_steps else _STEP.validate_python(step)
        for index, step in enumerate(raw["steps"])
    ]
    return rest.model_copy(update={"steps": steps})


@functools.cache
def _field(cls: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator for one field of ``cls``, as the model validates it."""
    field = cls.model_fields[name]
    annotation: Any = field.annotation
    if field.metadata:  # Documented's marker: a null is refused, as the model refuses it
        parts = (annotation, *field.metadata)
        annotation = Annotated[parts]
    return TypeAdapter(annotation)


def _step_index(loc: Loc) -> int | None:
    """The step result's index if ``loc`` is inside one (``result.steps.N...``), else None."""
    if len(loc) > 2 and loc[:2] == ("result", "steps") and isinstance(loc[2], int):
        return loc[2]
    return None


def _path(loc: Loc) -> str:
    """``result.steps.*.resolved`` from ``("result", "steps", 3, "success", "resolved")``.

    Indices read ``*`` so that the paths are few and bounded by the schema; every part of
    a path is a name from the schema, never a key or value the server chose.
    """
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            parts.append("*")
        elif not (part in _STEP_TAGS and i and isinstance(loc[i - 1], int)):
            parts.append(part)
    return ".".join(parts)


def _log_once(paths: tuple[str, ...]) -> None:
    # Once per path per process: a drifting server would otherwise log on every call.
    with _logged_lock:
        new = [path for path in paths if path not in _logged]
        _logged.update(new)
    for path in new:
        logger.warning(
            "bctrl sent an invocation record that does not match the documented schema at "
            "%s; that part was left unread (Invocation.schema_warnings lists it, "
            "to_json_dict() keeps it as sent). Logged once per path.",
            path,
        )
