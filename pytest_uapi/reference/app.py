"""The reference server's HTTP surface: routes, authentication, body handling, answers.

Every answer goes through ``respond`` (JSON, ``application/json``; a long List streams the same
text) and every refusal is an ``ApiError`` turned into the D25 body by ``_endpoint``; every
validation goes through ``validation.first_failure``. Each route serves only the methods its
``HTTPEndpoint`` names. A request's read-validate-write runs under the PBX lock, after the body
has been read, so concurrent clients never see a half-applied change, and a refused request
(4xx) returns before anything is written (D27); rendering happens outside the lock.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_uapi.contract import Contract, Dataset, User, load_contract, load_dataset

from . import errors
from .behaviour import Behaviour, ShapedAnswers, place
from .connections import DEFAULT_IDLE_TIMEOUT, BodyTimeout, BodyTooLarge, read_body
from .errors import ApiError
from .faults import REFERENCE, WRONG_CODE, Switches, switches_for
from .pbx import STATUS_RINGING, Call, Pbx, TooManyCalls, new_call_id
from .timeline import Timeline
from .token_endpoint import TOKEN_PATH, TokenStore, token_endpoint
from .validation import (
    MAX_QUERY_VALUE,
    MISSING,
    RULES,
    SELF,
    VALIDATED_AS,
    Check,
    Context,
    check_for,
    first_failure,
    path_plan,
    plan,
    query_failure,
)

PREFIX = "/uapi/phoneCalls"
JSON = "application/json"
# A List longer than this is rendered and sent this many calls at a time.
LIST_PIECE = 100
T = TypeVar("T")
_AUTH_HEADERS = {"WWW-Authenticate": 'Bearer realm="uapi"'}
Handler = Callable[[Request], Awaitable[Response]]
# A bearer token is visible ASCII (RFC 9110 VCHAR); RFC 6750's b64token is a subset of it.
_TOKEN = re.compile(r"[\x21-\x7e]+")


def dumps(body: Any) -> str:
    """The server's JSON text: compact, and ASCII escapes keep any string a client sent (lone
    surrogates included) valid in UTF-8."""
    return json.dumps(body, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def respond(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Response:
    """The one way the server answers (a long List streams the same text): JSON when there is
    a body, nothing at all otherwise."""
    if body is None:
        return Response(status_code=status, headers=dict(headers or {}))
    return Response(dumps(body), status_code=status, headers=dict(headers or {}), media_type=JSON)


def _endpoint(handler: Handler, *, refuse: Callable[[ApiError], Response]) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return refuse(error)

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
    def __init__(
        self,
        contract: Contract,
        dataset: Dataset,
        max_body_bytes: int,
        switches: Switches,
        token_lifetime: float = 3600.0,
        body_timeout: float = DEFAULT_IDLE_TIMEOUT,
        behaviour: Behaviour | None = None,
        timeline: Timeline[Call] | None = None,
    ) -> None:
        self.contract = contract
        self.dataset = dataset
        self.faults = switches
        self.behaviour = behaviour or Behaviour()
        self.pbx = Pbx(
            dataset,
            new_call_id=_numeric_id if switches.numeric_call_ids else new_call_id,
            reuse_ids=switches.reuse_ids,
            own_extension_only=switches.own_extension_only,
            timeline=timeline,
        )
        # Faults' memory: calls made without extension (named none), calls hung up (still
        # listed), and whether a request was refused since the last accepted change.
        self.unnamed: set[str] = set()
        self.ended: list[Call] = []
        self.refused_since_change = False
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.tokens = {user.token: user for user in dataset.users.values()}
        self.issued = TokenStore(token_lifetime)  # OAuth tokens, valid next to the static ones
        # The PUT actions: the documented ones (D11-D14), then OnHold (D29).
        self.actions = {
            op.body["action"]: op.name for op in contract.operations.values() if op.is_action
        }
        self.actions.update({action: action for action in VALIDATED_AS})
        self.plans = {
            name: _faulty(plan(contract, name), switches)
            for name in (*contract.operations, *VALIDATED_AS)
        }
        self.path_checks = path_plan(contract)
        self.rules = RULES
        self.make_call_op = next(
            op.name for op in contract.operations.values() if op.method == "POST"
        )

    # --- request plumbing -------------------------------------------------------------------

    def authenticate(self, request: Request) -> User:
        """D3, D30: exactly one ``Authorization: Bearer <token>`` naming a user of the dataset.

        Anything a reader could take two ways is malformed: a repeated header (which one
        counts?) and a token with characters a header cannot carry plainly (controls, spaces,
        non-ASCII), which a lenient ``strip()`` would silently drop. Only the optional
        whitespace HTTP allows around a field value (spaces and tabs, RFC 9110 5.5) and the
        spaces after the scheme (RFC 9110 11.4) are read past.
        """
        headers = request.headers.getlist("authorization")
        if not headers:
            return self.refuse_auth("missing", "Authorization is missing")
        if len(headers) > 1:
            return self.refuse_auth("malformed", "Authorization must be sent once")
        scheme, _, token = headers[0].strip(" \t").partition(" ")
        token = token.lstrip(" ")
        if scheme.lower() != "bearer" or not _TOKEN.fullmatch(token):
            return self.refuse_auth("malformed", "Authorization must be 'Bearer <token>'")
        user = self.tokens.get(token) or self.issued.user(token)
        if user is None:
            return self.refuse_auth("unknown", "The token is not valid")
        return user

    def refuse_auth(self, why: str, message: str) -> User:
        if why in self.faults.auth_accept:  # a fault: serve the request as the first user
            return next(iter(self.dataset.users.values()))
        status = self.faults.auth_status
        raise ApiError(status, errors.ACCESS_DENIED, message, _AUTH_HEADERS)

    def refuse(self, error: ApiError) -> Response:
        """Every refusal's answer: the D25 body (unless a fault flattens or drops it)."""
        self.refused_since_change = True
        if self.faults.error_body == "flat":
            return respond(error.status, error.body()["error"], error.headers)
        if self.faults.error_body == "empty":
            return respond(error.status, None, error.headers)
        return respond(error.status, error.body(), error.headers)

    def accept(self, operation: str, body: Any, status: int = 202) -> Response:
        """A success answer of ``operation`` (202, unless a fault or variant says otherwise)."""
        status = self.faults.success_status.get(operation, status)
        response = respond(status, body)
        if self.faults.success_content_type:
            response.headers["content-type"] = self.faults.success_content_type
        return response

    async def read_object(self, request: Request) -> dict[str, Any]:
        """The JSON object in the body, whatever the Content-Type says, within the size limit
        and the time the server waits for a body."""
        try:
            raw = await read_body(request, limit=self.max_body_bytes, timeout=self.body_timeout)
        except BodyTooLarge:
            raise ApiError(
                413,
                errors.REQUEST_TOO_LARGE,
                f"The body is larger than {self.max_body_bytes} bytes",
            ) from None
        except BodyTimeout:
            # The rest of the body may still come: close rather than read it as a request.
            raise ApiError(
                408,
                errors.REQUEST_TIMEOUT,
                f"The body did not arrive within {self.body_timeout:g} s",
                {"Connection": "close"},
            ) from None
        except ClientDisconnect:
            raise ApiError(400, errors.INVALID_REQUEST, "The body was cut short") from None
        try:
            value = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
        except _DuplicateKey as twice:
            # Parsers differ on which value wins; the server takes neither (RFC 8259 4).
            raise ApiError(
                400, errors.INVALID_REQUEST, f"The body names {twice.key[:64]!r} twice"
            ) from None
        except (UnicodeDecodeError, ValueError, RecursionError):
            if self.faults.crash_on_malformed_json:
                raise ApiError(500, "internal_error", "Unexpected body") from None
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
            query=request.query_params.multi_items(),
            body=body,
            owner_without_extension=self.faults.owner_without_extension,
        )

    def validate(
        self,
        checks: tuple[Check, ...],
        ctx: Context,
        *,
        collection: bool,
        operation: str | None = None,
        use: str = "act",
    ) -> None:
        """D30 first (the userId names another user: 403), then the contract's checks (400).

        ``operation`` names the request's operation (None for reads and hang-ups); ``use`` is
        what the request does with a call: "act", "read", "list" or "hangup" (D33).
        """
        named = ctx.named_user
        if named is not None and named.id != ctx.user.id:
            cross_ok = (
                self.faults.cross_user_make_call
                if "phoneCallId" not in ctx.path and "extension" not in ctx.path
                else self.faults.cross_user_calls or use in self.faults.cross_user_methods
            )
            if not cross_ok:
                raise ApiError(
                    403,
                    errors.ACCESS_DENIED,
                    "The token's user cannot act on behalf of another user",
                )
            ctx.user = named  # a fault: act as the user the URI names
        oversized = query_failure(checks, ctx)
        if oversized is not None:
            name, code = oversized
            message = f"Query parameter {name} must be sent once, at most {MAX_QUERY_VALUE} long"
            raise ApiError(400, code or errors.INVALID_REQUEST, message)
        refused = _refused_form(self.faults, ctx, checks) or _refused_value(
            self.faults, ctx, checks, operation
        )
        if refused is not None:
            raise ApiError(400, refused, "This form is not supported")
        if self.faults.crash_on_wrong_type and _has_wrong_type(ctx, checks):
            raise ApiError(500, "internal_error", "Unexpected value")
        failure = first_failure(checks, ctx, collection=collection, rules=self.rules)
        if failure is not None:
            raise ApiError(400, failure.code, failure.message)

    def base_url(self, request: Request) -> str:
        """Scheme, host and mount point (D1 prefix) of this request, for absolute self links."""
        root_path: str = request.scope.get("root_path", "")
        return f"{request.url.scheme}://{request.url.netloc}{root_path}".rstrip("/")

    def link(self, request: Request, call: Call, extension: str | None = None) -> str:
        """The one URL of ``call``: its owner's numeric id, its own extension, its id.

        A call is addressable under every extension of its owner that takes part in it, but
        the others come and go (a PickUp or a Transfer replaces the destination), while the
        extension the call was made from takes part for the call's whole life: a link naming
        it answers 200 until the call is hung up (D21), whichever extension was addressed.
        """
        extension = extension or call.extension  # another only under a fault
        return f"{self.base_url(request)}{PREFIX}/{call.owner}/{extension}/{call.id}"

    def acknowledge(
        self,
        request: Request,
        extension: str,
        call: Call,
        operation: str,
        link_extension: str | None = None,
    ) -> dict[str, Any]:
        """D15, D20: id, ``extension`` (as addressed) and the self link of ``call``."""
        link = self.link(request, call, link_extension)
        if operation in self.faults.link_broken:  # D1's typo: a path nothing answers
            link = link.replace(f"{PREFIX}/", "/uapi/phoneCall/", 1)
        if operation in self.faults.link_without_views:
            link += f"?{_VIEWLESS}=1"
        ack: dict[str, Any] = {"id": call.id, "extension": extension}
        if operation in self.faults.ack_wrong_id:
            ack["id"] = call.id[::-1] + "0"
        if operation not in self.faults.ack_without_link:
            ack[self.faults.link_key] = {"self": link}
        return ack

    def ack(self, request: Request, ctx: Context, call: Call, operation: str) -> dict[str, Any]:
        """D15: the acknowledgement of an action (as addressed; @self names the call's own)."""
        extension = ctx.path.get("extension", SELF)
        if extension == SELF:
            extension = call.extension
        # A fault: the link names the extension as addressed, which may leave the call.
        addressed = extension if self.faults.link_as_addressed else None
        return self.acknowledge(request, extension, call, operation, addressed)

    def phone_call(self, request: Request, call: Call) -> dict[str, Any]:
        body = call.render()
        if call.id in self.unnamed:  # a fault: the defaulted extension is never stored
            body.pop("extension")
        body[self.faults.link_key] = {"self": self.link(request, call)}
        if self.faults.numeric_status:
            for view in body["phoneCallView"]:
                view["status"] = int(view["status"])
        return body

    # --- endpoints --------------------------------------------------------------------------
    # Each endpoint authenticates and reads the body on the event loop, then does its work
    # under the PBX lock. Work on one call takes microseconds and runs right there. Work on
    # every call of an extension (the List, the bulk actions, hang-up-all) runs in Starlette's
    # threadpool, and holds the lock only to choose the calls and to store what changed: the
    # calls are frozen values, so rendering and computing them needs no lock.

    def locked(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` holding the PBX lock."""
        with self.pbx.lock:
            return work(*args)

    async def locked_off_loop(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` holding the PBX lock, in a worker thread: the loop never waits."""
        return await run_in_threadpool(self.locked, work, *args)

    async def make_call(self, request: Request) -> Response:
        """POST .../{userId}/simple (D18-D20)."""
        user = self.authenticate(request)
        body = await self.read_object(request)
        return self.locked(self._make_call, request, user, body)

    def _make_call(self, request: Request, user: User, body: dict[str, Any]) -> Response:
        checks = self.plans[self.make_call_op]
        ctx = self.context(request, user, body)
        try:
            self.validate(checks, ctx, collection=False, operation=self.make_call_op)
        except ApiError:
            if self.faults.side_effect_on_reject:
                self.make_anyway(ctx)
            raise
        user = ctx.user
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
        source = _strings(ctx.lookup("body.phoneCallView.0.source"))
        destination = _strings(ctx.lookup("body.phoneCallView.0.destination"))
        if self.faults.extension_as_source:
            source = [extension.number]
        if self.faults.first_destination_only:
            destination = destination[:1]
        try:
            call = self.pbx.make_call(
                owner=user.id,
                extension=extension,
                source=source,
                destination=destination,
                caller_id=_text(ctx.lookup("body.phoneCallView.0.callerId")),
                nonce=None
                if self.make_call_op in self.faults.no_effect
                else _text(ctx.lookup("body.nonce")),
            )
        except TooManyCalls:
            raise ApiError(
                429,
                errors.TOO_MANY_CALLS,
                f"The user already has {self.pbx.max_calls_per_user} live calls",
            ) from None
        call = place(self.pbx, call, self.behaviour)
        if self.faults.unnamed_default_extension and ctx.lookup("body.extension") is MISSING:
            self.unnamed.add(call.id)
        if self.faults.unhold_on_make:
            for other in self.pbx.calls_of(user.id, None):
                for view in other.views:
                    if view.on_hold and other.id != call.id:
                        other = self.pbx.store(self.pbx.with_view(other, view.id, on_hold=False))
        self.refused_since_change = False
        # The 004 example echoes the extension as sent ("210").
        ack = self.acknowledge(request, sent, call, self.make_call_op)
        return self.accept(self.make_call_op, ack if self.faults.ack_not_array else [ack])

    def make_anyway(self, ctx: Context) -> None:
        """A fault: a refused make-call request still makes its call (D27 violated)."""
        terminals = [e for e in self.dataset.extensions_of(ctx.user.id) if e.is_phone_terminal]
        if terminals:
            with contextlib.suppress(TooManyCalls):  # at the cap: the refusal stands alone
                self.pbx.make_call(
                    owner=ctx.user.id,
                    extension=terminals[0],
                    source=[terminals[0].number],
                    destination=["0"],
                    caller_id=_text(ctx.lookup("body.phoneCallView.0.callerId")),
                    nonce=_text(ctx.lookup("body.nonce")),
                )

    async def read_call(self, request: Request) -> Response:
        """GET (and HEAD) .../{userId}/{extension}/{phoneCallId}: the self link (D21, D22)."""
        user = self.authenticate(request)
        call, _ = self.locked(self.addressed_call, request, user, "read")
        answer = self.phone_call(request, call)
        # Only a server with the fault strips the views: the reference ignores the marker.
        if self.faults.link_without_views and _VIEWLESS in request.query_params:
            answer.pop("phoneCallView")
        if self.faults.self_as_collection:
            answer = {"entry": [answer]}
        return respond(200, answer)

    async def act_on_call(self, request: Request) -> Response:
        """PUT .../{userId}/{extension}/{phoneCallId}: one action (D11-D15, D29)."""
        return await self.act(request, collection=False)

    async def hang_up(self, request: Request) -> Response:
        """DELETE .../{userId}/{extension}/{phoneCallId} (D28)."""
        user = self.authenticate(request)
        return self.locked(self._hang_up, request, user)

    def _hang_up(self, request: Request, user: User) -> Response:
        if self.hidden(self.context(request, user), "hangup"):
            return respond(204)  # a fault: another user's call treated as no call
        try:
            call, ctx = self.addressed_call(request, user, "hangup")
        except ApiError as error:
            gone = self.gone_answer(request, error)
            if gone is None:
                raise
            return gone
        ended = [call]
        if self.faults.hangup_ends == "extension":
            ended = self.pbx.calls_of(call.owner, ctx.uri_extension or call.extension)
        elif self.faults.hangup_ends == "parties":
            ended = [c for c in self.pbx.calls_of(call.owner, None) if c.parties == call.parties]
        if not self.faults.hangup_no_effect:
            for each in ended:
                self.pbx.later(self.behaviour.effect_delay, each, _ended)
            if self.faults.list_keeps_ended:
                self.ended += ended
        self.refused_since_change = False
        extension = ctx.path.get("extension", SELF)
        extension = call.extension if extension == SELF else extension
        status = self.faults.hangup_status
        return respond(status, None if status == 204 else {"id": call.id, "extension": extension})

    def gone_answer(self, request: Request, error: ApiError) -> Response | None:
        """A fault's answer for hanging up a call that does not exist (D32), if any."""
        check = check_for(self.path_checks, "path.phoneCallId")
        if self.faults.gone_answer is None or check is None or error.code != check.code:
            return None
        if self.faults.gone_answer == "404":
            return respond(404, errors.error_body(errors.NOT_FOUND, "No such call"))
        if self.faults.gone_answer == "200":
            call_id = request.path_params.get("phoneCallId", "")
            return respond(200, {"id": call_id, "extension": request.path_params["extension"]})
        return respond(400, errors.error_body(WRONG_CODE, "No such call"))

    def hidden(self, ctx: Context, use: str) -> bool:
        """A fault: another user's calls answered as if the user had none (D33)."""
        named = ctx.named_user
        return use in self.faults.cross_user_hidden and named is not None and named != ctx.user

    def addressed_call(
        self, request: Request, user: User, use: str = "read"
    ) -> tuple[Call, Context]:
        """The call the URI names, after the path checks (D5-D7)."""
        ctx = self.context(request, user)
        self.validate(self.path_checks, ctx, collection=False, use=use)
        call = ctx.call
        if call is None:  # only when a check was switched off; the data guarantees a call
            check = check_for(self.path_checks, "path.phoneCallId")
            raise ApiError(400, check.code if check else errors.NOT_FOUND, "No such call")
        return call, ctx

    def addressed_calls(self, request: Request, user: User, use: str) -> list[Call]:
        """Every call of the URI extension, after the path checks (D5, D6)."""
        ctx = self.context(request, user)
        self.validate(self.path_checks, ctx, collection=True, use=use)
        return self.pbx.calls_of(ctx.user.id, ctx.uri_extension)

    def listed_calls(self, request: Request, user: User) -> list[Call]:
        """The calls the List shows: every call of the URI extension (unless a fault omits)."""
        ctx = self.context(request, user)
        if self.hidden(ctx, "list"):
            return []
        calls = self.addressed_calls(request, user, "list")
        extension = ctx.uri_extension
        if self.faults.list_keeps_ended:
            owner = ctx.named_user or user
            calls += [
                c
                for c in self.ended
                if c.owner == owner.id and (extension is None or extension in c.parties)
            ]
        omit = set(self.faults.list_omits)
        if self.faults.list_drops_ringing_after_refusal and self.refused_since_change:
            omit.add("ringing")
        return [c for c in calls if not _omitted(c, omit, extension)]

    async def list_calls(self, request: Request) -> Response:
        """GET (and HEAD) .../{userId}/{extension}: the List (D22)."""
        user = self.authenticate(request)
        calls = await self.locked_off_loop(self.listed_calls, request, user)
        if len(calls) <= LIST_PIECE:
            return respond(200, {"entry": [self.phone_call(request, c) for c in calls]})
        # The calls are frozen values: rendering them needs no lock, and piece by piece in the
        # threadpool it neither holds the event loop nor keeps the whole text in memory (the
        # next piece is rendered only when the client has taken the previous ones).
        return StreamingResponse(self.list_pieces(request, calls), media_type=JSON)

    def list_pieces(self, request: Request, calls: list[Call]) -> Iterator[bytes]:
        """The List's JSON, ``LIST_PIECE`` calls at a time; the same text ``respond`` writes."""
        yield b'{"entry":['
        for start in range(0, len(calls), LIST_PIECE):
            piece = [self.phone_call(request, call) for call in calls[start : start + LIST_PIECE]]
            text = dumps(piece)[1:-1]  # the elements, without the array's brackets
            yield (text if start == 0 else "," + text).encode("ascii")
        yield b"]}"

    async def act_on_extension(self, request: Request) -> Response:
        """PUT .../{userId}/{extension}: the bulk actions (D16)."""
        return await self.act(request, collection=True)

    async def hang_up_all(self, request: Request) -> Response:
        """DELETE .../{userId}/{extension}: every call of the extension (D28)."""
        user = self.authenticate(request)
        calls = await self.locked_off_loop(self._hang_up_all, request, user)
        if not calls:
            return respond(204)
        return respond(200, [{"id": c.id, "extension": c.extension} for c in calls])

    def _hang_up_all(self, request: Request, user: User) -> list[Call]:
        calls = self.addressed_calls(request, user, "hangup")
        for call in calls:
            self.pbx.later(self.behaviour.effect_delay, call, _ended)
        return calls

    async def act(self, request: Request, *, collection: bool) -> Response:
        user = self.authenticate(request)
        body = await self.read_object(request)
        action = body.get("action")
        if not isinstance(action, str) or action not in self.actions:
            why = "missing" if "action" not in body else "unknown"
            if why in self.faults.accept_action and not collection:
                return self.locked(self.acknowledge_unchanged, request, user)
            names = ", ".join(sorted(self.actions))
            raise ApiError(400, errors.ACTION_INVALID, f"action must be one of {names}")
        if not collection:
            return self.locked(self._act_on_call, request, user, body, action)
        chosen = await self.locked_off_loop(self._choose_bulk, request, user, body, action)
        if isinstance(chosen, Response):
            return chosen
        return await run_in_threadpool(self.bulk, request, chosen)

    def _validated(
        self, request: Request, user: User, body: dict[str, Any], action: str, collection: bool
    ) -> tuple[Context, str]:
        """The context and operation of an action request that passes its checks."""
        operation = self.actions[action]
        bulk_allowed = (
            operation in self.contract.operations
            and self.contract.operations[operation].bulk_path is not None
        )
        ctx = self.context(request, user, body)
        # A bulk request for an action that needs one call fails the phoneCallId check.
        try:
            self.validate(
                self.plans[operation],
                ctx,
                collection=collection and bulk_allowed,
                operation=operation,
            )
        except ApiError:
            if self.faults.side_effect_on_reject and not collection and ctx.call is not None:
                # A fault: changed, then refused (D27).
                self.pbx.store(self.pbx.with_view(ctx.call, ctx.call.views[0].id, status="4"))
            raise
        return ctx, operation

    def _act_on_call(
        self, request: Request, user: User, body: dict[str, Any], action: str
    ) -> Response:
        ctx, operation = self._validated(request, user, body, action, collection=False)
        call = ctx.call
        if call is None:  # only when a check was switched off
            raise ApiError(400, errors.INVALID_REQUEST, "No such call")
        before = call
        if operation not in self.faults.no_effect:
            # D31: the effect may show a moment after the 202 (``effect_delay``); the
            # acknowledgement names only what no action changes (id, extension, owner).
            self.pbx.later(
                self.behaviour.effect_delay, call, functools.partial(self.effect, action, ctx)
            )
        if operation in self.faults.act_on_all:  # a fault: every call in that state changes
            for other in self.pbx.calls_of(ctx.user.id, ctx.uri_extension or call.extension):
                if other.id != call.id and _state(other) == _state(before):
                    self.pbx.later(
                        self.behaviour.effect_delay,
                        other,
                        functools.partial(self.effect, action, ctx),
                    )
        self.refused_since_change = False
        return self.accept(operation, self.ack(request, ctx, call, operation))

    def _choose_bulk(
        self, request: Request, user: User, body: dict[str, Any], action: str
    ) -> Response | _Bulk:
        ctx, operation = self._validated(request, user, body, action, collection=True)
        calls = self.bulk_targets(operation, ctx)
        if not calls:
            return self.bulk_empty(operation)
        return _Bulk(ctx, action, operation, calls)

    def bulk(self, request: Request, bulk: _Bulk) -> Response:
        """A bulk action (D16) on the calls taken under the lock by ``_choose_bulk``.

        Each call's new version is computed without the lock, then all are stored in one short
        locked step, which takes the extension's calls again: a call that changed or joined
        the extension meanwhile is computed there from what it is now, one hung up meanwhile
        is left out. So the bulk action is atomic, as of that step. With an effect delay, that
        step only schedules each call's effect (computed when it falls due, on the call as it
        is then).
        """
        if self.behaviour.effect_delay > 0:
            return self._bulk_later(request, bulk)
        planned = {c.id: (c, self.effect(bulk.action, bulk.ctx, c)) for c in bulk.calls}
        with self.pbx.lock:
            changed = []
            for call in self.bulk_targets(bulk.operation, bulk.ctx):
                base, new = planned.get(call.id, (None, call))
                if base is not call:
                    new = self.effect(bulk.action, bulk.ctx, call)
                changed.append(self.pbx.store(new))
        if not changed:
            return self.bulk_empty(bulk.operation)
        acks = [self.ack(request, bulk.ctx, call, bulk.operation) for call in changed]
        return self.accept(bulk.operation, acks)

    def bulk_targets(self, operation: str, ctx: Context) -> list[Call]:
        """The calls a bulk action changes: every call of the URI extension (D16)."""
        calls = self.pbx.calls_of(ctx.user.id, ctx.uri_extension)
        if operation in self.faults.bulk_own_only:  # a fault: "owned by" read as "made from"
            calls = [c for c in calls if c.extension == ctx.uri_extension]
        if operation in self.faults.bulk_first_only:
            calls = calls[:1]
        return calls

    def _bulk_later(self, request: Request, bulk: _Bulk) -> Response:
        change = functools.partial(self.effect, bulk.action, bulk.ctx)
        with self.pbx.lock:
            calls = self.bulk_targets(bulk.operation, bulk.ctx)
            for call in calls:
                self.pbx.later(self.behaviour.effect_delay, call, change)
        if not calls:
            return self.bulk_empty(bulk.operation)
        acks = [self.ack(request, bulk.ctx, call, bulk.operation) for call in calls]
        return self.accept(bulk.operation, acks)

    def bulk_empty(self, operation: str) -> Response:
        """D16: no call to act on."""
        status = self.faults.bulk_empty_status.get(operation, 204)
        return respond(status, None if status == 204 else [])

    def acknowledge_unchanged(self, request: Request, user: User) -> Response:
        """A fault: an unknown or missing action acknowledged as if it had been done."""
        ctx = self.context(request, user)
        call = ctx.call
        if call is None:
            return respond(202, {})
        return respond(202, self.ack(request, ctx, call, ""))

    def effect(self, action: str, ctx: Context, call: Call) -> Call:
        """``call`` as ``action`` leaves it (computed, not stored)."""
        send_call_to = _text(ctx.lookup("body.sendCallTo")) or ""
        view = call.view(_text(ctx.lookup("body.phoneCallViewId")) or "")
        if action in ("Transfer", "TransferToVoicemail"):
            return self.pbx.transferred(call, send_call_to)
        if action == "PickUp" and view is not None:
            caller_id = _text(ctx.lookup("body.callerId"))
            return self.pbx.picked_up(call, view, send_call_to, caller_id)
        if action == "OffHold" and view is not None:
            return self.pbx.unheld(call, view)
        if action == "OnHold" and view is not None:
            return self.pbx.held(call, view)
        return call


@dataclass(frozen=True)
class _Bulk:
    """A validated bulk action and the calls it applies to, as taken under the lock."""

    ctx: Context
    action: str
    operation: str
    calls: list[Call]


_VIEWLESS = "uapi-fault-viewless"


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a name given twice."""
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise _DuplicateKey(key)
        value[key] = item
    return value


class _UnambiguousFraming:
    """Refuse a request with both ``Transfer-Encoding`` and ``Content-Length``, and close.

    Such a request can be read two ways, which is how requests are smuggled past a proxy.
    RFC 9112 6.1 lets a server refuse it and requires it to close the connection after
    answering; h11 reads the chunked body and keeps the connection open.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {name for name, _ in scope["headers"]}
            if b"transfer-encoding" in names and b"content-length" in names:
                message = "Transfer-Encoding and Content-Length together are ambiguous"
                body = errors.error_body(errors.INVALID_REQUEST, message)
                await respond(400, body, {"Connection": "close"})(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _ended(call: Call) -> None:
    """A hang-up, as a change of the call (D28): it ends it."""
    return None


def _numeric_id() -> str:
    """The alternatives variant's call ids: digits only (D7 asks only for alphanumeric)."""
    return str(secrets.randbelow(10**15) + 10**14)


def _faulty(checks: tuple[Check, ...], switches: Switches) -> tuple[Check, ...]:
    """An operation's checks with the faults' skipped rows left out and their codes changed."""
    return tuple(
        replace(check, code=switches.recode.get(check.requirement, check.code))
        for check in checks
        if check.requirement not in switches.accept
    )


def _refused_form(switches: Switches, ctx: Context, checks: tuple[Check, ...]) -> str | None:
    """The code a fault answers for an identifier form it does not support, if any."""
    user_id = ctx.path.get("userId", "")
    form = "numeric" if user_id.isdigit() else user_id
    if form in switches.refuse_user_ids:
        return _code_of(checks, "path.userId")
    extension = ctx.path.get("extension")
    if extension == SELF and switches.refuse_self:
        return _code_of(checks, "path.extension")
    if extension and extension.isdigit() and switches.refuse_short_uri:
        return _code_of(checks, "path.extension")
    sent = ctx.lookup("body.extension")
    if isinstance(sent, str) and sent.isdigit() and switches.refuse_short_payload:
        return _code_of(checks, "body.extension")
    wait = ctx.lookup("body.waitForPickup")
    if isinstance(wait, str) and switches.refuse_numeric_string:
        return _code_of(checks, "body.waitForPickup")
    send_to = ctx.lookup("body.sendCallTo")
    action = ctx.lookup("body.action")
    if switches.refuse_public_transfer and action == "Transfer" and isinstance(send_to, str):
        if "*" not in send_to:
            return _code_of(checks, "body.sendCallTo")
    return None


# Where each operation takes its callerId (D9).
_CALLER_ID = {"MakeCall": "body.phoneCallView.0.callerId", "PickUp": "body.callerId"}


def _refused_value(
    switches: Switches, ctx: Context, checks: tuple[Check, ...], operation: str | None
) -> str | None:
    """The code a fault answers for a valid field value or an omitted optional field."""
    if operation is None:
        return None
    for name in switches.require_fields.get(operation, ()):
        if ctx.lookup(name) is MISSING:
            return _code_of(checks, name)
    for name in switches.refuse_fields.get(operation, ()):
        if ctx.lookup(name) is not MISSING:
            return _code_of(checks, name)
    for name in switches.refuse_plus.get(operation, ()):
        value = ctx.lookup(name)
        if any(isinstance(v, str) and v.startswith("+") for v in _as_list(value)):
            return _code_of(checks, name)
    forms = switches.refuse_caller_id.get(operation, frozenset())
    caller_id = ctx.lookup(_CALLER_ID.get(operation, ""))
    if isinstance(caller_id, str) and (
        ("plus" in forms and "<+" in caller_id) or ("no-name" in forms and caller_id[:1] == "<")
    ):
        return _code_of(checks, _CALLER_ID[operation])
    if operation == "MakeCall":
        return _refused_make_call(switches, ctx, checks)
    if operation == "Transfer":
        return _refused_transfer(switches, ctx, checks)
    return None


def _refused_make_call(switches: Switches, ctx: Context, checks: tuple[Check, ...]) -> str | None:
    for query in switches.refuse_query:
        name, _, wanted = query.partition("=")
        if any(n == name and wanted in ("", value) for n, value in ctx.query_items):
            return _code_of(checks, f"query.{name}")
    if switches.refuse_others_destination:
        name = "body.phoneCallView.0.destination"
        for number in _as_list(ctx.lookup(name)):
            extension = ctx.extension(number)
            if extension is not None and extension.owner != ctx.user.id:
                return _code_of(checks, name)
    return None


def _refused_transfer(switches: Switches, ctx: Context, checks: tuple[Check, ...]) -> str | None:
    organization = ctx.organization
    sent = ctx.lookup("body.transferFromNumber")
    if switches.transfer_from_source_only and isinstance(sent, str) and ctx.call is not None:
        sources = {ctx.pbx.resolve(n, organization) for v in ctx.call.views for n in v.source}
        if ctx.pbx.resolve(sent.removeprefix("+"), organization) not in sources:
            return _code_of(checks, "body.transferFromNumber")
    number = ctx.lookup("body.transferNumber")
    if switches.transfer_number_public_only and ctx.extension(number) is not None:
        return _code_of(checks, "body.transferNumber")
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _state(call: Call) -> tuple[tuple[str, bool], ...]:
    return tuple((view.status, view.on_hold) for view in call.views)


def _omitted(call: Call, omit: set[str], extension: str | None) -> bool:
    """A fault: the List leaves this call out."""
    views = call.views
    return (
        ("ringing" in omit and any(v.status == STATUS_RINGING for v in views))
        or ("on_hold" in omit and any(v.on_hold for v in views))
        or ("destination" in omit and extension is not None and extension not in call.sides)
    )


def _code_of(checks: tuple[Check, ...], field_name: str) -> str:
    check = check_for(checks, field_name)
    return check.code if check else errors.INVALID_REQUEST


def _has_wrong_type(ctx: Context, checks: tuple[Check, ...]) -> bool:
    """A body field of a JSON type no rule of the contract takes (null, object, boolean)."""
    for check in checks:
        if check.field.location == "body":
            value = ctx.lookup(check.field.name)
            if value is None or isinstance(value, dict | bool):
                return True
    return False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def create_app(
    dataset: Dataset | None = None,
    *,
    max_body_bytes: int = 64 * 1024,
    fault: str | None = None,
    token_lifetime: float = 3600.0,
    body_timeout: float = DEFAULT_IDLE_TIMEOUT,
    behaviour: Behaviour | None = None,
    timeline: Timeline[Call] | None = None,
) -> Starlette:
    """The reference server as an ASGI app, serving ``dataset`` (default: the shipped one).

    Each app has its own in-memory PBX (``app.state.pbx``), empty at start. ``fault`` names a
    deliberately broken variant (``faults.catalogue()``) or ``"alternatives"``; unknown names
    raise ``KeyError``. ``behaviour`` makes it behave as a real deployment may (latency,
    asynchronous progress and effects, several views, ...: ``behaviour.Behaviour``); ``timeline``
    is where its delayed changes wait (tests give one with their own clock). Tokens issued by
    ``POST /oauth/token.php`` expire after ``token_lifetime`` seconds. A body that has not fully
    arrived ``body_timeout`` seconds after the app started reading it is refused (408, or OAuth's
    400 ``invalid_request``).
    """
    switches = switches_for(fault) if fault else REFERENCE
    server = _Server(
        load_contract(),
        dataset or load_dataset(),
        max_body_bytes,
        switches,
        token_lifetime,
        body_timeout,
        behaviour,
        timeline,
    )
    wrap = functools.partial(_endpoint, refuse=server.refuse)

    # One class per route, one handler per method it serves: HTTPEndpoint dispatches on the
    # method's name, serves HEAD with the GET handler (uvicorn then sends no body) and answers
    # every other method 405 with an Allow header listing exactly these.
    class MakeCall(HTTPEndpoint):
        post = staticmethod(wrap(server.make_call))

    class Extension(HTTPEndpoint):
        get = staticmethod(wrap(server.list_calls))
        put = staticmethod(wrap(server.act_on_extension))
        delete = staticmethod(wrap(server.hang_up_all))

    class PhoneCall(HTTPEndpoint):
        get = staticmethod(wrap(server.read_call))
        put = staticmethod(wrap(server.act_on_call))
        delete = staticmethod(wrap(server.hang_up))

    class Token(HTTPEndpoint):
        post = staticmethod(token_endpoint(server.dataset, server.issued, body_timeout))

    # A class endpoint takes every method, so `.../{userId}/simple` belongs to MakeCall alone:
    # a GET of it is a 405, not the List of an extension named "simple".
    routes = [
        Route(f"{PREFIX}/{{userId}}/simple", MakeCall),
        Route(f"{PREFIX}/{{userId}}/{{extension}}", Extension),
        Route(f"{PREFIX}/{{userId}}/{{extension}}/{{phoneCallId}}", PhoneCall),
        Route(TOKEN_PATH, Token),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            *(
                [Middleware(ShapedAnswers, server.behaviour)]
                if server.behaviour.shapes_answers
                else []
            ),
            Middleware(_UnambiguousFraming),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    # A trailing slash is another URI, not a redirect: answer 404 like any unknown route.
    app.router.redirect_slashes = False
    app.state.pbx = server.pbx
    app.state.dataset = server.dataset
    return app
