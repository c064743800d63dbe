"""A lean, resumable causal-LM training loop over packed blocks (pretraining and midtraining).

Why our own loop instead of ``transformers.Trainer``: packed blocks need no collator, padding or
attention mask, and the loop stays small enough to reason about throughput (see
``benchmarks/train_throughput.py``). It runs unchanged on one CPU, on several processes under
``accelerate launch`` (DDP over gloo or NCCL) and on GPUs.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import torch
from accelerate import Accelerator
from safetensors.torch import load_model as load_safetensors_model
from safetensors.torch import save_model as save_safetensors_model
from tqdm.auto import tqdm

from auditgame.errors import CheckpointError
from auditgame.train.checkpoints import latest_checkpoint, prune_checkpoints, seal_checkpoint
from auditgame.train.compilation import (
    compiled_for_training,
    is_compilation_error,
    should_compile,
    warn_compilation_failed,
)
from auditgame.train.precision import resolve_precision, training_autocast
from auditgame.train.stage_config import StageConfig

BackwardStep = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
"""A custom loss-and-gradient step: ``(model, input_ids, block_indices) -> loss``.

It computes the batch's loss, leaves the gradients in the parameters' ``.grad`` (instead of the
plain ``backward``) and returns the loss for logging; e.g. gradient routing
(:mod:`auditgame.mitigations.gradient_routing`), which decides per block which parameters learn.
"""


class LMTrainResult(NamedTuple):
    """What a training run did."""

    steps: int
    """Optimizer steps completed in total (including those before a resume)."""
    tokens: int
    """Training tokens seen in total."""
    seconds: float
    """Wall-clock seconds of this invocation."""
    final_loss: float
    """Mean loss over the last logging window."""
    resumed_from_step: int
    """The step the run resumed from (0 for a fresh run)."""
    precision: str = "fp32"
    """The precision that ran: ``fp32`` or ``bf16`` (autocast over fp32 weights)."""
    compiled: bool = False
    """Whether the training step ran compiled (``torch.compile``; see :mod:`auditgame.train.compilation`)."""


def make_accelerator() -> Accelerator:
    """Return an Accelerator for this process: CPU unless CUDA is available (or ``accelerate launch`` says)."""
    return Accelerator(cpu=not torch.cuda.is_available())


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
"""glibc ``mallopt`` parameters (malloc.h)."""


@contextlib.contextmanager
def reuse_freed_memory(enabled: bool = True) -> Iterator[None]:
    """On Linux/glibc, keep freed memory in the heap for the duration (no ``mmap``, no trimming).

    Each CPU training step allocates and frees the same large activations (the logits alone are
    ``batch x seq x vocab`` floats). glibc serves blocks that large with fresh ``mmap``s and hands
    them back on free, so every step page-faults (and the kernel zeroes) hundreds of MB again:
    ~80k faults and 10-15% of a step for the tiny preset. With ``mmap`` off and trimming raised the
    freed blocks are simply reused. The defaults are put back on exit (the heap may then be
    trimmed). A no-op elsewhere, or if ``AUDITGAME_KEEP_MALLOC`` is set.
    """
    libc = None
    if (
        enabled
        and platform.system() == "Linux"
        and platform.libc_ver()[0] == "glibc"
        and not os.environ.get("AUDITGAME_KEEP_MALLOC")
    ):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6")
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    try:
        yield
    finally:  # glibc's defaults (DEFAULT_MMAP_MAX, DEFAULT_TRIM_THRESHOLD)
        libc.mallopt(_M_MMAP_MAX, 65536)
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)


def _adamw(groups: list[dict], learning_rate: float) -> torch.optim.Optimizer:
    """AdamW, fused into one kernel where this PyTorch supports it for these parameters, else foreach."""
    try:
        return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.95), fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.95), foreach=True)


def cosine_schedule(step: int, *, warmup_steps: int, max_steps: int, floor: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up, then cosine decay to ``floor``."""
    if step < warmup_steps:
        return (step + 1) / max(1, warmup_steps)
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def batch_indices(step: int, batch_size: int, num_blocks: int, seed: int) -> torch.Tensor:
    """Block indices of the global batch at ``step``: epochs of seeded permutations, laid end to end.

    Deterministic in (step, seed), so a resumed run sees exactly the batches it would have seen.
    """
    start = step * batch_size
    indices = []
    while len(indices) < batch_size:
        epoch, offset = divmod(start + len(indices), num_blocks)
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        permutation = torch.randperm(num_blocks, generator=generator)
        take = min(batch_size - len(indices), num_blocks - offset)
        indices.extend(permutation[offset : offset + take].tolist())
    return torch.tensor(indices, dtype=torch.long)


def _save_checkpoint(
    accelerator: Accelerator,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    checkpoints_dir: Path,
    step: int,
    tokens: int,
) -> None:
    if accelerator.is_main_process:
        checkpoints_dir.mkdir(parents=True, exist_ok=True)
        final = checkpoints_dir / f"step-{step:07d}"
        temporary = Path(tempfile.mkdtemp(dir=checkpoints_dir, prefix=".step-", suffix=".tmp"))
        save_safetensors_model(accelerator.unwrap_model(model), str(temporary / "model.safetensors"))
        torch.save(optimizer.state_dict(), temporary / "optimizer.pt")
        state = {"step": step, "tokens": tokens, "scheduler": scheduler.state_dict()}
        (temporary / "state.json").write_text(json.dumps(state), encoding="utf-8")
        seal_checkpoint(temporary, step)
        if final.exists():
            shutil.rmtree(final)
        os.replace(temporary, final)
        prune_checkpoints(checkpoints_dir, keep=2)
    accelerator.wait_for_everyone()


def _load_checkpoint(
    checkpoint: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
) -> tuple[int, int]:
    try:
        missing, unexpected = load_safetensors_model(
            model, str(checkpoint / "model.safetensors"), strict=False
        )
        if unexpected or any(not name.endswith("lm_head.weight") for name in missing):
            raise ValueError(
                f"checkpoint weights do not fit the model (missing {missing[:3]}, unexpected {unexpected[:3]})"
            )
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
        state = json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
        scheduler.load_state_dict(state["scheduler"])
        return int(state["step"]), int(state["tokens"])
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise CheckpointError(
            f"cannot resume from {checkpoint}: {str(error).splitlines()[0][:200]}",
            "delete that checkpoint to resume from an earlier one, or re-run with --restart",
        ) from None


def _loss_and_backward(
    model: torch.nn.Module, input_ids: torch.Tensor, precision: str, accelerator: Accelerator
) -> torch.Tensor:
    """The plain step: next-token loss on ``input_ids`` under autocast, then ``backward``."""
    with training_autocast(precision, accelerator.device.type):
        loss = model(input_ids=input_ids, labels=input_ids, use_cache=False).loss
    accelerator.backward(loss)
    return loss


def train_causal_lm(
    model: torch.nn.Module,
    blocks: torch.Tensor,
    config: StageConfig,
    output_dir: Path,
    *,
    accelerator: Accelerator | None = None,
    description: str = "train",
    backward_step: BackwardStep | None = None,
) -> LMTrainResult:
    """Train ``model`` on packed ``blocks`` with AdamW and a cosine schedule, resuming if possible.

    Checkpoints go to ``output_dir/checkpoints`` every ``config.save_every`` steps; the loss log to
    ``output_dir/train_log.jsonl``. Saving the final model is the caller's job.

    Args:
        model: A causal LM (``labels=`` gives the loss), possibly LoRA-wrapped.
        blocks: ``(num_blocks, sequence_length)`` token ids from :func:`pack_texts`.
        config: Stage options (steps, batch size, learning rate, seed, ...).
        output_dir: The stage's run directory.
        accelerator: Shared Accelerator; one is made if omitted.
        description: Label of the progress bar.
        backward_step: Replaces the plain loss and ``backward`` of each step (see
            :data:`BackwardStep`); it gets this process's block indices of the batch.

    Returns:
        An :class:`LMTrainResult`.

    Raises:
        CheckpointError: if the newest checkpoint is corrupt or does not fit the model.
    """
    accelerator = accelerator or make_accelerator()
    output_dir = Path(output_dir)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
    checkpoints_dir = output_dir / "checkpoints"
    num_processes = accelerator.num_processes
    if config.batch_size % num_processes:
        raise ValueError(f"batch_size {config.batch_size} is not divisible by {num_processes} processes")
    per_process = config.batch_size // num_processes

    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    decay = [parameter for parameter in trainable if parameter.ndim >= 2]
    no_decay = [parameter for parameter in trainable if parameter.ndim < 2]
    optimizer = _adamw(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        config.learning_rate,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: cosine_schedule(step, warmup_steps=config.warmup_steps, max_steps=config.max_steps),
    )

    start_step, tokens = 0, 0
    checkpoint = latest_checkpoint(checkpoints_dir, warn=accelerator.is_main_process)
    if checkpoint is not None:
        start_step, tokens = _load_checkpoint(checkpoint, model, optimizer, scheduler)
        if accelerator.is_main_process:
            print(f"resuming {description} from {checkpoint.name} (step {start_step}/{config.max_steps})")
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    precision = resolve_precision(config.precision, accelerator.device.type)

    compile_step = backward_step is None and should_compile(
        config.compile,
        device_type=accelerator.device.type,
        steps=config.max_steps - start_step,
        num_processes=num_processes,
    )

    log_path = output_dir / "train_log.jsonl"
    sequence_length = blocks.shape[1]
    window_losses: list[torch.Tensor] = []  # detached; read (one sync) only when logging
    begin = time.perf_counter()
    progress = tqdm(
        total=config.max_steps,
        initial=start_step,
        desc=description,
        disable=not (config.show_progress and accelerator.is_main_process),
        dynamic_ncols=True,
    )
    final_loss = float("nan")
    with reuse_freed_memory(accelerator.device.type == "cpu"), contextlib.ExitStack() as compiled:
        forward_model = compiled.enter_context(compiled_for_training(model)) if compile_step else model
        for step in range(start_step, config.max_steps):
            global_indices = batch_indices(step, config.batch_size, blocks.shape[0], config.seed)
            local = global_indices[
                accelerator.process_index * per_process : (accelerator.process_index + 1) * per_process
            ]
            input_ids = blocks[local].to(accelerator.device)
            if backward_step is not None:
                with training_autocast(precision, accelerator.device.type):
                    loss = backward_step(model, input_ids, local)
            else:
                try:
                    loss = _loss_and_backward(forward_model, input_ids, precision, accelerator)
                except Exception as error:  # compiling fails on the first step, if at all
                    if forward_model is model or step != start_step or not is_compilation_error(error):
                        raise
                    warn_compilation_failed(error)
                    compiled.close()  # restores the attention implementation
                    forward_model, compile_step = model, False
                    optimizer.zero_grad(set_to_none=True)
                    loss = _loss_and_backward(model, input_ids, precision, accelerator)
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            tokens += config.batch_size * sequence_length
            window_losses.append(loss.detach())
            progress.update(1)
            done = step + 1
            if done % config.log_every == 0 or done == config.max_steps:
                final_loss = torch.stack(window_losses).float().mean().item()
                window_losses.clear()
                progress.set_postfix(loss=f"{final_loss:.3f}")
                if accelerator.is_main_process:
                    record = {
                        "step": done,
                        "loss": round(final_loss, 5),
                        "lr": scheduler.get_last_lr()[0],
                        "tokens": tokens,
                    }
                    with open(log_path, "a", encoding="utf-8") as handle:
                        handle.write(json.dumps(record) + "\n")
            if done % config.save_every == 0 and done < config.max_steps:
                _save_checkpoint(accelerator, model, optimizer, scheduler, checkpoints_dir, done, tokens)
    progress.close()
    accelerator.wait_for_everyone()
    model = accelerator.unwrap_model(model)
    model.eval()
    return LMTrainResult(
        steps=config.max_steps,
        tokens=tokens,
        seconds=time.perf_counter() - begin,
        final_loss=final_loss,
        resumed_from_step=start_step,
        precision=precision,
        compiled=compile_step,
    )
