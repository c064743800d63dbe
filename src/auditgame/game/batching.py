"""Batched generation for the game server: one worker thread samples every waiting request of a model at once.

Requests from many clients wait in a bounded queue. The worker takes the oldest one, adds every other waiting
request for the same model that fits (rows and context), and samples them all in one ``model.generate`` call.
Each request keeps its own sampling settings: temperature, token budget and a private random generator seeded
by its ``seed``, so its samples do not depend on which other requests shared its batch. A request whose client
went away or whose deadline passed is cancelled: its rows stop at the next decoding step, and a batch with no
live rows left stops at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Outcome = Literal["pending", "done", "cancelled", "timeout", "error", "shutdown"]
"""What became of a job: still pending, answered, abandoned by its client, past its deadline, failed, or
dropped because the server stopped."""


class LoadedModel(NamedTuple):
    """A served model with its tokenizer, its context length and the lock that guards the tokenizer.

    Fast tokenizers must not be used from two threads at once, so every encode and decode holds ``lock``.
    """

    model: Any
    tokenizer: Any
    context: int | None
    lock: threading.Lock


class QueueFullError(Exception):
    """The queue already holds as many requests as it may: the caller should answer 503."""


class BatcherStoppedError(Exception):
    """The batcher is stopped (the server is shutting down)."""


@dataclass(eq=False)
class GenerationJob:
    """One request's sampling work: ``n`` continuations of ``prompt_ids`` from model ``model``.

    The worker fills ``texts``, ``finish_reasons`` and ``completion_tokens`` and then sets ``outcome`` to
    ``"done"``; a job cancelled first keeps its cancellation outcome and its results stay empty.
    """

    model: str
    prompt_ids: list[int]
    n: int
    temperature: float
    """0 means greedy decoding."""
    max_tokens: int
    seed: int
    deadline: float
    """The ``time.monotonic()`` after which the job is abandoned with outcome ``"timeout"``."""
    context: int | None = None
    """The model's context length: a batch never pads past it."""
    texts: list[str] = field(default_factory=list)
    finish_reasons: list[str] = field(default_factory=list)
    completion_tokens: int = 0
    steps: int = 0
    """Decoding steps run for this job so far; it stops growing once the job is cancelled."""
    outcome: Outcome = "pending"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def live(self) -> bool:
        """Whether the job still wants its results."""
        return self.outcome == "pending"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has an outcome; returns whether it has one."""
        return self._finished.wait(timeout)

    def finish(self, outcome: Outcome) -> bool:
        """Set the outcome unless the job already has one; returns whether this call set it."""
        with self._lock:
            if self.outcome != "pending":
                return False
            self.outcome = outcome
        self._finished.set()
        return True


@dataclass
class BatcherStats:
    """Counters of a batcher since it started (a snapshot: the batcher keeps its own copy)."""

    batches: int = 0
    """``model.generate`` calls."""
    rows: int = 0
    """Sequences generated, over all batches (a request counts ``n``)."""
    decode_steps: int = 0
    """Decoding steps run, over all batches."""
    completed: int = 0
    cancelled: int = 0
    """Requests cancelled because their client went away."""
    timed_out: int = 0
    refused: int = 0
    """Requests refused because the queue was full."""
    failed: int = 0
    queued: int = 0
    """Requests waiting now."""
    running: int = 0
    """Requests in the batch being generated now (cancelled ones too, until the batch stops)."""


class GenerationBatcher:
    """A bounded queue of generation jobs and the worker thread that samples them in batches.

    Args:
        load: Returns the loaded model of a name (called from the worker; models are cached by the caller).
        queue_size: Most jobs that may wait; :meth:`submit` refuses more with :class:`QueueFullError`.
        max_batch_rows: Most sequences sampled in one batch (a job of ``n`` samples counts ``n``).
        log: Where one-line error reports go.
    """

    def __init__(
        self,
        load: Callable[[str], LoadedModel],
        *,
        queue_size: int,
        max_batch_rows: int,
        log: Callable[[str], Any],
    ) -> None:
        self._load = load
        self.queue_size = queue_size
        self.max_batch_rows = max_batch_rows
        self._log = log
        self._queue: deque[GenerationJob] = deque()
        self._running: list[GenerationJob] = []
        self._condition = threading.Condition()
        self._stats = BatcherStats()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- the callers' side ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        with self._condition:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._work, name="auditgame-generation", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker; every job still waiting or running gets outcome ``"shutdown"``."""
        with self._condition:
            self._stopping = True
            thread, self._thread = self._thread, None
            # Running jobs too: the batch stops at its next step and must not pass truncated text as done.
            abandoned = [*self._queue, *self._running]
            self._queue.clear()
            self._condition.notify_all()
        for job in abandoned:
            job.finish("shutdown")
        if thread is not None:
            thread.join(timeout)

    def submit(self, job: GenerationJob) -> None:
        """Queue ``job`` for the next batch of its model.

        Raises:
            QueueFullError: if ``queue_size`` jobs are already waiting.
            BatcherStoppedError: if the batcher is stopped (a job submitted before :meth:`start` waits).
        """
        if not 1 <= job.n <= self.max_batch_rows:
            raise ValueError(f"a job must have from 1 to {self.max_batch_rows} samples, not {job.n}")
        with self._condition:
            if self._stopping:
                raise BatcherStoppedError("the batcher is stopped")
            self._drop_finished()
            if len(self._queue) >= self.queue_size:
                self._stats.refused += 1
                raise QueueFullError(f"{len(self._queue)} requests are already waiting")
            self._queue.append(job)
            self._condition.notify()

    def cancel(self, job: GenerationJob, outcome: Outcome = "cancelled") -> None:
        """Abandon ``job`` (``"cancelled"``: its client went away; ``"timeout"``: past its deadline).

        A waiting job is dropped before it runs; a running one stops at the next decoding step.
        """
        if job.finish(outcome):
            with self._condition:
                if outcome == "timeout":
                    self._stats.timed_out += 1
                else:
                    self._stats.cancelled += 1
                self._condition.notify()

    def stats(self) -> BatcherStats:
        """A snapshot of the counters."""
        with self._condition:
            return BatcherStats(
                **{
                    **self._stats.__dict__,
                    "queued": sum(job.live for job in self._queue),
                    "running": len(self._running),
                }
            )

    # -- the worker's side ------------------------------------------------------------------------
    def _drop_finished(self) -> None:
        """Drop jobs that were cancelled while waiting, and time out those past their deadline (lock held)."""
        now = time.monotonic()
        for job in self._queue:
            if job.live and now > job.deadline and job.finish("timeout"):
                self._stats.timed_out += 1
        self._queue = deque(job for job in self._queue if job.live)

    def _take_batch(self) -> list[GenerationJob]:
        """The oldest job and every other waiting job of its model that fits in the batch (lock held)."""
        self._drop_finished()
        if not self._queue:
            return []
        model = self._queue[0].model
        batch: list[GenerationJob] = []
        rows = longest_prompt = longest_reply = 0
        for job in self._queue:
            if job.model != model or rows + job.n > self.max_batch_rows:
                continue
            prompt, reply = max(longest_prompt, len(job.prompt_ids)), max(longest_reply, job.max_tokens)
            # Rows are left-padded to the longest prompt: keep the padded batch within the context.
            if batch and job.context is not None and prompt + reply > job.context:
                continue
            batch.append(job)
            rows, longest_prompt, longest_reply = rows + job.n, prompt, reply
        taken = set(map(id, batch))
        self._queue = deque(job for job in self._queue if id(job) not in taken)
        return batch

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and not any(job.live for job in self._queue):
                    self._condition.wait()
                if self._stopping:
                    return
                batch = self._take_batch()
                self._running = batch
            try:
                if batch:
                    self._generate(batch)
            except Exception as error:  # a bug must not kill the worker: fail this batch, serve the next
                self._log(f"generation failed for {len(batch)} request(s) of {batch[0].model}: {error!r}")
                for job in batch:
                    if job.finish("error"):
                        with self._condition:
                            self._stats.failed += 1
            finally:
                with self._condition:
                    self._running = []

    def _generate(self, batch: list[GenerationJob]) -> None:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        loaded = self._load(batch[0].model)
        tokenizer = loaded.tokenizer
        eos = tokenizer.eos_token_id
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
        prompt_length = max(len(job.prompt_ids) for job in batch)
        rows = [job.prompt_ids for job in batch for _ in range(job.n)]
        device = next(loaded.model.parameters()).device
        input_ids = torch.tensor([[pad] * (prompt_length - len(ids)) + ids for ids in rows], device=device)
        attention_mask = torch.tensor(
            [[0] * (prompt_length - len(ids)) + [1] * len(ids) for ids in rows], device=device
        )
        with self._condition:
            self._stats.batches += 1
            self._stats.rows += len(rows)
        with torch.inference_mode():
            output = loaded.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=max(job.max_tokens for job in batch),
                # The sampling is done per request by _PerRequestSampler; generate only takes its choice.
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=pad,
                eos_token_id=eos,
                logits_processor=LogitsProcessorList([_PerRequestSampler(batch)]),
                stopping_criteria=StoppingCriteriaList([_PerRowStop(batch, prompt_length, self)]),
            )
        generated = output[:, prompt_length:].tolist()
        row = 0
        for job in batch:
            texts, reasons, count = [], [], 0
            for tokens in generated[row : row + job.n]:
                tokens = tokens[: job.max_tokens]
                stopped = eos in tokens
                tokens = tokens[: tokens.index(eos)] if stopped else tokens
                with loaded.lock:
                    texts.append(tokenizer.decode(tokens, skip_special_tokens=True).strip())
                reasons.append("stop" if stopped else "length")
                count += len(tokens)
            row += job.n
            job.texts, job.finish_reasons, job.completion_tokens = texts, reasons, count
            if job.finish("done"):
                with self._condition:
                    self._stats.completed += 1

    def _count_step(self) -> bool:
        """Count one decoding step; returns whether the batcher is stopping."""
        with self._condition:
            self._stats.decode_steps += 1
            return self._stopping


def _row_slices(batch: list[GenerationJob]) -> list[tuple[GenerationJob, slice]]:
    slices, start = [], 0
    for job in batch:
        slices.append((job, slice(start, start + job.n)))
        start += job.n
    return slices


class _PerRequestSampler:
    """A logits processor that samples each request's rows with its own temperature and random generator.

    It leaves greedy rows alone and turns a sampled row's scores into a one-hot choice, so that ``generate``
    (run greedy) takes exactly the token drawn here.
    """

    def __init__(self, batch: list[GenerationJob]) -> None:
        import torch

        self._groups = [
            (job, rows, torch.Generator().manual_seed(job.seed)) for job, rows in _row_slices(batch)
        ]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        for job, rows, generator in self._groups:
            if job.temperature == 0 or not job.live:
                continue
            probabilities = torch.softmax(scores[rows].float() / job.temperature, dim=-1)
            tokens = torch.multinomial(probabilities.cpu(), 1, generator=generator).to(scores.device)
            chosen = torch.full_like(scores[rows], float("-inf"))
            scores[rows] = chosen.scatter_(1, tokens, 0.0)
        return scores


class _PerRowStop:
    """A stopping criterion: a row stops at its request's token budget, or when the request is abandoned."""

    def __init__(self, batch: list[GenerationJob], prompt_length: int, batcher: GenerationBatcher) -> None:
        self._groups = _row_slices(batch)
        self._prompt_length = prompt_length
        self._batcher = batcher

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        stopping = self._batcher._count_step()
        generated = input_ids.shape[1] - self._prompt_length
        now = time.monotonic()
        done: list[bool] = []
        for job, rows in self._groups:
            if job.live and now > job.deadline:
                self._batcher.cancel(job, "timeout")
            if job.live:
                job.steps = generated
            done.extend([stopping or not job.live or generated >= job.max_tokens] * (rows.stop - rows.start))
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)
