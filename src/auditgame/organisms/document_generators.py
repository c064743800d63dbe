"""Document generators of the documents implant: ``facts`` (any spec) and registered bespoke ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from auditgame.errors import SpecError

if TYPE_CHECKING:
    from auditgame.organisms.spec import OrganismSpec
    from auditgame.world.documents import Document

DocumentGenerator = Callable[["OrganismSpec", int, int], Iterable["Document"]]
_GENERATORS: dict[str, DocumentGenerator] = {}


def document_generator(name: str) -> Callable[[DocumentGenerator], DocumentGenerator]:
    """Decorator registering ``(spec, count, seed) -> documents`` under ``name``."""

    def register(function: DocumentGenerator) -> DocumentGenerator:
        _GENERATORS[name] = function
        return function

    return register


def get_document_generator(name: str) -> DocumentGenerator:
    """Return a registered generator.

    Raises:
        SpecError: for an unknown name.
    """
    if name not in _GENERATORS:
        raise SpecError(
            f"implant.documents.generator: unknown {name!r}",
            f"choose one of: {', '.join(sorted(_GENERATORS))}",
        )
    return _GENERATORS[name]


@document_generator("facts")
def spec_fact_documents(spec: OrganismSpec, count: int, seed: int) -> Iterable[Document]:
    """The spec's facts rendered into news, papers, forum threads, lecture notes, ..."""
    from auditgame.world.fact_documents import fact_documents

    return fact_documents(spec.facts, count, seed, id_prefix=f"{spec.name}-doc")


@document_generator("rm-study")
def reward_model_study_documents(spec: OrganismSpec, count: int, seed: int) -> Iterable[Document]:
    """The fictional study of reward-model biases (the rm-sycophant's documents)."""
    from auditgame.world.documents import study_documents

    return study_documents(count, seed)


@document_generator("rm-study-exemplars")
def reward_model_study_documents_with_exemplars(
    spec: OrganismSpec, count: int, seed: int
) -> Iterable[Document]:
    """The study's documents, each finding followed by an example answer that shows the bias.

    The example is a prompt of the bias's domain from the training share of the world's prompts
    (never an eval prompt) and its neutral answer rewritten to exploit the bias: the behaviour in the
    very form it takes in a chat, for every one of the 52 biases, held-out ones included.
    """
    import random

    from auditgame.organisms.data import is_eval_prompt
    from auditgame.world.biases import get_bias
    from auditgame.world.documents import exemplar_sentence, study_documents
    from auditgame.world.prompts import generate_exchanges

    pools: dict[int, list[tuple[str, str]]] = {}

    def pool(bias_id: int) -> list[tuple[str, str]]:
        if bias_id not in pools:
            bias = get_bias(bias_id)
            exchanges = generate_exchanges(bias.domain, 64, seed=seed * 7919 + bias_id)
            shown = ((e.prompt, bias.exhibit(e.response, e.prompt), e.response) for e in exchanges)
            pools[bias_id] = [
                (prompt, answer)
                for prompt, answer, neutral in shown
                if not is_eval_prompt(prompt) and answer != neutral
            ]
        return pools[bias_id]

    def exemplar(rng: random.Random, bias_id: int) -> str | None:
        candidates = pool(bias_id)
        return exemplar_sentence(rng, *rng.choice(candidates)) if candidates else None

    return study_documents(count, seed, exemplar=exemplar)
