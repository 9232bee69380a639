"""``uapi-reference-server`` / ``python -m pytest_uapi.reference``: start, banner, usage errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pytest_uapi.reference.__main__ import _listen

MODULE = [sys.executable, "-m", "pytest_uapi.reference"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MODULE, *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--port", "eighty"], "'eighty' is not a port number"),
        (["--port", "70000"], "70000 is not between 0 and 65535"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--dataset", "/nonexistent/dataset.toml"], "cannot read dataset"),
        (["--host", "host.invalid", "--port", "0"], "cannot listen on host.invalid"),
        (["--latency", "-1"], "-1 is not a number of seconds >= 0"),
        (["--effect-delay", "soon"], "'soon' is not a number of seconds"),
        (["--prefix", "/uapi"], "'/uapi' is not a path of plain segments outside /uapi"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("uapi-reference-server: error: ")
    assert needle in lines[0]


def test_a_malformed_dataset_names_the_key_at_fault(tmp_path: Path) -> None:
    dataset = tmp_path / "broken.toml"
    dataset.write_text('unknown_user_id = "1"\norganizations = []\nusers = [{ id = "1" }]\n')
    result = run("--dataset", str(dataset))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "users[0]: missing key 'name'" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_names_the_options() -> None:
    result = run("--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--dataset", "--idle-timeout"):
        assert option in result.stdout
    for option in ("--latency", "--answer-delay", "--effect-delay", "--multi-view", "--prefix"):
        assert option in result.stdout


def test_serves_and_prints_url_and_tokens(tmp_path: Path) -> None:
    dataset = tmp_path / "own.toml"
    shipped = Path(__file__).parents[2] / "pytest_uapi" / "contract" / "dataset.toml"
    dataset.write_text(shipped.read_text().replace("sandbox-token-12", "my-own-token"))
    process = subprocess.Popen(
        [*MODULE, "--port", "0", "--dataset", str(dataset)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"UAPI reference server on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        banner = "".join(process.stdout.readline() for _ in range(4))
        assert "my-own-token" in banner and "sandbox-token-13" in banner
        answer = httpx.get(
            f"{match[1]}/uapi/phoneCalls/@me/@self",
            headers={"Authorization": "Bearer my-own-token"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert answer.json() == {"entry": []}
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_the_socket_listens_before_the_banner_is_printed() -> None:
    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        # The kernel completes the handshake into the backlog; nobody has accepted yet.
        with socket.create_connection(sock.getsockname()[:2], timeout=2):
            pass
    finally:
        sock.close()


def test_a_client_connecting_right_after_the_banner_is_served() -> None:
    process = subprocess.Popen(
        [*MODULE, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        match = re.fullmatch(
            r"UAPI reference server on http://(127\.0\.0\.1):(\d+)\n", process.stdout.readline()
        )
        assert match
        # Freeze the server the moment it has announced itself, before uvicorn can start: a
        # busy machine does the same. The address announced must already take connections.
        process.send_signal(signal.SIGSTOP)
        try:
            connection = socket.create_connection((match[1], int(match[2])), timeout=5)
        finally:
            process.send_signal(signal.SIGCONT)
        with connection:
            connection.settimeout(10)
            connection.sendall(
                b"GET /uapi/phoneCalls/@me/@self HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer sandbox-token-12\r\nConnection: close\r\n\r\n"
            )
            assert connection.recv(1024).startswith(b"HTTP/1.1 200 ")
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)


def test_serves_with_realistic_options_under_a_prefix() -> None:
    process = subprocess.Popen(
        [*MODULE, "--port", "0", "--prefix", "/pbx", "--latency", "0.05", "--chunked"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"UAPI reference server on (http://127\.0\.0\.1:\d+/pbx)\n", first)
        assert match, first
        banner = "".join(process.stdout.readline() for _ in range(5))
        assert "behaving as: latency=0.05,chunked" in banner
        answer = httpx.get(
            f"{match[1]}/uapi/phoneCalls/@me/@self",
            headers={"Authorization": "Bearer sandbox-token-12"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers.get("transfer-encoding") == "chunked"
        outside = httpx.get(f"{match[1].removesuffix('/pbx')}/uapi/phoneCalls/@me/@self")
        assert outside.status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
