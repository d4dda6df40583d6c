"""One run at a time per mapping: an OS file lock, released by the kernel even if the run is killed."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cxsync.errors import BusyError


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BusyError(
                f"Another cxsync run holds the lock {path} ({holder}); try again when it ends.",
                f"다른 cxsync 실행이 잠금 {path}을(를) 잡고 있습니다 ({holder}). 끝난 뒤 다시 실행하세요.",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
