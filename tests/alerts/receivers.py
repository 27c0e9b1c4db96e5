"""Real local receivers for the alert channels, each on its own thread and a free port: an HTTP
server that records the webhook POSTs it gets, and a minimal SMTP server (the RFC 5321 commands
``smtplib`` sends) that records the messages it accepts. Either can be told to answer with an
error, to test delivery failures."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Post:
    path: str
    content_type: str
    body: Any  # the decoded JSON


class WebhookReceiver:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.statuses: list[int] = []  # answers to the next POSTs, then 200
        self.delay = 0.0  # seconds before answering (a slow receiver: the sender times out)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.posts.append(Post(self.path, self.headers.get("Content-Type", ""),
                                           json.loads(body)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                time.sleep(receiver.delay)
                answer = b"ok" if status == 200 else b"no_service" if status == 404 else b"oops"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender timed out and left

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class SmtpReceiver:
    """``refuse``: the reply code to every MAIL FROM (e.g. 554: refused for good; 451: try later).
    ``password``: the one AUTH PLAIN accepts (any other gets 535)."""

    def __init__(self, refuse: int | None = None, password: str | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.refuse = refuse
        self.password = password
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost test SMTP receiver")
                sender, recipients = "", []
                while line := self.rfile.readline():
                    command = line.decode().rstrip("\r\n")
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-localhost")
                        self.reply("250 AUTH PLAIN")
                    elif verb == "HELO":
                        self.reply("250 localhost")
                    elif verb == "AUTH":
                        _, login, password = base64.b64decode(command.split()[2]).decode().split("\0")
                        receiver.logins.append(login)
                        ok = password == receiver.password
                        self.reply("235 accepted" if ok else "535 5.7.8 authentication failed")
                    elif verb == "MAIL":
                        if receiver.refuse:
                            self.reply(f"{receiver.refuse} sender refused")
                            continue
                        sender, recipients = _address(command), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(_address(command))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            chunk = chunk[1:] if chunk.startswith(b"..") else chunk  # dot-stuffing
                            data.append(chunk.removesuffix(b"\r\n") + b"\n")
                        receiver.messages.append(email.message_from_bytes(
                            b"".join(data), policy=email.policy.default))
                        receiver.envelopes.append((sender, recipients))
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 command not implemented")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self) -> SmtpReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _address(command: str) -> str:
    return command.split(":", 1)[1].strip().split()[0].strip("<>")


@contextmanager
def closed_port() -> Iterator[int]:
    """A local port nothing listens on (connections are refused)."""
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as server:
        port = server.server_address[1]
    yield port
