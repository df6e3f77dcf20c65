"""Fixtures for tests that talk to a real sandbox process over real sockets.

The session `sandbox` fixture itself is in tests/conftest.py, shared with the faces' tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bctrl_tools.sandbox.process import SandboxProcess

OPENAPI_PATH = Path(__file__).parents[1] / "data" / "cancel-invocation-openapi.json"
RECORD_SCHEMA_NAME = "invocations_cancel_Response_200"


@pytest.fixture
def api(sandbox: SandboxProcess) -> Iterator[httpx.Client]:
    with sandbox.http_client(timeout=15.0) as client:
        yield client


@pytest.fixture
def create(sandbox: SandboxProcess) -> Callable[..., dict[str, Any]]:
    """Create an invocation on the session sandbox; keyword options as `creation_body`."""
    return sandbox.create_invocation


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
    return document


@pytest.fixture(scope="session")
def record_schema(openapi_document: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = openapi_document["components"]["schemas"][RECORD_SCHEMA_NAME]
    return schema


@pytest.fixture(scope="session")
def record_validator(openapi_document: dict[str, Any]) -> Draft202012Validator:
    """Validates against the record schema, resolving `$ref`s in the whole document."""
    uri = "urn:bctrl:openapi"
    resource = Resource.from_contents(openapi_document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{RECORD_SCHEMA_NAME}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
