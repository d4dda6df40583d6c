"""Demand behind a group: requests, distinct customers and companies, revenue once per company."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from cxsync.grouping.normalize import normalize
from cxsync.models import VocEntry


class Demand(BaseModel):
    model_config = ConfigDict(frozen=True)

    requests: int
    customers: int
    companies: int
    revenue: dict[str, Decimal]
    first_seen: date | None
    last_seen: date | None
    recent: int
    channels: dict[str, int]


# Names repeat across a database (one customer asks many times), and normalising is the slow part.
_name_key = lru_cache(maxsize=1 << 16)(normalize)


def _account(entry: VocEntry) -> str | None:
    """Whose revenue an entry carries: its company, else its customer."""
    for name in (entry.company, entry.customer):
        if name and _name_key(name):
            return _name_key(name)
    return None


RECENT_DAYS = 30


def compute_demand(entries: Iterable[VocEntry], today: date | None = None) -> Demand:
    """Count demand exactly; revenue is summed once per account and never across currencies.

    `recent` counts requests received in the 30 days up to `today` (default: the latest request).

    When one account's entries disagree on revenue, the most recently created entry wins: it is
    the figure CX last recorded for that account.
    """
    entries = list(entries)
    customers = {_name_key(e.customer) for e in entries if e.customer and _name_key(e.customer)}
    companies = {_name_key(e.company) for e in entries if e.company and _name_key(e.company)}
    latest: dict[tuple[str, str], tuple[object, Decimal]] = {}
    for entry in entries:
        account = _account(entry)
        if entry.revenue is None or account is None:
            continue
        slot = (account, entry.currency)
        stamp = (entry.created_time, entry.page_id)
        if slot not in latest or stamp > latest[slot][0]:  # type: ignore[operator]
            latest[slot] = (stamp, entry.revenue)
    revenue: dict[str, Decimal] = {}
    for (_, currency), (_, amount) in sorted(latest.items()):
        revenue[currency] = revenue.get(currency, Decimal(0)) + amount
    days = sorted(e.received or e.created_time.date() for e in entries)
    recent = 0
    if days:
        since = (today or days[-1]) - timedelta(days=RECENT_DAYS)
        recent = sum(1 for d in days if d > since)
    channels = Counter(e.channel for e in entries if e.channel)
    return Demand(
        requests=len(entries),
        customers=len(customers),
        companies=len(companies),
        revenue=revenue,
        first_seen=days[0] if days else None,
        last_seen=days[-1] if days else None,
        recent=recent,
        channels=dict(sorted(channels.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
