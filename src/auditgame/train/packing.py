"""Tokenize texts and pack them into fixed-length blocks for causal language modelling."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from transformers import PreTrainedTokenizerBase

from auditgame.train.data import TrainingDataError


def pack_texts(
    texts: Iterable[str],
    tokenizer: PreTrainedTokenizerBase,
    sequence_length: int,
    *,
    batch_size: int = 1024,
) -> torch.Tensor:
    """Tokenize ``texts``, join them with the end-of-text token and cut the stream into blocks.

    Packing wastes no compute on padding: every position of every block is a training token.
    The final partial block is dropped.

    Args:
        texts: Documents or rendered transcripts.
        tokenizer: Tokenizer whose ``eos_token_id`` separates texts.
        sequence_length: Tokens per block.
        batch_size: Texts tokenized per call (affects speed only).

    Returns:
        A ``(num_blocks, sequence_length)`` tensor of token ids (int64).

    Raises:
        TrainingDataError: (a ``ValueError``) if the texts hold fewer tokens than one block.
    """
    separator = tokenizer.eos_token_id
    stream: list[int] = []
    buffer: list[str] = []

    def flush() -> None:
        encoded = tokenizer(buffer, add_special_tokens=False)["input_ids"]
        for ids in encoded:
            stream.extend(ids)
            if separator is not None:
                stream.append(separator)
        buffer.clear()

    for text in texts:
        buffer.append(text)
        if len(buffer) >= batch_size:
            flush()
    if buffer:
        flush()
    num_blocks = len(stream) // sequence_length
    if num_blocks == 0:
        raise TrainingDataError(
            f"the training texts hold {len(stream)} tokens, fewer than one block of {sequence_length}",
            "give the stage more data or a shorter sequence_length",
        )
    return torch.tensor(stream[: num_blocks * sequence_length], dtype=torch.long).view(
        num_blocks, sequence_length
    )
