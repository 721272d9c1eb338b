"""`timesheet serve` as a user runs it: a real process on a loopback port."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from tui.cli.serve import _bind


def start_serve(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    shown: dict[str, str] = {}
    for line in process.stdout:
        if match := re.match(
            r"\s+(Productive v2|Organization id|Token|Plannr account):\s+(\S+)", line
        ):
            shown[match.group(1)] = match.group(2)
        if line.startswith("Press Ctrl+C"):
            break
    else:
        raise AssertionError(
            f"serve did not start: {process.stderr.read() if process.stderr else ''}"
        )
    return process, shown


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=15)
    return process.returncode, out


def test_serve_prints_what_a_client_needs_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process, shown = start_serve("--db", str(tmp_path / "ledger.db"))
    try:
        base = shown["Productive v2"]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/api/v2")
        headers = {"X-Auth-Token": shown["Token"], "X-Organization-Id": shown["Organization id"]}
        response = httpx.get(f"{base}/services", headers=headers)
        assert response.status_code == 200
        assert [s["attributes"]["name"] for s in response.json()["data"]] == [
            "General",
            "Meetings",
            "Admin",
        ]
        assert (
            httpx.get(f"{base}/services", headers={**headers, "X-Auth-Token": "nope"}).status_code
            == 401
        )
    finally:
        code, out = stop(process)
    assert code == 0
    assert "Ledger stopped." in out
    # The identity lives in the database: a second start accepts the same token.
    process, again = start_serve("--db", str(tmp_path / "ledger.db"))
    stop(process)
    assert again["Token"] == shown["Token"]
    assert again["Organization id"] == shown["Organization id"]


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "serve",
                "--port",
                str(port),
                "--db",
                str(tmp_path / "l.db"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--demo"])
def test_serve_demo_has_the_team_and_a_running_timer(flag: str) -> None:
    process, shown = start_serve(flag)
    try:
        base = shown["Productive v2"]
        headers = {"X-Auth-Token": shown["Token"], "X-Organization-Id": shown["Organization id"]}
        people = httpx.get(f"{base}/people", headers=headers).json()
        assert people["meta"]["total_count"] == 8
        timers = httpx.get(f"{base}/timers", headers=headers).json()["data"]
        assert [t["attributes"]["stopped_at"] for t in timers].count(None) == 1
    finally:
        code, _ = stop(process)
    assert code == 0


@pytest.mark.anyio
async def test_served_connections_send_answers_without_waiting_for_acks() -> None:
    """Nagle's algorithm off on every accepted connection: with it on, each answer on a
    kept-alive connection waited about 40 ms for the client's delayed ACK."""
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    listening = _bind("127.0.0.1", 0)
    server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_serve_prints_the_trackables_a_plannr_profile_can_use(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", "0", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl+C"):
            break
    try:
        ready = next(line.strip() for line in lines if line.strip().startswith("trackables = "))
        listed = tomllib.loads(ready)["trackables"]
        assert len(listed) >= 10 and all(t.startswith("client:") for t in listed)
        names = dict(
            line.strip().split("  ", 1) for line in lines if line.strip().startswith("client:")
        )
        assert list(names) == listed
        assert "Design (Acme Corp › Webshop relaunch)" in names.values()
        assert "Design (Bergmann & Söhne › Field service app)" in names.values()
        token = next(line.split()[-1] for line in lines if line.strip().startswith("Token:"))
        account = next(line.split()[-1] for line in lines if "Plannr account:" in line)
        base = next(line.split()[-1] for line in lines if "Plannr v1:" in line)
        headers = {"Authorization": f"Bearer {token}", "X-PLANNR-ACCOUNT-UUID": account}
        first = listed[0].split(":", 1)[1]
        named = httpx.get(f"{base}/account/{first}", headers=headers).json()["name"]
        assert named == names[listed[0]]
    finally:
        code, _ = stop(process)
    assert code == 0


@pytest.mark.parametrize("demo", [(), ("--demo",)])
def test_serve_refuses_a_db_that_cannot_be_a_ledger_with_one_sentence(
    tmp_path: Path, demo: tuple[str, ...]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a ledger\n" * 50)
    typo = tmp_path / "no-such-folder" / "ledger.db"
    for db, sentence in ((notes, "is not a timesheet ledger"), (typo, "does not exist")):
        if demo and db == typo:
            continue  # the demo makes its own ledger: only a file that is there is refused
        result = subprocess.run(
            [sys.executable, "-m", "tui", "serve", *demo, "--port", "0", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2, result.stderr
        assert sentence in result.stderr and "Traceback" not in result.stderr
    assert not typo.parent.exists()
