"""A headless Chromium driven over the DevTools protocol: enough to load a file, run JS and watch it.

Records every console message, uncaught exception, log entry and network request, so a test can
say "no console errors" and "nothing fetched from the network" about the page it loaded.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]
STARTUP_SECONDS = 30.0


def chromium_or_skip() -> str:
    """The browser binary. Outside CI a missing browser skips; under CI=true it fails loudly."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = []
    if not found:
        missing.append("Chromium is not installed (apt-get install -y chromium fonts-nanum; .ci/run does this)")
    if importlib.util.find_spec("websocket") is None:
        missing.append("websocket-client is not installed (pip install -e '.[test]')")
    if not missing:
        return str(found)
    if os.environ.get("CI") == "true":
        pytest.fail("; ".join(missing) + ": the HTML report's browser test must run in CI", pytrace=False)
    pytest.skip("; ".join(missing))


@dataclass
class Events:
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        found = [json.dumps(e, ensure_ascii=False)[:300] for e in self.exceptions]
        found += [json.dumps(c, ensure_ascii=False)[:300] for c in self.console if c.get("type") in ("error", "assert")]
        found += [json.dumps(entry, ensure_ascii=False)[:300] for entry in self.logs if entry.get("level") == "error"]
        return found


class Browser:
    """One Chromium process and one page; use as a context manager."""

    def __init__(self, binary: str) -> None:
        import websocket  # test dependency (websocket-client); checked by chromium_or_skip()

        self._profile = tempfile.mkdtemp(prefix="cxsync-chromium-")
        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            address = self._page_socket()
        except BaseException:
            self._process.kill()
            self._process.wait(timeout=10)
            raise
        # keep reading Chromium's log so a full pipe can never stall it
        threading.Thread(target=self._process.stderr.read, daemon=True).start()  # type: ignore[union-attr]
        self._ws = websocket.create_connection(address, timeout=20, suppress_origin=True)
        self._next_id = 0
        self.events = Events()
        for domain in ("Page", "Runtime", "Log", "Network", "DOM", "CSS"):
            self.call(f"{domain}.enable")

    def _page_socket(self) -> str:
        assert self._process.stderr is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        seen: list[str] = []
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                break
            seen.append(line)
            match = re.search(r"DevTools listening on ws://([^/]+)/", line)
            if match:
                with urllib.request.urlopen(f"http://{match.group(1)}/json/list", timeout=10) as response:
                    targets = json.load(response)
                return str(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        raise RuntimeError("Chromium did not start:\n" + "".join(seen[-20:]))

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._ws.close()
        finally:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol ---------------------------------------------------------------------------------
    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        wanted = self._next_id
        self._ws.send(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self._ws.recv())
        self._record(message.get("method", ""), message.get("params", {}))
        return message

    def _record(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled":
            self.events.console.append({"type": params.get("type"), "args": params.get("args")})
        elif method == "Runtime.exceptionThrown":
            self.events.exceptions.append(params.get("exceptionDetails", {}))
        elif method == "Log.entryAdded":
            self.events.logs.append(params.get("entry", {}))
        elif method == "Network.requestWillBeSent":
            self.events.requests.append(params["request"]["url"])

    # -- page -------------------------------------------------------------------------------------
    def load(self, path: Path, width: int = 1280, height: int = 900) -> None:
        """Open a local file and wait until it has loaded and its scripts have run."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.05)
        raise TimeoutError(f"still false after {timeout} s: {expression}")

    def fonts_for(self, selector: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The platform fonts Chromium used to draw the text of the first element matching `selector`.

        Asked again until layout has happened (right after a DOM change the answer can be empty).
        """
        self.evaluate("document.fonts.ready.then(() => document.body.offsetHeight)")
        deadline = time.monotonic() + timeout
        while True:
            root = self.call("DOM.getDocument", depth=0)["root"]["nodeId"]
            node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
            fonts: list[dict[str, Any]] = self.call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
            if fonts or time.monotonic() > deadline:
                return fonts
            time.sleep(0.05)

    def screenshot(self, path: Path, max_height: int = 1600) -> None:
        """A PNG of the top of the page (the whole page when shorter than `max_height`)."""
        metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": metrics["width"], "height": min(metrics["height"], max_height), "scale": 1}
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


def hangul_fonts() -> set[str]:
    """Font families installed on this machine that have Hangul glyphs (fontconfig's own answer)."""
    if shutil.which("fc-list") is None:
        return set()
    listing = subprocess.run(["fc-list", ":charset=ac00", "family"], capture_output=True, text=True, check=False)
    return {name.strip() for line in listing.stdout.splitlines() for name in line.split(",") if name.strip()}
