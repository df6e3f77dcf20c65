"""What every tool's output model shares: a line for the model, whether it failed, and why.

Each tool answers with its own output model, a :class:`ToolOutput`. Because every one
carries ``message``, ``is_error`` and ``error``, turning any of them into a face's
result is one generic function (``spec.py``), and an error of any kind becomes an
instance of the tool's own model (:meth:`ToolOutput.failure`), so it fits the output
schema the tool advertises.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import to_jsonable_python
from typing_extensions import Self

from bctrl_tools.errors import (
    BctrlAPIError,
    BctrlConfigError,
    BctrlConnectionError,
    BctrlTimeoutError,
    InvalidInvocationIdError,
    InvalidResponseError,
)
from bctrl_tools.text import bounded

__all__ = ["MESSAGE_CAP", "ErrorInfo", "ToolOutput", "error_code"]

# Every message is one clean line of at most this many characters, whatever server text
# a builder put in it: the last guard before a view.
MESSAGE_CAP = 1_000


class ErrorInfo(BaseModel):
    """Why a call failed, the same shape for every tool and every kind of failure."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(
        description='The error\'s class, e.g. "NotFoundError", "ToolInputError", "InternalError".'
    )
    code: str = Field(
        description='The API\'s error code, or ours: "invalid_invocation_id", "timeout", ...'
    )
    status_code: int | None = Field(default=None, description="The HTTP status, if any.")
    request_id: str | None = Field(default=None, description="The API request id, if any.")

    @classmethod
    def of(cls, error: BaseException) -> ErrorInfo:
        return cls(
            type=type(error).__name__,
            code=error_code(error),
            status_code=getattr(error, "status_code", None),
            request_id=getattr(error, "request_id", None),
        )


class ToolOutput(BaseModel):
    """The base of every tool's output model.

    Every field a subclass adds must have a default, so that :meth:`failure` can build
    any tool's model from a message and an :class:`ErrorInfo` alone; a subclass that
    forgets is refused when it is defined.
    """

    model_config = ConfigDict(frozen=True)

    message: str = Field(description="One line for the model or person reading it.")
    is_error: bool = Field(default=False, description="Whether the call failed.")
    error: ErrorInfo | None = Field(default=None, description="Why it failed, when it did.")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        required = [name for name, field in cls.model_fields.items() if field.is_required()]
        if required != ["message"]:
            raise TypeError(
                f"{cls.__name__}: every field but message needs a default, so that an error "
                f"fits this output model; required now: {', '.join(required)}."
            )

    # The most a message may hold; a model whose message carries its own bounded listing
    # (list_invocations') raises it.
    message_limit: ClassVar[int] = MESSAGE_CAP

    @field_validator("message")
    @classmethod
    def _one_bounded_line(cls, message: str) -> str:
        return bounded(message, cls.message_limit)

    @classmethod
    def failure(cls, message: str, error: ErrorInfo) -> Self:
        """This tool's answer for a call that failed: its own model, so its schema holds."""
        return cls(message=message, is_error=True, error=error)

    def text(self) -> str:
        """What a content-first host or LangChain shows the model: the message, unless a
        tool has more that a model must see without structured content."""
        return self.message

    def artifact(self) -> dict[str, Any]:
        """Everything, with the fields kept from models (``exclude=True``) put back: the
        full records, for the LangChain artifact and the CLI's JSON."""
        data: dict[str, Any] = self.model_dump(mode="json")
        for name, field in type(self).model_fields.items():
            if field.exclude:
                data[name] = _everything(getattr(self, name))
        return data


def _everything(value: Any) -> Any:
    if isinstance(value, ToolOutput):
        return value.artifact()
    if isinstance(value, list):
        return [_everything(item) for item in value]
    return to_jsonable_python(value)


# Most specific first: the first matching type names the error code.
_ERROR_CODES: tuple[tuple[type[BaseException], str], ...] = (
    (InvalidInvocationIdError, "invalid_invocation_id"),
    (BctrlConfigError, "configuration_error"),
    (BctrlTimeoutError, "timeout"),
    (BctrlConnectionError, "connection_error"),
    (InvalidResponseError, "invalid_response"),
    (ValueError, "invalid_argument"),
)


def error_code(error: BaseException) -> str:
    """The API's code for an API error (``http_NNN`` without one), else ours."""
    if isinstance(error, BctrlAPIError):
        return error.code or f"http_{error.status_code}"
    return next((code for kind, code in _ERROR_CODES if isinstance(error, kind)), "internal_error")
