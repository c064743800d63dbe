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
