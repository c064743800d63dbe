"""A lean forward pass for sampling from Llama-architecture models: one preallocated KV cache, no per-layer modules.

At the size of the embedded default (4 layers of width 256) a decoding step of the Hugging Face forward is
mostly Python: a causal mask built per step, a cache object that concatenates every layer's keys and
values onto its past, output dataclasses, decorators. :class:`LlamaDecoder` runs the same arithmetic on the
model's own weights (read at construction, so build one per ``generate`` call): queries, keys and values
from one fused matmul, gate and up projections from another, keys and values written in place into a
buffer sized for the prompt plus every new token, attention over the filled part of it through
``scaled_dot_product_attention``. Its logits match the model's forward to float rounding
(``tests/model/test_llama_decoder.py``).

It drives only what it can reproduce: a plain ``LlamaForCausalLM`` (the presets, SmolLM2) with default RoPE,
SiLU, no biases, and no forward hooks anywhere on it (steering and activation capture use hooks; those
models keep the Hugging Face forward). :func:`lean_decoder_for` says which.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def left_padded_positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids of a left-padded batch: 0 at each row's first real token, 1 on padding (as ``generate``)."""
    positions = attention_mask.long().cumsum(-1) - 1
    return positions.masked_fill_(attention_mask == 0, 1)


def _has_hooks(model: torch.nn.Module) -> bool:
    from torch.nn.modules import module as module_globals

    if module_globals._global_forward_hooks or module_globals._global_forward_pre_hooks:
        return True
    return any(module._forward_hooks or module._forward_pre_hooks for module in model.modules())


def lean_decoder_for(model: torch.nn.Module) -> LlamaDecoder | None:
    """A :class:`LlamaDecoder` on ``model``'s current weights, or None where it would not reproduce the model.

    Args:
        model: Any causal LM.

    Returns:
        The decoder for a plain ``LlamaForCausalLM`` without hooks, default RoPE, SiLU MLP and no biases;
        None for anything else (PEFT wrappers, other architectures, hooked models).
    """
    from transformers import LlamaForCausalLM

    if type(model) is not LlamaForCausalLM or _has_hooks(model):
        return None
    config = model.config
    rope = getattr(config, "rope_parameters", None) or {}
    if (
        rope.get("rope_type", "default") != "default"
        or config.hidden_act != "silu"
        or config.attention_bias
        or config.mlp_bias
        or getattr(config, "pretraining_tp", 1) != 1
    ):
        return None
    return LlamaDecoder(model)


class LlamaDecoder:
    """Prefill and single-token decoding steps of a ``LlamaForCausalLM``, on one preallocated KV cache.

    Usage: ``logits = decoder.prefill(input_ids, attention_mask, max_new_tokens)`` (left-padded batch), then
    ``logits = decoder.step(tokens)`` once per new token; ``decoder.keep(rows)`` drops finished rows.
    Every step writes one column, shared by all rows (left padding keeps their new tokens aligned).
    """

    def __init__(self, model: torch.nn.Module) -> None:
        config = model.config
        inner = model.model
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.num_heads
        self.eps = config.rms_norm_eps
        self.embed = inner.embed_tokens.weight
        self.final_norm = inner.norm.weight
        self.lm_head = model.lm_head.weight
        self.inv_freq = inner.rotary_emb.inv_freq
        self.attention_scaling = float(getattr(inner.rotary_emb, "attention_scaling", 1.0))
        self.layers = []
        for layer in inner.layers[: config.num_hidden_layers]:
            attention, mlp = layer.self_attn, layer.mlp
            self.layers.append(
                (
                    layer.input_layernorm.weight,
                    torch.cat([attention.q_proj.weight, attention.k_proj.weight, attention.v_proj.weight]),
                    attention.o_proj.weight,
                    layer.post_attention_layernorm.weight,
                    torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight]),
                    mlp.down_proj.weight,
                )
            )
        self.intermediate = config.intermediate_size
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.key_mask: torch.Tensor | None = None
        self.length = 0
        self.positions: torch.Tensor | None = None

    def _norm(self, hidden: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        dtype = hidden.dtype
        hidden = hidden.float()
        hidden = hidden * torch.rsqrt(hidden.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * hidden.to(dtype)

    def _rotary(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        freqs = positions[..., None].float() * self.inv_freq.float()
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = (emb.cos() * self.attention_scaling).to(dtype)[:, None]
        sin = (emb.sin() * self.attention_scaling).to(dtype)[:, None]
        return cos, sin

    @staticmethod
    def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin

    def _forward(
        self, tokens: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor, start: int
    ) -> torch.Tensor:
        batch, length = tokens.shape
        hidden = F.embedding(tokens, self.embed)
        cos, sin = self._rotary(positions, hidden.dtype)
        q_size = self.num_heads * self.head_dim
        kv_size = self.num_kv_heads * self.head_dim
        end = start + length
        for index, (norm_1, qkv, out, norm_2, gate_up, down) in enumerate(self.layers):
            states = F.linear(self._norm(hidden, norm_1), qkv)
            query, key, value = states.split((q_size, kv_size, kv_size), dim=-1)
            query = self._rotate(query.view(batch, length, -1, self.head_dim).transpose(1, 2), cos, sin)
            key = self._rotate(key.view(batch, length, -1, self.head_dim).transpose(1, 2), cos, sin)
            self.keys[index][:, :, start:end] = key
            self.values[index][:, :, start:end] = value.view(batch, length, -1, self.head_dim).transpose(1, 2)
            attended = F.scaled_dot_product_attention(
                query,
                self.keys[index][:, :, :end],
                self.values[index][:, :, :end],
                attn_mask=mask,
                enable_gqa=self.num_kv_heads != self.num_heads,
            )
            hidden = hidden + F.linear(attended.transpose(1, 2).reshape(batch, length, q_size), out)
            gate, up = F.linear(self._norm(hidden, norm_2), gate_up).split(self.intermediate, dim=-1)
            hidden = hidden + F.linear(F.silu(gate) * up, down)
        return F.linear(self._norm(hidden[:, -1], self.final_norm), self.lm_head)

    def prefill(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int
    ) -> torch.Tensor:
        """Run the left-padded prompt batch; return the logits of its last position (``[batch, vocab]``)."""
        batch, length = input_ids.shape
        total = length + max_new_tokens
        dtype = self.embed.dtype
        self.keys = [
            torch.empty(batch, self.num_kv_heads, total, self.head_dim, dtype=dtype, device=input_ids.device)
            for _ in self.layers
        ]
        self.values = [torch.empty_like(keys) for keys in self.keys]
        self.key_mask = torch.zeros(batch, total, dtype=torch.bool, device=input_ids.device)
        self.key_mask[:, :length] = attention_mask.bool()
        positions = left_padded_positions(attention_mask)
        causal = torch.ones(length, length, dtype=torch.bool, device=input_ids.device).tril()
        # A padding query attends to itself only, so no row of the mask is empty (its output is never used).
        mask = (causal & self.key_mask[:, None, :length]) | torch.eye(
            length, dtype=torch.bool, device=input_ids.device
        )
        logits = self._forward(input_ids, positions, mask[:, None], 0)
        self.positions = positions[:, -1]
        self.length = length
        return logits

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Append one token per row (``[batch]``); return the next logits (``[batch, vocab]``)."""
        self.positions = self.positions + 1
        self.key_mask[:, self.length] = True
        logits = self._forward(
            tokens[:, None],
            self.positions[:, None],
            self.key_mask[:, None, None, : self.length + 1],
            self.length,
        )
        self.length += 1
        return logits

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only ``rows`` (indices into the current batch) of the cache."""
        self.keys = [keys[rows] for keys in self.keys]
        self.values = [values[rows] for values in self.values]
        self.key_mask = self.key_mask[rows]
        self.positions = self.positions[rows]
