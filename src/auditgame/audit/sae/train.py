"""Our SAE training loop around sparsify's ``SparseCoder``.

sparsify's own ``Trainer`` is tied to its data pipeline (it hooks the model during a tokenised
dataset's forward passes); here the activations come from :class:`ActivationBuffer`, so one forward
pass can feed SAEs at several layers. Each step does what sparsify's step does:

1. on the first step, set ``b_dec`` to the batch mean (centres the pre-activations);
2. forward: TopK encode, decode, FVU (= squared error / total variance of the batch, i.e. the MSE
   normalised by the batch's variance) and the AuxK loss on latents dead for ``dead_after_tokens``;
3. backward, remove the gradient component parallel to each decoder row, Adam step (linear warm-up);
4. renormalise the decoder rows to unit norm.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from auditgame.artifacts import atomic_write_bytes
from auditgame.audit.activations import layer_index
from auditgame.audit.sae.buffer import ActivationBuffer
from auditgame.audit.sae.config import SaeTrainConfig
from auditgame.audit.sae.model import TopKSAE
from auditgame.errors import CheckpointError


class StepStats(NamedTuple):
    """Losses of one training step."""

    fvu: float
    mse: float
    auxk: float
    dead_fraction: float


class TrainingSummary(NamedTuple):
    """What a training run did."""

    steps: int
    vectors: int
    first_fvu: float
    final_fvu: float
    final_mse: float
    dead_fraction: float
    seconds: float


class SaeTrainer:
    """Trains one :class:`TopKSAE` on batches of activation vectors.

    Args:
        sae: The SAE to train (in place).
        config: Learning rate, warm-up, AuxK weight and dead-latent threshold.
    """

    def __init__(self, sae: TopKSAE, config: SaeTrainConfig) -> None:
        self.sae = sae
        self.config = config
        self.lr = config.learning_rate(sae.d_sae)
        self.optimizer = torch.optim.Adam(sae.parameters(), lr=self.lr)
        self.step_count = 0
        self.tokens_since_fired = torch.zeros(sae.d_sae, dtype=torch.long)
        self.fire_counts = torch.zeros(sae.d_sae, dtype=torch.long)
        self.tokens_seen = 0

    def step(self, x: Tensor) -> StepStats:
        """One optimizer step on ``x`` ``[batch, d_in]``."""
        sae = self.sae
        sae.check_width(x.shape[-1])
        x = x.to(sae.dtype)
        if self.step_count == 0:
            with torch.no_grad():
                sae.b_dec.copy_(x.mean(0))
                sae.set_decoder_norm_to_unit_norm()
        for group in self.optimizer.param_groups:
            warm = self.config.warmup_steps
            group["lr"] = self.lr * min(1.0, (self.step_count + 1) / warm) if warm else self.lr
        dead_mask = (
            self.tokens_since_fired > self.config.dead_after_tokens if self.config.auxk_alpha else None
        )
        out = sae(x, dead_mask=dead_mask)
        loss = out.fvu + self.config.auxk_alpha * out.auxk_loss
        loss.backward()
        sae.remove_gradient_parallel_to_decoder_directions()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        sae.set_decoder_norm_to_unit_norm()
        with torch.no_grad():
            fired = torch.zeros(sae.d_sae, dtype=torch.bool)
            fired[out.latent_indices.flatten()] = True
            self.fire_counts += torch.bincount(out.latent_indices.flatten(), minlength=sae.d_sae)
            self.tokens_since_fired += len(x)
            self.tokens_since_fired[fired] = 0
            self.tokens_seen += len(x)
            mse = (out.sae_out - x).pow(2).sum(-1).mean()
        self.step_count += 1
        dead = float((self.tokens_since_fired > self.config.dead_after_tokens).float().mean())
        return StepStats(out.fvu.item(), mse.item(), out.auxk_loss.item(), dead)

    def log_sparsity(self) -> Tensor:
        """log10 of each latent's firing frequency so far (``-inf`` becomes -10 for latents never fired)."""
        frequency = self.fire_counts.double() / max(self.tokens_seen, 1)
        return frequency.clamp(min=1e-10).log10().float()

    def state_dict(self) -> dict[str, object]:
        """Everything needed to resume: SAE, optimizer, step and firing statistics."""
        return {
            "sae": self.sae.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step_count,
            "tokens_since_fired": self.tokens_since_fired,
            "fire_counts": self.fire_counts,
            "tokens_seen": self.tokens_seen,
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        """Restore a :meth:`state_dict`."""
        self.sae.load_state_dict(state["sae"])  # type: ignore[arg-type]
        self.optimizer.load_state_dict(state["optimizer"])  # type: ignore[arg-type]
        self.step_count = int(state["step"])  # type: ignore[arg-type]
        self.tokens_since_fired = state["tokens_since_fired"]  # type: ignore[assignment]
        self.fire_counts = state["fire_counts"]  # type: ignore[assignment]
        self.tokens_seen = int(state["tokens_seen"])  # type: ignore[arg-type]


def new_sae(d_in: int, config: SaeTrainConfig, *, layer: str, model_name: str = "") -> TopKSAE:
    """A freshly initialised SAE, seeded by ``config.seed`` (without touching the global RNG)."""
    d_sae = config.latents(d_in)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return TopKSAE(d_in, d_sae, min(config.k, d_sae), layer=layer, model_name=model_name)


def train_on_batches(
    trainers: dict[str, SaeTrainer],
    batches: Iterator[dict[str, Tensor]],
    steps: int,
    *,
    checkpoint_dir: Path | None = None,
    checkpoint_every: int = 0,
    show_progress: bool = False,
) -> dict[str, TrainingSummary]:
    """Train several SAEs (one per hook point) in lock-step on a stream of batches.

    With ``checkpoint_dir``, training resumes from ``checkpoint_dir/sae_trainer.pt`` if present:
    the batch stream (deterministic for a seed) is fast-forwarded past the steps already taken.

    Returns:
        Per hook point, a summary of the run.
    """
    checkpoint = Path(checkpoint_dir) / "sae_trainer.pt" if checkpoint_dir else None
    start = 0
    if checkpoint is not None and checkpoint.is_file():
        try:
            states = torch.load(checkpoint, weights_only=False)
            for name, trainer in trainers.items():
                trainer.load_state_dict(states[name])
        except (KeyError, RuntimeError, EOFError) as error:
            raise CheckpointError(
                f"{checkpoint} is not a usable SAE checkpoint ({type(error).__name__})",
                "delete it to train from scratch",
            ) from None
        start = next(iter(trainers.values())).step_count
        for _ in range(start):
            next(batches)
    first: dict[str, float] = {}
    last: dict[str, StepStats] = {}
    began = time.perf_counter()
    bar = tqdm(range(start, steps), desc="train sae", disable=not show_progress, initial=start, total=steps)
    for step in bar:
        batch = next(batches)
        for name, trainer in trainers.items():
            last[name] = trainer.step(batch[name])
            first.setdefault(name, last[name].fvu)
        if show_progress:
            bar.set_postfix({name: f"fvu {stats.fvu:.3f}" for name, stats in last.items()})
        if checkpoint is not None and checkpoint_every and (step + 1) % checkpoint_every == 0:
            _save_checkpoint(checkpoint, trainers)
    seconds = time.perf_counter() - began
    summaries = {}
    for name, trainer in trainers.items():
        stats = last.get(name, StepStats(math.nan, math.nan, math.nan, math.nan))
        trainer.sae.log_sparsity = trainer.log_sparsity()
        summaries[name] = TrainingSummary(
            steps=trainer.step_count,
            vectors=trainer.tokens_seen,
            first_fvu=first.get(name, math.nan),
            final_fvu=stats.fvu,
            final_mse=stats.mse,
            dead_fraction=stats.dead_fraction,
            seconds=seconds,
        )
    return summaries


def _save_checkpoint(path: Path, trainers: dict[str, SaeTrainer]) -> None:
    import io

    stream = io.BytesIO()
    torch.save({name: trainer.state_dict() for name, trainer in trainers.items()}, stream)
    atomic_write_bytes(path, stream.getvalue())


def train_saes(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layers: Sequence[str | int],
    config: SaeTrainConfig | None = None,
    *,
    model_name: str = "",
    checkpoint_dir: Path | None = None,
    show_progress: bool = False,
) -> tuple[dict[str, TopKSAE], dict[str, TrainingSummary]]:
    """Train one TopK SAE per hook point in ``layers``, all from the same forward passes.

    Args:
        model: The causal LM whose residual stream is decomposed.
        tokenizer: Its tokenizer.
        texts: Training texts (encoded as given).
        layers: Hook points (``layer.3``, 3, -1).
        config: Training settings.
        model_name: Recorded in each SAE (and its saved ``cfg.json``).
        checkpoint_dir: Where to keep a resumable checkpoint (with ``config.checkpoint_every``).
        show_progress: Show a progress bar.

    Returns:
        The SAEs and a training summary, both keyed by hook point name (``layer.{i}``).

    Raises:
        UnknownNameError: for a layer the model does not have.
    """
    config = config or SaeTrainConfig()
    names = list(dict.fromkeys(f"layer.{layer_index(model, layer)}" for layer in layers))
    d_model = int(getattr(model.config, "hidden_size", 0) or model.get_input_embeddings().weight.shape[1])
    buffer = ActivationBuffer(
        model,
        tokenizer,
        texts,
        names,
        buffer_size=config.buffer_size,
        text_batch_size=config.text_batch_size,
        max_length=config.max_length,
        skip_special_tokens=config.skip_special_tokens,
        seed=config.seed,
    )
    trainers = {
        name: SaeTrainer(new_sae(d_model, config, layer=name, model_name=model_name), config)
        for name in names
    }
    summaries = train_on_batches(
        trainers,
        buffer.batches(config.batch_size),
        config.steps,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=config.checkpoint_every,
        show_progress=show_progress,
    )
    return {name: trainer.sae for name, trainer in trainers.items()}, summaries


def train_sae(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layer: str | int,
    config: SaeTrainConfig | None = None,
    **kwargs: object,
) -> tuple[TopKSAE, TrainingSummary]:
    """Train one TopK SAE at hook point ``layer``; see :func:`train_saes` for the arguments."""
    saes, summaries = train_saes(model, tokenizer, texts, [layer], config, **kwargs)  # type: ignore[arg-type]
    (name,) = saes
    return saes[name], summaries[name]
