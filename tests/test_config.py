from pathlib import Path

import pytest

from cxsync.config import jira_credentials, load_mapping, notion_credentials
from cxsync.errors import ConfigError, ExitCode

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["example.yaml", "example-en.yaml"])
def test_shipped_mappings_validate(name: str) -> None:
    loaded = load_mapping(ROOT / "mappings" / name)
    assert loaded.mapping.notion.properties.jira_key
    assert loaded.mapping.jira.project


def test_korean_mapping_keeps_korean_property_names() -> None:
    props = load_mapping(ROOT / "mappings" / "example.yaml").mapping.notion.properties
    assert props.text == "요청 내용"
    assert props.need_tag == "니즈 태그"


def test_every_problem_is_reported_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\n"
        "notion:\n"
        "  database_id: not-an-id\n"
        "  properties:\n"
        "    text: 요청 내용\n"
        "    need_tag: 니즈 태그\n"
        "    jira_key: Jira 키\n"
        "    colour: blue\n"
        "jira:\n"
        "  project: cx\n"
        "  label_prefix: Has Space\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    problems = caught.value.problems
    assert len(problems) == 4
    text = "\n".join(problems)
    assert f"{path}:3: notion.database_id" in text
    assert f"{path}:8: notion.properties.colour" in text and "unknown key" in text
    assert f"{path}:10: jira.project" in text
    assert f"{path}:11: jira.label_prefix" in text
    assert caught.value.exit_code == ExitCode.CONFIG


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nnotion: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert f"{path}:" in caught.value.en and "not valid YAML" in caught.value.en


def test_missing_file_gives_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_mapping(tmp_path / "nope.yaml")
    assert "CXSYNC_MAPPING" in caught.value.message("en")
    assert "매핑 파일" in caught.value.message("ko")


def test_credentials_come_from_the_environment_and_hide_in_repr() -> None:
    notion = notion_credentials({"NOTION_TOKEN": "tok-123456", "NOTION_BASE_URL": "http://127.0.0.1:1/"})
    assert notion.base_url == "http://127.0.0.1:1"
    assert "tok-123456" not in repr(notion)
    cloud = jira_credentials({"JIRA_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t-9999"})
    assert cloud.flavor == "cloud" and "t-9999" not in repr(cloud)
    dc = jira_credentials({"JIRA_URL": "https://jira.local", "JIRA_PAT": "pat-9999"})
    assert dc.flavor == "datacenter"


@pytest.mark.parametrize(
    "env, missing",
    [
        ({}, "JIRA_URL"),
        ({"JIRA_URL": "https://x"}, "JIRA_API_TOKEN"),
        ({"JIRA_URL": "https://x", "JIRA_API_TOKEN": "t-1234"}, "JIRA_EMAIL"),
    ],
)
def test_missing_jira_secret_is_named(env: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        jira_credentials(env)
    assert missing in caught.value.en
