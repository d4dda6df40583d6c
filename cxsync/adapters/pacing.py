"""Client-side pacing and bounded retries shared by the adapters."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Clock:
    """Where waiting happens. Benchmarks swap in a simulated clock (see benchmarks/sync_scale.py) so a
    sync paced at 3 requests/s over 100,000 rows can be measured without waiting for hours."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


CLOCK = Clock()


class Pacer:
    """Keeps the average request rate at or below `rate` per second, allowing short bursts.

    Notion allows "an average of three requests per second" per integration; pacing on the client
    keeps a sync from spending its time in 429 back-offs. A rate of 0 turns pacing off.
    """

    def __init__(self, rate: float, burst: float = 3.0, clock: Callable[[], float] | None = None) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock or (lambda: CLOCK.monotonic())
        self._tokens = burst
        self._stamp = self._clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def wait(self) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            pause = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            self._tokens -= 1
        if pause:
            self.waited += pause
            CLOCK.sleep(pause)


class RetryBudget:
    """Total seconds a run may spend waiting to retry, shared by every adapter.

    When it is spent, calls fail at once instead of waiting: a run against a service that is down
    ends quickly, with a summary of what was and was not done, and the next run resumes.
    `CXSYNC_RETRY_BUDGET_SECONDS` sets it (default 600).
    """

    def __init__(self, seconds: float | None = None) -> None:
        self.left = float(os.environ.get("CXSYNC_RETRY_BUDGET_SECONDS", "600")) if seconds is None else seconds
        self._lock = threading.Lock()

    def wait(self, seconds: float) -> bool:
        """Sleep `seconds` if the budget allows; False when it is spent (do not retry)."""
        with self._lock:
            if seconds > self.left:
                self.left = 0.0
                return False
            self.left -= seconds
        CLOCK.sleep(seconds)
        return True


def backoff(attempt: int, retry_after: str | None, cap: float = 60.0) -> float:
    """Seconds to wait before retry `attempt` (1-based): Retry-After when given, else full jitter.

    The jitter base is 0.5 s; `CXSYNC_RETRY_BASE_SECONDS` changes it (the test suite shortens it).
    """
    if retry_after and retry_after.strip().isdigit():
        return min(float(retry_after), cap)
    base = float(os.environ.get("CXSYNC_RETRY_BASE_SECONDS", "0.5"))
    return random.uniform(0, min(cap, base * 2**attempt))


def http_timeout() -> float:
    """Seconds to wait for one HTTP answer (`CXSYNC_HTTP_TIMEOUT_SECONDS`, default 30)."""
    return float(os.environ.get("CXSYNC_HTTP_TIMEOUT_SECONDS", "30"))
