"""``uapi-reference-server``: serve the reference implementation over HTTP.

    uapi-reference-server [--host 127.0.0.1] [--port 8080] [--dataset FILE] [--idle-timeout 5]
                          [--latency S] [--answer-delay S] [--effect-delay S] [--multi-view]
                          [--extra-fields] [--close-connections] [--chunked] [--prefix PATH]

Loopback by default. Prints the base URL and the dataset's tokens, then serves until Ctrl-C. A bad
argument, an unreadable dataset or an address that cannot be listened on is one error line and
exit status 2.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence
from typing import NoReturn

import uvicorn

from pytest_uapi.contract import Dataset, load_dataset
from pytest_uapi.contract.dataset import DatasetError

from .app import create_app
from .background import mount
from .behaviour import Behaviour
from .connections import DEFAULT_IDLE_TIMEOUT, uvicorn_idle_settings
from .faults import VARIANTS, catalogue

PROG = "uapi-reference-server"
USAGE_ERROR = 2
# uvicorn's own default; the socket listens with it from the start and uvicorn keeps it.
BACKLOG = 2048


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line a user can act on, instead of the usage block.
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return seconds


def _delay(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds >= 0")
    return seconds


def _prefix(text: str) -> str:
    segments = text.strip("/").split("/")
    if text.strip("/") and (
        segments[0] == "uapi"
        or not all(s and all(c.isalnum() or c in "._~-" for c in s) for s in segments)
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a path of plain segments outside /uapi (e.g. /pbx)"
        )
    return text


def _realistic(parser: argparse.ArgumentParser) -> None:
    """The options of a deployment that behaves as a real PBX may (``behaviour``)."""
    group = parser.add_argument_group(
        "realistic behaviour",
        "behave as a real deployment may, still conforming (give the suite --uapi-settle at "
        "least the longest delay)",
    )
    delays = (
        ("--latency", "each answer waits this long before it is sent"),
        (
            "--answer-delay",
            "a made call is trying (status 2) this long before it rings or is answered",
        ),
        (
            "--effect-delay",
            "an accepted action's effect (transfer, voicemail, pickup, hold, "
            "off hold, hang-up) shows this long after its answer",
        ),
    )
    for flag, text in delays:
        group.add_argument(
            flag, type=_delay, default=0.0, metavar="SECONDS", help=f"{text} (default: 0)"
        )
    switches = (
        ("--multi-view", "list a view for the caller and one per destination (D35)"),
        ("--extra-fields", "add fields and headers the documents do not name (D36)"),
        ("--close-connections", "close the connection after every answer"),
        ("--chunked", "send answers in chunks, without Content-Length"),
    )
    for flag, text in switches:
        group.add_argument(flag, action="store_true", help=text)
    group.add_argument(
        "--prefix",
        type=_prefix,
        default="",
        metavar="PATH",
        help="serve under this path (D1), e.g. /pbx: the suite's URL is then http://HOST:PORT/pbx",
    )


def _behaviour(args: argparse.Namespace) -> Behaviour:
    return Behaviour(
        latency=args.latency,
        answer_delay=args.answer_delay,
        effect_delay=args.effect_delay,
        multi_view=args.multi_view,
        extra_fields=args.extra_fields,
        close_connections=args.close_connections,
        chunked=args.chunked,
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Serve the reference implementation of the UAPI PhoneCalls contract.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default: 127.0.0.1, loopback only)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8080,
        metavar="PORT",
        help="port to listen on; 0 picks a free one (default: 8080)",
    )
    parser.add_argument(
        "--dataset",
        metavar="FILE",
        help="dataset TOML file (users, tokens, extensions); default: the shipped one",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="close a connection that sends no complete request (or the rest of a body), or "
        f"reads nothing of an answer, for this long (default: {DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--fault",
        metavar="NAME",
        help="serve a deliberately broken variant, to see what a failing certification looks "
        "like (or 'alternatives': the readings only the default profile accepts)",
    )
    parser.add_argument(
        "--list-faults",
        action="store_true",
        help="list the faults (one per violated requirement) and exit",
    )
    _realistic(parser)
    return parser


def _fault_list() -> str:
    lines = [f"{'fault':<58} what the server does wrong"]
    for fault in catalogue().values():
        lines.append(f"{fault.name:<58} {fault.description}")
    lines.append(f"{'alternatives':<58} takes every reading only the default profile accepts")
    return "\n".join(lines) + "\n"


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    raise SystemExit(USAGE_ERROR)


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on sockets that say they
        # are TCP, and with it on every keep-alive answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listen before the banner announces the address: a client that connects as soon as it
        # reads the banner waits in the backlog until uvicorn accepts, instead of being refused
        # while the app is still being built.
        sock.listen(BACKLOG)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    return sock


def _banner(url: str, dataset: Dataset) -> str:
    lines = [f"UAPI reference server on {url}", "tokens:"]
    for user in dataset.users.values():
        lines.append(
            f"  {user.token}  user {user.id} ({user.name}, organization {user.organization})"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        sys.stdout.write(_fault_list())
        return 0
    if args.fault is not None and args.fault not in catalogue() and args.fault not in VARIANTS:
        _fail(f"no fault named {args.fault!r} (see --list-faults)")
    try:
        dataset = load_dataset(args.dataset)
    except DatasetError as exc:
        _fail(str(exc).replace("\n", " "))
    sock = _listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    prefix = "/" + args.prefix.strip("/") if args.prefix.strip("/") else ""
    sys.stdout.write(_banner(f"http://{shown}:{port}{prefix}", dataset))
    if args.fault:
        sys.stdout.write(f"serving with fault {args.fault}: this server is broken on purpose\n")
    behaviour = _behaviour(args)
    if behaviour != Behaviour():
        sys.stdout.write(f"behaving as: {behaviour.describe()}\n")
    sys.stdout.flush()
    app = create_app(dataset, fault=args.fault, body_timeout=args.idle_timeout, behaviour=behaviour)
    config = uvicorn.Config(
        mount(app, prefix),
        log_level="info",
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=5,
        backlog=BACKLOG,
        **uvicorn_idle_settings(args.idle_timeout),
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn re-raises the Ctrl-C it handled once it has shut down; it is the way out.
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
