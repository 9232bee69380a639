"""Concrete requests built from the contract's operations, the target's roles and one change.

``build`` fills an operation's valid request (method, path, query, body) from placeholders;
``RequestSpec.changed`` applies one single-field change (D26) addressed by a field path such as
``body.phoneCallView.0.source`` or ``query.callDuration``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..contract import Operation
from ..contract.model import REMOVE

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

__all__ = ["REMOVE", "RequestSpec", "build", "fill"]


def fill(value: Any, values: Mapping[str, Any]) -> Any:
    """Replace ``{name}`` placeholders in strings, lists and objects.

    A string that is exactly one placeholder takes the value as it is (so ``"{x}"`` may become a
    list or a number); placeholders inside longer strings are formatted in.
    """
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return values[whole[1]]
        return _PLACEHOLDER.sub(lambda m: str(values[m[1]]), value)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class RequestSpec:
    operation: str
    method: str
    path_template: str
    path_params: Mapping[str, str]
    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None

    @property
    def path(self) -> str:
        return self.path_template.format_map(dict(self.path_params))

    def changed(self, field_path: str, value: Any) -> RequestSpec:
        """This request with one field set to ``value`` (or left out, with ``REMOVE``)."""
        location, _, key = field_path.partition(".")
        if location == "path":
            params = dict(self.path_params)
            params[key] = value
            return replace(self, path_params=params)
        if location == "query":
            query = dict(self.params)
            if value is REMOVE:
                query.pop(key, None)
            else:
                query[key] = value
            return replace(self, params=query)
        if location == "body":
            body = copy.deepcopy(self.body)
            _set_in(body, key.split("."), value)
            return replace(self, body=body)
        raise ValueError(f"unknown field location in {field_path!r}")

    def with_changes(self, changes: Mapping[str, Any], values: Mapping[str, Any]) -> RequestSpec:
        spec = self
        for field_path, value in changes.items():
            spec = spec.changed(field_path, value if value is REMOVE else fill(value, values))
        return spec


def _set_in(container: Any, keys: list[str], value: Any) -> None:
    *parents, last = keys
    for key in parents:
        container = container[int(key)] if isinstance(container, list) else container[key]
    if isinstance(container, list):
        if value is REMOVE:
            del container[int(last)]
        else:
            container[int(last)] = value
    elif value is REMOVE:
        container.pop(last, None)
    else:
        container[last] = value


def build(operation: Operation, values: Mapping[str, Any], *, bulk: bool = False) -> RequestSpec:
    """The operation's valid request, filled from roles and run-time values."""
    template = operation.path
    params = dict(operation.path_params)
    if bulk:
        if operation.bulk_path is None:
            raise ValueError(f"{operation.name} has no bulk form")
        template = operation.bulk_path
        params.pop("phoneCallId", None)
    return RequestSpec(
        operation=operation.name,
        method=operation.method,
        path_template=template,
        path_params={k: str(fill(v, values)) for k, v in params.items()},
        body=fill(copy.deepcopy(dict(operation.body)), values),
    )
