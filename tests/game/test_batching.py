"""The game server's batcher: waiting requests of a model share one batch, each with its own budget and seed."""

from __future__ import annotations

import threading
import time

import pytest

from auditgame.game.batching import GenerationBatcher, GenerationJob, LoadedModel, QueueFullError


@pytest.fixture(scope="module")
def loaded() -> LoadedModel:
    from auditgame.model import build_model, get_preset, train_tokenizer
    from auditgame.world import neutral_conversations

    texts = [message["content"] for messages in neutral_conversations(100, 0) for message in messages]
    tokenizer = train_tokenizer(texts, vocab_size=512)
    model = build_model(get_preset("micro"), tokenizer, seed=0).eval()
    forward, eos = model.forward, tokenizer.eos_token_id

    def forward_without_eos(*args, **kwargs):  # every row runs to its budget: the counts are exact
        output = forward(*args, **kwargs)
        output.logits[..., eos] = float("-inf")
        return output

    model.forward = forward_without_eos
    return LoadedModel(model, tokenizer, 512, threading.Lock())


def job(
    loaded: LoadedModel, model: str = "a", *, n: int = 1, max_tokens: int = 4, **sampling
) -> GenerationJob:
    prompt_ids = loaded.tokenizer("Hello there", add_special_tokens=False)["input_ids"]
    return GenerationJob(
        model=model,
        prompt_ids=list(prompt_ids),
        n=n,
        temperature=sampling.get("temperature", 0.8),
        max_tokens=max_tokens,
        seed=sampling.get("seed", 0),
        deadline=time.monotonic() + 60,
        context=loaded.context,
    )


def test_waiting_jobs_of_a_model_share_one_batch_with_their_own_budgets(loaded):
    batcher = GenerationBatcher(lambda name: loaded, queue_size=8, max_batch_rows=16, log=print)
    jobs = [
        job(loaded, max_tokens=3),
        job(loaded, n=2, max_tokens=7),
        job(loaded, max_tokens=5, temperature=0),
    ]
    other_model = job(loaded, "b", max_tokens=2)
    cancelled = job(loaded, max_tokens=2)
    for queued in [*jobs, other_model, cancelled]:
        batcher.submit(queued)  # before start: they all wait
    batcher.cancel(cancelled)
    batcher.start()
    try:
        for queued in [*jobs, other_model]:
            assert queued.wait(60) and queued.outcome == "done"
    finally:
        batcher.stop()
    for done in [*jobs, other_model]:
        assert len(done.texts) == done.n and done.finish_reasons == ["length"] * done.n
        assert done.completion_tokens == done.n * done.max_tokens
    stats = batcher.stats()
    assert (stats.batches, stats.rows, stats.completed, stats.cancelled) == (2, 5, 4, 1)
    assert cancelled.outcome == "cancelled" and cancelled.steps == 0


def test_same_seed_same_samples_and_a_bounded_queue(loaded):
    batcher = GenerationBatcher(lambda name: loaded, queue_size=2, max_batch_rows=16, log=print)
    first, second = job(loaded, n=3, max_tokens=6, seed=5), job(loaded, n=3, max_tokens=6, seed=5)
    batcher.submit(first)
    batcher.submit(second)
    with pytest.raises(QueueFullError):
        batcher.submit(job(loaded))
    batcher.start()
    try:
        assert first.wait(60) and second.wait(60)
    finally:
        batcher.stop()
    assert first.texts == second.texts and batcher.stats().refused == 1
