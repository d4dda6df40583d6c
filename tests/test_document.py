from cxsync.document import (
    BEGIN_MARKER,
    END_MARKER,
    Bullets,
    Heading,
    Link,
    Paragraph,
    Table,
    Text,
    escape_wiki,
    has_adf_block,
    has_wiki_block,
    owned_adf_nodes,
    splice_adf,
    splice_wiki,
)

BLOCKS = [
    Heading("근거"),
    Paragraph((Text("요청 "), Text("3", bold=True))),
    Bullets(((Text("{code}[link|http://evil] !img.png! [~accountid:123]"),),)),
    Table(("요청",), (((Link("결제 내역", "https://www.notion.so/abc"),),),)),
    Paragraph((Link("bad", "javascript:alert(1)"),)),
]


def test_wiki_escaping_makes_customer_markup_inert() -> None:
    escaped = escape_wiki("{code}[x|http://e] !i.png! [~accountid:1] *b*")
    for raw in ("{code}", "[x|", "!i.png!", "[~", "*b*"):
        assert raw not in escaped
    assert escape_wiki("a\\b") == "a\\\\b"


def test_splice_wiki_keeps_human_text_around_the_owned_block() -> None:
    first = splice_wiki("사람이 쓴 설명", BLOCKS)
    assert first.startswith("사람이 쓴 설명") and has_wiki_block(first)
    edited = first + "\n\n사람이 나중에 덧붙임"
    again = splice_wiki(edited, [Heading("바뀐 근거")])
    assert again.startswith("사람이 쓴 설명") and again.endswith("사람이 나중에 덧붙임")
    assert "바뀐 근거" in again and "h3. 근거" not in again
    assert again.count(BEGIN_MARKER) == 1 and again.count(END_MARKER) == 1


def test_adf_is_built_by_construction_and_splices_in_place() -> None:
    human = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "앞"}]}],
    }
    doc = splice_adf(human, BLOCKS)
    assert doc["content"][0] == human["content"][0] and has_adf_block(doc)
    doc["content"].append({"type": "paragraph", "content": [{"type": "text", "text": "뒤"}]})
    again = splice_adf(doc, [Heading("새 근거")])
    texts = [n.get("content", [{}])[0].get("text") for n in again["content"]]
    assert texts[0] == "앞" and texts[-1] == "뒤" and "새 근거" in texts
    links = [
        mark["attrs"]["href"] for node in owned_adf_nodes(BLOCKS) for mark in _marks(node) if mark["type"] == "link"
    ]
    assert links == ["https://www.notion.so/abc"]


def _marks(node: dict) -> list[dict]:
    found = list(node.get("marks", []))
    for child in node.get("content", []) or []:
        found += _marks(child)
    return found
