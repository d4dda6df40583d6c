import pytest

from cxsync.pii import make_redactor, redact_pii


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("연락은 yuna.choi@example.com 으로", "yuna.choi@example.com"),
        ("전화 010-1234-5678 주세요", "1234-5678"),
        ("전화 01012345678", "01012345678"),
        ("+82 10-1234-5678", "1234-5678"),
        ("+82-10-1234-5678", "1234-5678"),
        ("사무실 02-123-4567", "123-4567"),
        ("주민번호 900101-1234567", "900101-1234567"),
        ("카드 4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111", "4111-1111-1111-1111"),
    ],
)
def test_personal_data_is_redacted(raw: str, secret: str) -> None:
    redacted = redact_pii(raw)
    assert secret not in redacted and "/" in redacted


def test_ordinary_text_and_numbers_survive() -> None:
    text = "ARR 120,000,000원 고객 3곳, 2026-11-29에 요청, 버전 3.10.5"
    assert redact_pii(text) == text


def test_mapping_can_add_patterns_or_turn_the_defaults_off() -> None:
    custom = make_redactor(True, [r"고객번호 \d+"])
    assert custom("고객번호 12345, a@b.co") == "[redacted], [이메일/email]"
    off = make_redactor(False)
    assert off("a@b.co") == "a@b.co"


def test_long_text_is_redacted_in_linear_time() -> None:
    text = "x" * 200_000 + " a@b.co"
    assert redact_pii(text).endswith("[이메일/email]")
