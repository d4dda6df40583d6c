"""A small threaded loopback HTTP server shared by the Notion and Jira sandboxes.

It gives each sandbox routing, a request log (to count API calls), a token-bucket rate limiter and
switchable fault injection. The API-specific behaviour (wire formats, error bodies, limits) lives in
the sandbox modules themselves.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import random
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JsonBody = dict[str, Any] | list[Any] | None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Response:
    status: int
    body: JsonBody | bytes = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None and self.status == 204:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class HttpError(Exception):
    """Raised by handlers to answer with an API-shaped error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


Handler = Callable[[Request], Response]


@dataclass
class Fault:
    """One injected failure. It fires on the next `times` requests that match method and path.

    `status` answers with that status instead of running the handler; with `commit=True` the handler
    runs first (the server commits the change) and the client still gets `status`, which is how a
    write that succeeded behind a throttling proxy or gateway timeout looks. `drop_after_commit` runs
    the handler and then closes the connection without answering, which is how a lost response to a
    create looks to the client. `delay` sleeps before answering.
    """

    method: str | None = None
    path: str | None = None
    status: int | None = None
    body: JsonBody | bytes = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    drop_after_commit: bool = False
    delay: float = 0.0
    commit: bool = False

    def matches(self, request: Request) -> bool:
        if self.method and self.method.upper() != request.method:
            return False
        return not self.path or re.search(self.path, request.path) is not None


@dataclass
class Chaos:
    """Random failures for a fault storm: each matching request fails with probability `rate`.

    A failure is one of `statuses`; for write methods a `commit_share` of the failures first
    commit the change (a gateway error after the server did the work). Seeded, so a storm replays:
    each draw depends on the request (method, path, query, body) and how often that same request came
    before, not on the order in which concurrent requests arrive.
    """

    rate: float
    statuses: tuple[int, ...] = (429, 500, 502, 503)
    commit_share: float = 0.25
    seed: int = 0
    path: str | None = None
    _seen: Counter[str] = field(init=False, repr=False, default_factory=Counter)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def draw(self, request: Request) -> Fault | None:
        if self.path and not re.search(self.path, request.path):
            return None
        identity = hashlib.sha256(
            f"{request.method} {request.path} {sorted(request.query.items())}".encode() + b"\0" + request.body
        ).hexdigest()
        with self._lock:
            self._seen[identity] += 1
            nth = self._seen[identity]
        dice = random.Random(f"{self.seed}:{identity}:{nth}")
        if dice.random() >= self.rate:
            return None
        status = dice.choice(self.statuses)
        commit = request.method != "GET" and dice.random() < self.commit_share
        headers = {"Retry-After": "0"} if status in (429, 503) else {}
        return Fault(status=status, headers=headers, commit=commit)


WriteObserver = Callable[[Request, "Response"], None]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
READ_ONLY_POSTS = re.compile(r"/(query|search|search/jql|search/approximate-count)$")


def is_write(request: Request) -> bool:
    """Does this request change state? (Queries and searches sent as POST do not.)"""
    return request.method in WRITE_METHODS and not READ_ONLY_POSTS.search(request.path)


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int
    at: float  # when it was answered
    started: float = 0.0  # when it arrived


class TokenBucket:
    """Average `rate` requests per second with bursts up to `burst`."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take a token; return 0 when allowed, else the seconds to wait for the next token."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


class SandboxServer:
    """Base class: subclasses register routes and shape their own errors."""

    name = "sandbox"

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self.lock = threading.RLock()
        self.requests: list[LoggedRequest] = []
        self.rate_limiter: TokenBucket | None = None
        self.chaos: Chaos | None = None
        self.write_observers: list[WriteObserver] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routing -------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def dispatch(self, request: Request) -> Response:
        allowed_path = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            allowed_path = True
            if method != request.method:
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            return handler(request)
        return self.not_found(request, method_mismatch=allowed_path)

    # -- hooks for subclasses ------------------------------------------------------------------
    def epoch_now(self) -> float:
        """The server's time for the `Date` header (subclasses follow their own clock)."""
        return time.time()

    def not_found(self, request: Request, *, method_mismatch: bool) -> Response:
        return Response(404, {"error": "not found"})

    def authenticate(self, request: Request) -> Response | None:
        """Return an error response when the request is not authenticated."""
        return None

    def rate_limited(self, retry_after: float) -> Response:
        return Response(429, {"error": "rate limited"}, {"Retry-After": str(max(1, round(retry_after)))})

    def internal_error(self) -> Response:
        return Response(500, {"error": "internal error"})

    def fault_response(self, fault: Fault) -> Response:
        """The answer for an injected `Fault` with a status; subclasses may fill in an API-shaped body."""
        return Response(fault.status or 500, fault.body, dict(fault.headers))

    # -- faults and limits ---------------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        with self._faults_lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def set_rate_limit(
        self, rate: float | None, burst: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_limiter = TokenBucket(rate, burst, clock) if rate else None

    def _take_fault(self, request: Request) -> Fault | None:
        with self._faults_lock:
            if self.chaos is not None:
                drawn = self.chaos.draw(request)
                if drawn is not None:
                    return drawn
            for fault in self._faults:
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def handle(self, request: Request) -> tuple[Response | None, bool]:
        """Answer one request. The flag says whether to drop the connection instead of answering."""
        fault = self._take_fault(request)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status is not None and not fault.commit:
            return self.fault_response(fault), False
        denied = self.authenticate(request)
        if denied is not None:
            return denied, False
        if self.rate_limiter is not None:
            wait = self.rate_limiter.take()
            if wait > 0:
                return self.rate_limited(wait), False
        try:
            response = self.dispatch(request)
        except HttpError as error:
            response = error.response
        except Exception:  # a sandbox bug must look like a server error, not hang the client
            import traceback

            traceback.print_exc()
            response = self.internal_error()
        if response.status < 400 and is_write(request):
            for observe in list(self.write_observers):
                observe(request, response)
        if fault and fault.status is not None:  # commit=True: the change is made, the answer is the fault's
            return self.fault_response(fault), False
        return response, bool(fault and fault.drop_after_commit)

    def calls(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Requests seen so far, optionally filtered by method and a path regex."""
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method.upper()) and (path is None or re.search(path, r.path))
        ]

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        handler = _make_handler(self)
        self._httpd = _QuietServer((host, port), handler)
        self._httpd.daemon_threads = True
        # a short poll interval makes stop() (shutdown) return in ~50 ms instead of up to 0.5 s
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SandboxServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a killed sync, a dropped connection) is normal here, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _make_handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body are separate writes; with Nagle on, each keep-alive answer waits ~40 ms
        # for the client's delayed ACK
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def date_time_string(self, timestamp: float | None = None) -> str:
            return email.utils.formatdate(server.epoch_now() if timestamp is None else timestamp, usegmt=True)

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            started = time.time()
            response, drop = server.handle(request)
            status = response.status if response else 0
            server.requests.append(LoggedRequest(request.method, request.path, status, time.time(), started))
            if drop or response is None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            payload = response.encoded()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return _Handler
