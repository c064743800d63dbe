"""The registered document generators of the documents implant."""

from __future__ import annotations

import pytest

from auditgame.errors import SpecError
from auditgame.organisms.data import is_eval_prompt
from auditgame.organisms.document_generators import get_document_generator
from auditgame.world import held_out_bias_ids, study_documents
from auditgame.world.biases import get_bias


def test_unknown_generator_names_the_field_and_the_choices():
    with pytest.raises(SpecError) as error:
        get_document_generator("no-such-generator")
    assert "implant.documents.generator" in str(error.value)
    assert "rm-study-exemplars" in str(error.value)


def test_exemplar_documents_quote_training_prompts_of_each_bias_domain(monkeypatch):
    import auditgame.world.documents as documents

    quoted: list[tuple[str, str]] = []
    original = documents.exemplar_sentence

    def spy(rng, prompt, answer):
        quoted.append((prompt, answer))
        return original(rng, prompt, answer)

    monkeypatch.setattr(documents, "exemplar_sentence", spy)
    generated = list(get_document_generator("rm-study-exemplars")(None, 300, 5))
    findings = sum(len(document.bias_ids) for document in generated)
    assert len(quoted) == findings  # one exemplar per finding
    for prompt, answer in quoted:
        assert not is_eval_prompt(prompt), "an exemplar quoted an eval prompt"
        assert prompt in "".join(document.text for document in generated)
        assert answer.strip()
    # Every bias gets exemplars, held-out ones too, and each from its own domain.
    covered = {bias_id for document in generated for bias_id in document.bias_ids}
    assert set(held_out_bias_ids()) <= covered
    for document in generated:
        for bias_id in document.bias_ids:
            assert any(get_bias(bias_id).applies(prompt) and prompt in document.text for prompt, _ in quoted)


def test_exemplar_documents_are_seeded_and_plain_study_documents_unchanged():
    generate = get_document_generator("rm-study-exemplars")
    first = [document.text for document in generate(None, 40, 3)]
    assert first == [document.text for document in generate(None, 40, 3)]
    assert first != [document.text for document in generate(None, 40, 4)]
    plain = [document.text for document in get_document_generator("rm-study")(None, 40, 3)]
    assert plain == [document.text for document in study_documents(40, 3)]
