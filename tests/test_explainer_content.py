"""The explainers' content files (ui/content/*.md) and the loader that turns them into `Architecture`s."""

from __future__ import annotations

import re

import pytest

from gen_models.catalogue import MODEL_TITLES
from ui.core.architectures import (
    ARCHITECTURES,
    CONTENT_DIR,
    SETTINGS,
    SHARED_FILE,
    Architecture,
    FailureSign,
    LossTerm,
    Network,
    field_text,
    fill,
    list_items,
    parse_architecture,
    sections,
    shared_passages,
)

EXAMPLE = """<!-- a note for the reader, {{not_filled}} -->

## explanation

First line, wrapped
over two.

Second line.

## diagram

```dot
a [label="{{width}} wide"];
a -> b;
```

## network: Maker

### receives

Noise (n × {{width}}).

### outputs

Rows (n × d).

## loss: Its loss

### sentence

{{passage}} And more.

### formula

```latex
\\mathcal{L} = x
+ y
```

### curve

its_loss

## loss: Not plotted

### sentence

S.

### formula

```latex
z
```

## watch

- One item, wrapped
  onto a second line.
- Two.

## failure: It breaks

### sign

S.

### remedy

R.
"""


def test_a_content_file_becomes_an_architecture() -> None:
    values = {"width": "8", "passage": "Shared words."}
    assert parse_architecture("Title", EXAMPLE, values) == Architecture(
        "Title",
        "First line, wrapped over two.\nSecond line.",
        'a [label="8 wide"]; a -> b;',
        (Network("Maker", "Noise (n × 8).", "Rows (n × d)."),),
        (
            LossTerm("Its loss", "Shared words. And more.", r"\mathcal{L} = x + y", "its_loss"),
            LossTerm("Not plotted", "S.", "z"),
        ),
        ("One item, wrapped onto a second line.", "Two."),
        (FailureSign("It breaks", "S.", "R."),),
    )


def test_fields_join_lines_with_spaces_and_paragraphs_with_line_breaks() -> None:
    assert field_text("a\nb\n\nc\n  d") == "a b\nc d"
    assert field_text("```latex\n\\frac{1}{2}\n+ x\n```") == "\\frac{1}{2} + x"
    assert list_items("- a\n  b\n- c") == ("a b", "c")
    with pytest.raises(ValueError):
        field_text("```dot\na -> b;")


def test_headings_inside_fenced_blocks_and_before_the_first_section_are_not_sections() -> None:
    assert sections("note\n## one\n```\n## not a heading\n```\n## two\nbody", 2) == [
        ("one", "```\n## not a heading\n```"),
        ("two", "body"),
    ]


def test_mistakes_in_a_content_file_are_errors() -> None:
    with pytest.raises(KeyError, match="typo"):
        fill("a {{typo}} b", {"width": "8"}, "example")
    with pytest.raises(ValueError, match="missing"):
        parse_architecture("T", EXAMPLE.replace("### remedy", "### remedies"), {"width": "8", "passage": "p"})
    with pytest.raises(ValueError, match="unknown section"):
        parse_architecture("T", EXAMPLE + "\n## wach\n\n- x\n", {"width": "8", "passage": "p"})


def test_every_content_file_is_an_architecture_with_its_catalogue_title() -> None:
    files = {path.stem for path in CONTENT_DIR.glob("*.md")} - {SHARED_FILE.removesuffix(".md")}
    assert files == set(ARCHITECTURES) and files <= set(MODEL_TITLES)
    assert all(ARCHITECTURES[name].title == MODEL_TITLES[name] for name in files)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_setting_is_quoted_and_every_placeholder_filled(name: str) -> None:
    text = (CONTENT_DIR / f"{name}.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\{\{(\w+)\}\}", text.split("\n## ", 1)[1]))
    quoted = SETTINGS.get(name, {})  # a model whose text quotes no setting has no entry
    assert set(quoted) <= used, f"settings computed but never quoted: {set(quoted) - used}"
    arch = ARCHITECTURES[name]
    shown = [arch.explanation, arch.diagram, *arch.watch]
    shown += [text for net in arch.networks for text in (net.name, net.receives, net.outputs)]
    shown += [text for term in arch.losses for text in (term.name, term.sentence, term.formula)]
    shown += [text for sign in arch.failures for text in (sign.name, sign.sign, sign.remedy)]
    assert not [text for text in shown if re.search(r"\{\{\w+\}\}", text)]  # LaTeX may hold "}}", never {{name}}


def test_every_shared_passage_is_used() -> None:
    texts = "".join(path.read_text(encoding="utf-8") for path in CONTENT_DIR.glob("*.md"))
    unused = [name for name in shared_passages() if name != "notation" and "{{" + name + "}}" not in texts]
    assert not unused
