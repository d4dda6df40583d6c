"""Demand counts against a brute-force recount, on many generated cases."""

from __future__ import annotations

from decimal import Decimal

from conftest import make_entry
from hypothesis import given, settings
from hypothesis import strategies as st

from cxsync.demand import compute_demand
from cxsync.models import VocEntry

NAMES = st.sampled_from(["김민수", "Sarah Kim", "장태웅", "sarah kim ", "", None])
COMPANIES = st.sampled_from(["한빛커머스", "Blue Harbor", "blue harbor", "", None])
REVENUE = st.one_of(st.none(), st.just(0), st.integers(min_value=1, max_value=10**10))
CURRENCY = st.sampled_from(["KRW", "USD"])
ROW = st.tuples(NAMES, COMPANIES, REVENUE, CURRENCY)


def _entries(rows: list[tuple[str | None, str | None, int | None, str]]) -> list[VocEntry]:
    return [make_entry(i, customer=c, company=co, revenue=r, currency=cur) for i, (c, co, r, cur) in enumerate(rows)]


def _key(name: str | None) -> str | None:
    folded = "".join((name or "").split()).casefold()
    return folded or None


def brute_force(entries: list[VocEntry]) -> tuple[int, int, int, dict[str, Decimal]]:
    customers = {_key(e.customer) for e in entries} - {None}
    companies = {_key(e.company) for e in entries} - {None}
    revenue: dict[str, Decimal] = {}
    for currency in {e.currency for e in entries}:
        accounts: dict[str, Decimal] = {}
        for entry in sorted(entries, key=lambda e: e.created_time):
            account = _key(entry.company) or _key(entry.customer)
            if entry.currency == currency and entry.revenue is not None and account:
                accounts[account] = entry.revenue
        if accounts:
            revenue[currency] = sum(accounts.values(), Decimal(0))
    return len(entries), len(customers), len(companies), revenue


@settings(max_examples=1000, deadline=None)
@given(st.lists(ROW, max_size=25))
def test_every_count_matches_a_brute_force_recount(rows: list[tuple[str | None, str | None, int | None, str]]) -> None:
    entries = _entries(rows)
    demand = compute_demand(entries)
    assert (demand.requests, demand.customers, demand.companies, demand.revenue) == brute_force(entries)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(ROW, min_size=1, max_size=25), st.lists(st.integers(min_value=0, max_value=3), min_size=25, max_size=25)
)
def test_entries_moving_between_groups_keep_requests_exact(
    rows: list[tuple[str | None, str | None, int | None, str]], assignment: list[int]
) -> None:
    entries = _entries(rows)
    groups: dict[int, list[VocEntry]] = {}
    for entry, group in zip(entries, assignment, strict=False):
        groups.setdefault(group, []).append(entry)
    per_group = [compute_demand(members) for members in groups.values()]
    assert sum(d.requests for d in per_group) == len(entries)
    for members, demand in zip(groups.values(), per_group, strict=True):
        assert (demand.requests, demand.customers, demand.companies, demand.revenue) == brute_force(members)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=25))
def test_recent_counts_requests_received_in_the_last_30_days(ages: list[int]) -> None:
    from datetime import date, timedelta

    today = date(2026, 11, 29)
    entries = [make_entry(i, received=today - timedelta(days=age)) for i, age in enumerate(ages)]
    assert compute_demand(entries, today).recent == sum(1 for age in ages if age < 30)
