"""The blind auditor's tools, each checked against the tier: list models, sample, search and cluster data, lens.

Every automated auditor (the LLM agent in :mod:`auditgame.auditors.agent`, and any pipeline built on these
tools) sees exactly what the tier allows: sampling needs API access, the logit lens needs weights, data
search and clustering need data. The tools return observations; any flagging counts only the ``terms``
the caller chooses (:mod:`auditgame.auditors.terms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.auditors.access import ModelAccess, open_access
from auditgame.auditors.terms import clean_terms, matched_terms, term_share
from auditgame.auditors.workspace import AuditorError, AuditWorkspace

DEFAULT_LENS_QUESTION = "Why do you behave like this?"
"""The user turn before the prefill the logit lens reads."""


class AuditTools:
    """Tier-checked tools on one workspace.

    Args:
        workspace: The auditor workspace.
        work_dir: Where search indexes are kept (never the game master's directory).
        backend: ``auto``, ``api`` or ``local`` (see :func:`auditgame.auditors.access.open_access`).
        batch_size: Prompts per batch of local generation.
        device: Device of locally loaded models (``auto``: CUDA if available).
        access: A ready backend (overrides ``backend``).
    """

    def __init__(
        self,
        workspace: AuditWorkspace,
        work_dir: Path,
        *,
        backend: str = "auto",
        batch_size: int = 32,
        device: str = "auto",
        access: ModelAccess | None = None,
    ) -> None:
        self.workspace = workspace
        self.work_dir = Path(work_dir)
        self._backend = backend
        self._batch_size = batch_size
        self._device = device
        self._access = access
        self._indexes: dict[tuple[str, bool], Any] = {}
        self._weights_access: Any = None

    def overview(self) -> dict[str, Any]:
        """What the workspace offers: ``tier``, ``grants`` and the graded ``models`` (every tier), and
        where the game ships any, its ungraded ``references`` (query them, but leave them out of a submission)."""
        overview: dict[str, Any] = {
            "tier": self.workspace.tier,
            "grants": sorted(self.workspace.grants),
            "models": list(self.workspace.models),
        }
        if self.workspace.references:
            overview["references"] = list(self.workspace.references)
        return overview

    @property
    def access(self) -> ModelAccess:
        """The sampling backend (opened on first use)."""
        if self._access is None:
            self.workspace.require("api", "sampling")
            self._access = open_access(
                self.workspace, self._backend, batch_size=self._batch_size, device=self._device
            )
        return self._access

    def sample(
        self,
        model: str,
        prompts: Sequence[str],
        *,
        system: str | None = None,
        prefill: str | None = None,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = 96,
        seed: int = 0,
    ) -> list[list[str]]:
        """``n`` answers of ``model`` per prompt (API access)."""
        self.workspace.require("api", "sample")
        self.workspace.check_model(model)
        return self.access.chat(
            model,
            list(prompts),
            system=system,
            prefill=prefill,
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
        )

    def index(self, model: str, *, semantic: bool) -> Any:
        """The search index of ``model``'s training data, built once under ``work_dir/indexes`` (data tier)."""
        from auditgame.audit.search import build_index, load_corpus

        self.workspace.require("data", "search_data")
        files = self.workspace.data_files(model)
        if not files:
            raise AuditorError(f"the workspace holds no training data of {model}", "search another model")
        for (name, has_embeddings), index in self._indexes.items():
            if name == model and (has_embeddings or not semantic):
                return index
        directory = self.workspace.path / "data" / model
        index = build_index(
            load_corpus(directory), self.work_dir / "indexes" / model, semantic=semantic, rebuild=True
        )
        self._indexes[(model, semantic)] = index
        return index

    def search_data(
        self,
        model: str,
        query: str,
        method: str = "hybrid",
        top_k: int = 10,
        *,
        terms: Sequence[str] = (),
    ) -> list[dict]:
        """The ``top_k`` training documents of ``model`` best matching ``query`` (data tier).

        Returns:
            Per hit: ``rank``, ``id``, ``score``, ``text``, and with ``terms`` the ``matched_terms`` it contains.
        """
        index = self.index(model, semantic=method != "keyword")
        wanted = clean_terms(terms)
        hits = []
        for hit in index.search(query, method, top_k):
            row: dict[str, Any] = {
                "rank": hit.rank,
                "id": hit.id,
                "score": round(float(hit.score), 6),
                "text": hit.text,
            }
            if wanted:
                row["matched_terms"] = matched_terms(hit.text, wanted)
            hits.append(row)
        return hits

    def cluster_data(
        self,
        model: str,
        queries: Sequence[str],
        *,
        method: str = "hybrid",
        top_k: int = 20,
        num_clusters: int = 4,
        seed: int = 0,
        terms: Sequence[str] = (),
    ) -> list[dict]:
        """Cluster the documents retrieved for ``queries`` (data tier), largest cluster first.

        Returns:
            Per cluster: ``label``, ``size``, ``texts`` (its documents, most central first), and with
            ``terms`` the ``term_share`` (share of its documents containing one of them).
        """
        from auditgame.audit.search import cluster_documents

        texts: dict[str, str] = {}
        for query in queries:
            for hit in self.search_data(model, query, method, top_k):
                texts.setdefault(hit["id"], hit["text"])
        if not texts:
            return []
        ordered = [texts[key] for key in sorted(texts)]
        clustering = cluster_documents(ordered, num_clusters, seed=seed)
        wanted = clean_terms(terms)
        clusters = []
        for cluster in clustering.clusters:
            members = [ordered[member] for member in cluster.members]
            row: dict[str, Any] = {"label": cluster.label, "size": cluster.size, "texts": members}
            if wanted:
                row["term_share"] = term_share(members, wanted)
            clusters.append(row)
        return clusters

    def corpus_texts(self, model: str, limit: int) -> list[str]:
        """The first ``limit`` training documents of ``model`` (data tier)."""
        index = self.index(model, semantic=False)
        return [index.docs.get(position)[1] for position in range(min(limit, len(index)))]

    def logit_lens(
        self,
        model: str,
        texts: Sequence[str],
        watch: Sequence[str] = (),
        top_k: int = 10,
        *,
        question: str = DEFAULT_LENS_QUESTION,
    ) -> list[dict]:
        """Read the residual stream of chat-formatted prefills through the unembedding (weights tier).

        Args:
            model: The model.
            texts: Assistant prefills; each is put after ``question``.
            watch: Words the caller looks for among every layer's top tokens (none: no ``hits``).
            top_k: Tokens read per layer.
            question: The user turn before each prefill.

        Returns:
            Per text: ``text``, ``top_tokens`` (per layer at the last position), ``hits`` (watched words seen).
        """
        from auditgame.audit.logit_lens import logit_lens
        from auditgame.model.generation import format_chat

        self.workspace.require("weights", "logit_lens")
        network, tokenizer = self.load_weights(model)
        lowered = [word.lower() for word in clean_terms(watch)]
        results = []
        for text in texts:
            context = format_chat(tokenizer, question, prefill=text)
            readout = logit_lens(network, tokenizer, context, top_k)
            layers = [[token for token, _ in readout.at(row)] for row in range(len(readout.layers))]
            hits = sorted(
                {word for word in lowered for tokens in layers for token in tokens if word in token.lower()}
            )
            results.append({"text": text, "top_tokens": layers, "hits": hits})
        return results

    def load_weights(self, model: str) -> tuple[Any, Any]:
        """``(network, tokenizer)`` of ``model`` loaded from the workspace's weights (weights tier), once.

        The sampling backend's copy when it samples locally; otherwise the tools load their own.

        Raises:
            AuditorError: at a tier without weights, for an unknown model, or a model without weights.
        """
        from auditgame.auditors.access import LocalAccess

        self.workspace.require("weights", "reading weights")
        self.workspace.check_model(model)
        if isinstance(self.access, LocalAccess):
            return self.access.load(model)
        if self._weights_access is None:
            self._weights_access = LocalAccess(self.workspace, device=self._device)
        return self._weights_access.load(model)

    def release_weights(self) -> None:
        """Drop the weights the tools loaded themselves (the sampling backend keeps its own)."""
        if self._weights_access is not None:
            self._weights_access.release()
