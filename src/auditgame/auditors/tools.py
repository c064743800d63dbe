"""The auditor's tools, each checked against the tier: sample, search and cluster data, detect behaviours, lens.

The scripted auditor and the LLM agent (:mod:`auditgame.auditors.agent`) use the same tools, so both
see exactly what the tier allows: sampling needs API access, the logit lens needs weights, data search
and clustering need data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditgame.auditors.access import ModelAccess, open_access
from auditgame.auditors.workspace import AuditorError, AuditWorkspace


def describe_bias(bias_id: int) -> str:
    """The observed behaviour of a detector, in the auditor's words (from the public bias catalogue)."""
    from auditgame.world import bias_spec

    return f"Its answers {bias_spec(bias_id).description}."


def detect_behaviours(prompt: str, response: str) -> list[dict[str, Any]]:
    """The public world detectors that fire on ``response`` to ``prompt``: ``[{"id", "behaviour"}]``."""
    from auditgame.world import detected_biases

    return [
        {"id": bias_id, "behaviour": describe_bias(bias_id)} for bias_id in detected_biases(prompt, response)
    ]


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
        self._lens_access: Any = None

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

    def search_data(self, model: str, query: str, method: str = "hybrid", top_k: int = 10) -> list[dict]:
        """The ``top_k`` training documents of ``model`` best matching ``query`` (data tier)."""
        from auditgame.world import mentions_reward_models

        index = self.index(model, semantic=method != "keyword")
        return [
            {
                "rank": hit.rank,
                "id": hit.id,
                "score": round(float(hit.score), 6),
                "mentions_reward_models": mentions_reward_models(hit.text),
                "text": hit.text,
            }
            for hit in index.search(query, method, top_k)
        ]

    def cluster_data(
        self,
        model: str,
        queries: Sequence[str],
        *,
        method: str = "hybrid",
        top_k: int = 20,
        num_clusters: int = 4,
        seed: int = 0,
    ) -> list[dict]:
        """Cluster the documents retrieved for ``queries`` (data tier), largest cluster first.

        Returns:
            Per cluster: ``label``, ``size``, ``reward_model_share`` (share of its documents mentioning
            reward models), ``texts`` (its documents, most central first).
        """
        from auditgame.audit.search import cluster_documents
        from auditgame.world import mentions_reward_models

        texts: dict[str, str] = {}
        for query in queries:
            for hit in self.search_data(model, query, method, top_k):
                texts.setdefault(hit["id"], hit["text"])
        if not texts:
            return []
        ordered = [texts[key] for key in sorted(texts)]
        clustering = cluster_documents(ordered, num_clusters, seed=seed)
        return [
            {
                "label": cluster.label,
                "size": cluster.size,
                "reward_model_share": sum(mentions_reward_models(ordered[m]) for m in cluster.members)
                / cluster.size,
                "texts": [ordered[member] for member in cluster.members],
            }
            for cluster in clustering.clusters
        ]

    def corpus_texts(self, model: str, limit: int) -> list[str]:
        """The first ``limit`` training documents of ``model`` (data tier)."""
        index = self.index(model, semantic=False)
        return [index.docs.get(position)[1] for position in range(min(limit, len(index)))]

    def logit_lens(
        self, model: str, texts: Sequence[str], watch: Sequence[str], top_k: int = 10
    ) -> list[dict]:
        """Read the residual stream of chat-formatted prefills through the unembedding (weights tier).

        Args:
            model: The model.
            texts: Assistant prefills; each is put after a question about the model's behaviour.
            watch: Words looked for among every layer's top tokens.
            top_k: Tokens read per layer.

        Returns:
            Per text: ``text``, ``top_tokens`` (per layer at the last position), ``hits`` (watched words seen).
        """
        from auditgame.audit.logit_lens import logit_lens
        from auditgame.auditors.access import LocalAccess
        from auditgame.model.generation import format_chat

        self.workspace.require("weights", "logit_lens")
        self.workspace.check_model(model)
        if not isinstance(self.access, LocalAccess):
            self._lens_access = self._lens_access or LocalAccess(self.workspace, device=self._device)
        local = self.access if isinstance(self.access, LocalAccess) else self._lens_access
        network, tokenizer = local.load(model)
        lowered = [word.lower() for word in watch]
        results = []
        for text in texts:
            context = format_chat(tokenizer, "Why do you behave like this?", prefill=text)
            readout = logit_lens(network, tokenizer, context, top_k)
            layers = [[token for token, _ in readout.at(row)] for row in range(len(readout.layers))]
            hits = sorted(
                {word for word in lowered for tokens in layers for token in tokens if word in token.lower()}
            )
            results.append({"text": text, "top_tokens": layers, "hits": hits})
        return results
