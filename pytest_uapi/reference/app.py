"""The reference server's HTTP surface: routes, authentication, body handling, answers.

Every answer goes through ``respond`` (JSON, ``application/json``) and every refusal is an
``ApiError`` turned into the D25 body by ``_endpoint``; every validation goes through
``validation.first_failure``. A request's read-validate-write runs under the PBX lock, after the
body has been read, so concurrent clients never see a half-applied change, and a refused request
(4xx) returns before anything is written (D27).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_uapi.contract import Contract, Dataset, User, load_contract, load_dataset

from . import errors
from .errors import ApiError
from .pbx import Call, Pbx, TooManyCalls
from .validation import (
    RULES,
    SELF,
    VALIDATED_AS,
    Check,
    Context,
    check_for,
    first_failure,
    path_plan,
    plan,
)

PREFIX = "/uapi/phoneCalls"
_AUTH_HEADERS = {"WWW-Authenticate": 'Bearer realm="uapi"'}
Handler = Callable[[Request], Awaitable[Response]]
# ASCII digits only: str.isdigit() also accepts characters int() refuses, such as "\u00b2".
_DECIMAL_LENGTH = re.compile(r"[0-9]{1,18}")


def respond(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Response:
    """The one way the server answers: JSON when there is a body, nothing at all otherwise."""
    if body is None:
        return Response(status_code=status, headers=dict(headers or {}))
    # ASCII escapes keep any string a client sent (lone surrogates included) valid in UTF-8.
    content = json.dumps(body, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return Response(
        content, status_code=status, headers=dict(headers or {}), media_type="application/json"
    )


def _error_response(error: ApiError) -> Response:
    return respond(error.status, error.body(), error.headers)


def _endpoint(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return _error_response(error)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, wrong method), with the D25 body."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        code, message = errors.NOT_FOUND, f"No resource at {request.url.path}"
    elif exc.status_code == 405:
        code = errors.METHOD_NOT_ALLOWED
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        code, message = errors.INVALID_REQUEST, exc.detail or "The request cannot be served"
    return respond(exc.status_code, errors.error_body(code, message), exc.headers)


class _Server:
    def __init__(self, contract: Contract, dataset: Dataset, max_body_bytes: int) -> None:
        self.contract = contract
        self.dataset = dataset
        self.pbx = Pbx(dataset)
        self.max_body_bytes = max_body_bytes
        self.tokens = {user.token: user for user in dataset.users.values()}
        # The PUT actions: the documented ones (D11-D14), then OnHold (D29).
        self.actions = {
            op.body["action"]: op.name for op in contract.operations.values() if op.is_action
        }
        self.actions.update({action: action for action in VALIDATED_AS})
        self.plans = {name: plan(contract, name) for name in (*contract.operations, *VALIDATED_AS)}
        self.path_checks = path_plan(contract)
        self.rules = RULES
        self.make_call_op = next(
            op.name for op in contract.operations.values() if op.method == "POST"
        )

    # --- request plumbing -------------------------------------------------------------------

    def authenticate(self, request: Request) -> User:
        """D3, D30: ``Authorization: Bearer <token>`` naming a user of the dataset."""
        header = request.headers.get("authorization")
        if header is None:
            raise ApiError(401, errors.ACCESS_DENIED, "Authorization is missing", _AUTH_HEADERS)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                errors.ACCESS_DENIED,
                "Authorization must be 'Bearer <token>'",
                _AUTH_HEADERS,
            )
        user = self.tokens.get(token.strip())
        if user is None:
            raise ApiError(401, errors.ACCESS_DENIED, "The token is not valid", _AUTH_HEADERS)
        return user

    async def read_object(self, request: Request) -> dict[str, Any]:
        """The JSON object in the body, whatever the Content-Type says, within the size limit."""
        too_large = ApiError(
            413,
            errors.REQUEST_TOO_LARGE,
            f"The body is larger than {self.max_body_bytes} bytes",
        )
        declared = request.headers.get("content-length", "")
        if _DECIMAL_LENGTH.fullmatch(declared) and int(declared) > self.max_body_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise too_large
                chunks.append(chunk)
        except ClientDisconnect:
            raise ApiError(400, errors.INVALID_REQUEST, "The body was cut short") from None
        try:
            value = json.loads(b"".join(chunks).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError(400, errors.INVALID_REQUEST, "The body is not valid JSON") from None
        if not isinstance(value, dict):
            raise ApiError(400, errors.INVALID_REQUEST, "The body must be a JSON object")
        return value

    def context(
        self,
        request: Request,
        user: User,
        body: Mapping[str, Any] | None = None,
    ) -> Context:
        return Context(
            dataset=self.dataset,
            pbx=self.pbx,
            user=user,
            path=dict(request.path_params),
            query=dict(request.query_params),
            body=body,
        )

    def validate(self, checks: tuple[Check, ...], ctx: Context, *, collection: bool) -> None:
        """D30 first (the userId names another user: 403), then the contract's checks (400)."""
        named = ctx.named_user
        if named is not None and named.id != ctx.user.id:
            raise ApiError(
                403,
                errors.ACCESS_DENIED,
                "The token's user cannot act on behalf of another user",
            )
        failure = first_failure(checks, ctx, collection=collection, rules=self.rules)
        if failure is not None:
            raise ApiError(400, failure.code, failure.message)

    def base_url(self, request: Request) -> str:
        """Scheme, host and mount point (D1 prefix) of this request, for absolute self links."""
        root_path: str = request.scope.get("root_path", "")
        return f"{request.url.scheme}://{request.url.netloc}{root_path}".rstrip("/")

    def link(self, request: Request, user: User, extension: str, call: Call) -> str:
        return f"{self.base_url(request)}{PREFIX}/{user.id}/{extension}/{call.id}"

    def ack(self, request: Request, ctx: Context, call: Call) -> dict[str, Any]:
        """D15: id, extension (as addressed; @self names the call's own) and the self link."""
        extension = ctx.path.get("extension", SELF)
        if extension == SELF:
            extension = call.extension
        return {
            "id": call.id,
            "extension": extension,
            "link": {"self": self.link(request, ctx.user, extension, call)},
        }

    def phone_call(self, request: Request, user: User, call: Call) -> dict[str, Any]:
        body = call.render()
        body["link"] = {"self": self.link(request, user, call.extension, call)}
        return body

    # --- endpoints --------------------------------------------------------------------------

    async def make_call(self, request: Request) -> Response:
        """POST .../{userId}/simple (D18-D20)."""
        user = self.authenticate(request)
        body = await self.read_object(request)
        checks = self.plans[self.make_call_op]
        with self.pbx.lock:
            ctx = self.context(request, user, body)
            self.validate(checks, ctx, collection=False)
            sent = ctx.lookup("body.extension")
            if not isinstance(sent, str):
                sent = ctx.lookup("body.phoneCallView.0.source.0")
            extension = ctx.extension(sent)
            if extension is None or not isinstance(sent, str):
                check = check_for(checks, "body.extension")
                raise ApiError(
                    400,
                    check.code if check else errors.INVALID_REQUEST,
                    "The call needs an extension of the user to be made from",
                )
            try:
                call = self.pbx.make_call(
                    owner=user.id,
                    extension=extension,
                    source=_strings(ctx.lookup("body.phoneCallView.0.source")),
                    destination=_strings(ctx.lookup("body.phoneCallView.0.destination")),
                    caller_id=_text(ctx.lookup("body.phoneCallView.0.callerId")),
                    nonce=_text(ctx.lookup("body.nonce")),
                )
            except TooManyCalls:
                raise ApiError(
                    429,
                    errors.TOO_MANY_CALLS,
                    f"The user already has {self.pbx.max_calls_per_user} live calls",
                ) from None
            ack = {
                # The 004 example echoes the extension as sent ("210").
                "id": call.id,
                "extension": sent,
                "link": {"self": self.link(request, user, call.extension, call)},
            }
        return respond(202, [ack])

    async def call_resource(self, request: Request) -> Response:
        """GET, PUT and DELETE on .../{userId}/{extension}/{phoneCallId} (D11-D15, D21, D28)."""
        user = self.authenticate(request)
        if request.method == "PUT":
            return await self.act(request, user, collection=False)
        with self.pbx.lock:
            ctx = self.context(request, user)
            self.validate(self.path_checks, ctx, collection=False)
            call = ctx.call
            if call is None:  # only when a check was switched off; the data guarantees a call
                check = check_for(self.path_checks, "path.phoneCallId")
                raise ApiError(400, check.code if check else errors.NOT_FOUND, "No such call")
            if request.method == "DELETE":
                self.pbx.hang_up(call)
                ack = self.ack(request, ctx, call)
                return respond(200, {"id": ack["id"], "extension": ack["extension"]})
            return respond(200, self.phone_call(request, user, call))

    async def extension_resource(self, request: Request) -> Response:
        """The List (GET), the bulk actions (PUT, D16) and hang-up-all (DELETE) of an extension."""
        user = self.authenticate(request)
        if request.method == "PUT":
            return await self.act(request, user, collection=True)
        with self.pbx.lock:
            ctx = self.context(request, user)
            self.validate(self.path_checks, ctx, collection=True)
            calls = self.pbx.calls_of(user.id, ctx.uri_extension)
            if request.method == "GET":
                return respond(200, {"entry": [self.phone_call(request, user, c) for c in calls]})
            if not calls:
                return respond(204)
            for call in calls:
                self.pbx.hang_up(call)
            hung_up = [self.ack(request, ctx, call) for call in calls]
            return respond(200, [{"id": a["id"], "extension": a["extension"]} for a in hung_up])

    async def act(self, request: Request, user: User, *, collection: bool) -> Response:
        body = await self.read_object(request)
        action = body.get("action")
        if not isinstance(action, str) or action not in self.actions:
            names = ", ".join(sorted(self.actions))
            raise ApiError(400, errors.ACTION_INVALID, f"action must be one of {names}")
        operation = self.actions[action]
        checks = self.plans[operation]
        bulk_allowed = (
            operation in self.contract.operations
            and self.contract.operations[operation].bulk_path is not None
        )
        with self.pbx.lock:
            ctx = self.context(request, user, body)
            # A bulk request for an action that needs one call fails the phoneCallId check.
            self.validate(checks, ctx, collection=collection and bulk_allowed)
            if not collection:
                call = ctx.call
                if call is None:  # only when a check was switched off
                    raise ApiError(400, errors.INVALID_REQUEST, "No such call")
                self.apply(action, ctx, call)
                return respond(202, self.ack(request, ctx, call))
            calls = self.pbx.calls_of(user.id, ctx.uri_extension)
            if not calls:
                return respond(204)
            for call in calls:
                self.apply(action, ctx, call)
            return respond(202, [self.ack(request, ctx, call) for call in calls])

    def apply(self, action: str, ctx: Context, call: Call) -> None:
        send_call_to = _text(ctx.lookup("body.sendCallTo")) or ""
        view = call.view(_text(ctx.lookup("body.phoneCallViewId")) or "")
        if action in ("Transfer", "TransferToVoicemail"):
            self.pbx.transfer(call, send_call_to)
        elif action == "PickUp" and view is not None:
            caller_id = _text(ctx.lookup("body.callerId"))
            self.pbx.pick_up(call, view, send_call_to, caller_id)
        elif action == "OffHold" and view is not None:
            self.pbx.unhold(call, view)
        elif action == "OnHold" and view is not None:
            self.pbx.hold(view)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def create_app(dataset: Dataset | None = None, *, max_body_bytes: int = 64 * 1024) -> Starlette:
    """The reference server as an ASGI app, serving ``dataset`` (default: the shipped one).

    Each app has its own in-memory PBX (``app.state.pbx``), empty at start.
    """
    server = _Server(load_contract(), dataset or load_dataset(), max_body_bytes)
    methods = ["GET", "PUT", "DELETE"]
    routes = [
        Route(f"{PREFIX}/{{userId}}/simple", _endpoint(server.make_call), methods=["POST"]),
        Route(
            f"{PREFIX}/{{userId}}/{{extension}}",
            _endpoint(server.extension_resource),
            methods=methods,
        ),
        Route(
            f"{PREFIX}/{{userId}}/{{extension}}/{{phoneCallId}}",
            _endpoint(server.call_resource),
            methods=methods,
        ),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    # A trailing slash is another URI, not a redirect: answer 404 like any unknown route.
    app.router.redirect_slashes = False
    app.state.pbx = server.pbx
    app.state.dataset = server.dataset
    return app
