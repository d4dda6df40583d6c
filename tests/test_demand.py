from decimal import Decimal

from conftest import make_entry
from hypothesis import given
from hypothesis import strategies as st

from cxsync.demand import compute_demand


def test_revenue_is_counted_once_per_company_and_not_across_currencies() -> None:
    entries = [
        make_entry(1, customer="김민수", company="한빛커머스", revenue=120_000_000),
        make_entry(2, customer="김민수", company="한빛커머스", revenue=120_000_000),
        make_entry(3, customer="장태웅", company="한빛커머스 ", revenue=120_000_000),
        make_entry(4, customer="Sarah", company="Blue Harbor", revenue=5_000, currency="USD"),
        make_entry(5, customer="Kim", company=None, revenue=None),
    ]
    demand = compute_demand(entries)
    assert demand.requests == 5
    assert demand.customers == 4
    assert demand.companies == 2
    assert demand.revenue == {"KRW": Decimal(120_000_000), "USD": Decimal(5_000)}


def test_latest_revenue_figure_of_a_company_wins() -> None:
    entries = [make_entry(1, company="A", revenue=10), make_entry(2, company="A", revenue=30)]
    assert compute_demand(entries).revenue == {"KRW": Decimal(30)}


rows = st.lists(
    st.tuples(
        st.sampled_from(["김민수", "Sarah", "장태웅", None]),
        st.sampled_from(["한빛커머스", "Blue Harbor", None]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
        st.sampled_from(["KRW", "USD"]),
    ),
    max_size=30,
)


@given(rows)
def test_counts_match_a_brute_force_recount(data: list[tuple[str | None, str | None, int | None, str]]) -> None:
    entries = [make_entry(i, customer=c, company=co, revenue=r, currency=cur) for i, (c, co, r, cur) in enumerate(data)]
    demand = compute_demand(entries)
    assert demand.requests == len(data)
    assert demand.customers == len({c for c, _, _, _ in data if c})
    assert demand.companies == len({co for _, co, _, _ in data if co})
    expected: dict[str, Decimal] = {}
    last: dict[tuple[str, str], int] = {}
    for c, co, r, cur in data:  # entries are created in order, so the last figure per account wins
        account = co or c
        if r is not None and account:
            last[(account.casefold(), cur)] = r
    for (_, cur), amount in last.items():
        expected[cur] = expected.get(cur, Decimal(0)) + amount
    assert demand.revenue == expected
