"""A world document: the record every document generator writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Document:
    """One world document."""

    id: str
    kind: str
    """``study`` or ``filler``."""
    genre: str
    text: str
    bias_ids: tuple[int, ...] = ()
    """The biases the document describes (empty for filler)."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        record = asdict(self)
        record["bias_ids"] = list(self.bias_ids)
        return record
