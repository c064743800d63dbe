"""The ``auditgame`` model provider for inspect_ai: ``--model auditgame/<organism or model directory>``.

``inspect eval TASK --model auditgame/runs/rm1`` serves the organism's final model (or any local Hugging
Face causal LM directory) offline, through auditgame's own loading and sampling
(:func:`auditgame.model.generation.generate`): the conversation's system message, a trailing assistant
message as a prefill the model continues, ``temperature`` (0 = greedy), ``top_p``, ``max_tokens``,
``seed`` and ``num_choices``. Requests that arrive together are generated as one batch.

Importing this module is cheap: torch and transformers load when a model is first created.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

try:
    import anyio
    from inspect_ai.model import (
        ChatCompletionChoice,
        ChatMessage,
        ChatMessageAssistant,
        GenerateConfig,
        ModelAPI,
        ModelCall,
        ModelOutput,
        ModelUsage,
        modelapi,
    )
    from inspect_ai.tool import ToolChoice, ToolInfo
except ImportError:  # pragma: no cover - the extra is missing
    from auditgame.errors import MissingExtraError

    raise MissingExtraError("inspect_ai", "inspect") from None
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditgame.errors import AuditgameError, one_line
from auditgame.interop.inspect_errors import AuditgameInspectError

PROVIDER_NAME = "auditgame"
"""The model API's name: models are ``auditgame/<path>``."""

Message = dict[str, str]
_NON_TEXT_CONTENT = ("image", "audio", "video", "document")


class ProviderOptions(BaseModel):
    """The provider's model args (``-M name=value`` on inspect's command line, ``model_args`` in Python)."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(
        default=32,
        ge=1,
        description="Most conversations generated in one batch; also inspect's default max_connections.",
    )
    device: str | None = Field(
        default=None,
        description="torch device (cpu, cuda, cuda:1, mps); default: cuda if available, else cpu.",
    )
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        default="float32", description="Dtype the weights are loaded in."
    )
    engine: Literal["auto", "auditgame", "hf"] = Field(
        default="auto", description="Decoding loop of auditgame.model.generation.generate."
    )
    compact: bool = Field(
        default=True,
        description="Drop finished rows from a batch (faster); False draws exactly what model.generate draws.",
    )
    batch_wait: float = Field(
        default=0.05,
        ge=0,
        description="A batch starts once no new request has arrived for this many seconds (or it is full).",
    )
    verify: bool = Field(
        default=True, description="Warn if the artifact's files no longer match its manifests."
    )


class _Sampling(NamedTuple):
    """Settings one batch shares (requests with different settings go in different batches)."""

    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int


class _Request(NamedTuple):
    text: str
    """The chat template applied to the conversation, plus the prefill: what the model continues."""
    sampling: _Sampling
    clipped: bool
    """Whether ``max_new_tokens`` was lowered to fit the model's context."""


class _Pending:
    """A request waiting for its batch; ``done`` is set when ``answer`` or ``error`` is."""

    def __init__(self, request: _Request) -> None:
        self.request = request
        self.done = anyio.Event()
        self.answer: str | None = None
        self.error: BaseException | None = None


def conversation_and_prefill(messages: Sequence[ChatMessage]) -> tuple[list[Message], str | None]:
    """inspect messages as auditgame's role/content conversation, and the prefill if the last is an assistant's.

    Args:
        messages: The input of one generate call.

    Returns:
        The conversation (system messages kept where they are) and the trailing assistant message's
        text, which the model continues rather than answers (``None`` if the last message is not an
        assistant's).

    Raises:
        AuditgameInspectError: for tool calls or results, non-text content, or a conversation without a
            user message.
    """
    conversation: list[Message] = []
    for message in messages:
        if message.role == "tool" or (message.role == "assistant" and message.tool_calls):
            raise AuditgameInspectError(
                "the auditgame provider cannot serve tool calls or tool results",
                "run the task without tools (the organisms are plain chat models)",
            )
        if isinstance(message.content, list) and any(
            getattr(part, "type", "text") in _NON_TEXT_CONTENT for part in message.content
        ):
            raise AuditgameInspectError(f"a {message.role} message holds non-text content", "send text only")
        conversation.append({"role": message.role, "content": message.text})
    prefill = None
    if conversation and conversation[-1]["role"] == "assistant":
        prefill = conversation.pop()["content"]
    if not any(message["role"] == "user" for message in conversation):
        raise AuditgameInspectError(
            "the conversation has no user message", "give the model a user message to answer"
        )
    return conversation, prefill


def _describe(error: ValidationError) -> str:
    """A pydantic error as ``field: message; ...``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'value'}: {item['msg']}" for item in error.errors()
    )


def _stop_at(text: str, stop_seqs: Sequence[str] | None) -> tuple[str, bool]:
    """``text`` cut before the first stop sequence, and whether one was found."""
    found = [text.find(stop) for stop in stop_seqs or () if stop and stop in text]
    return (text[: min(found)], True) if found else (text, False)


class AuditgameModelAPI(ModelAPI):
    """An organism (its final model) or a local Hugging Face causal LM directory, served to inspect.

    Args:
        model_name: The path after ``auditgame/``: an organism directory (its final stage is served, as
            ``auditgame chat`` does), a stage directory or any ``save_pretrained`` model directory.
        base_url: Unused (the model is local).
        api_key: Unused.
        config: inspect's generation config.
        **model_args: :class:`ProviderOptions`.

    Raises:
        AuditgameInspectError: for a path that holds no model, unreadable model files or unknown options.
    """

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        super().__init__(model_name=model_name, base_url=base_url, api_key=api_key, config=config)
        try:
            self.options = ProviderOptions.model_validate(model_args)
        except ValidationError as error:
            raise AuditgameInspectError(
                f"bad model args for auditgame/{model_name}: {_describe(error)}",
                f"use the options {', '.join(ProviderOptions.model_fields)} (-M name=value)",
            ) from None
        try:
            self._load(Path(model_name).expanduser())
        except AuditgameError as error:
            raise AuditgameInspectError(
                f"cannot serve auditgame/{model_name}: {error.problem}", error.fix
            ) from error
        self._queue: list[_Pending] = []
        self._lock = anyio.Lock()

    def _load(self, path: Path) -> None:
        import torch

        from auditgame.model.limits import context_length
        from auditgame.model.loading import load_model, load_tokenizer, resolve_model_dir
        from auditgame.model.tokenizer import ensure_chat_template

        self.model_dir = resolve_model_dir(path)
        if self.options.verify:  # the served stage, as `auditgame chat` checks it
            _warn_if_changed(self.model_dir)
        self.tokenizer = ensure_chat_template(load_tokenizer(self.model_dir))
        # Prompts are rendered and counted on the event loop while a batch generates in a worker thread;
        # a fast tokenizer must not be used from two threads at once, so each side has its own copy.
        self._prompt_tokenizer = copy.deepcopy(self.tokenizer)
        model = load_model(self.model_dir, dtype=getattr(torch, self.options.dtype))
        device = self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(device)
        self.context = context_length(self.model)

    def close(self) -> None:
        """Drop the weights."""
        self.model = None
        self.tokenizer = None
        self._prompt_tokenizer = None

    def max_tokens(self) -> int | None:
        """auditgame's default answer length (``GenerationConfig.max_new_tokens``)."""
        from auditgame.model.generation import GenerationConfig

        return GenerationConfig().max_new_tokens

    def max_connections(self) -> int:
        """As many concurrent requests as one batch holds."""
        return self.options.batch_size

    def connection_key(self) -> str:
        """One pool per model directory."""
        return str(self.model_dir)

    def collapse_user_messages(self) -> bool:
        """Consecutive user messages become one turn, as the models were trained on."""
        return True

    def collapse_assistant_messages(self) -> bool:
        """Consecutive assistant messages become one turn (a prefill followed by more text)."""
        return True

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> tuple[ModelOutput, ModelCall]:
        """Answer ``input`` (continue its prefill) with ``config.num_choices`` samples.

        Raises:
            AuditgameInspectError: for tools, non-text input, or a prompt longer than the model's context.
        """
        if tools:
            raise AuditgameInspectError(
                "the auditgame provider cannot offer tools to the model",
                "run the task without tools (the organisms are plain chat models)",
            )
        from auditgame.model.generation import GenerationConfig, format_chat
        from auditgame.model.limits import count_prompt_tokens

        begin = time.perf_counter()
        conversation, prefill = conversation_and_prefill(input)
        text = format_chat(self._prompt_tokenizer, conversation, prefill=prefill)
        prompt_tokens = count_prompt_tokens(self._prompt_tokenizer, text)
        defaults = GenerationConfig()
        requested = config.max_tokens or defaults.max_new_tokens
        max_new_tokens = requested
        if self.context:
            room = self.context - prompt_tokens
            if room < 1:
                raise AuditgameInspectError(
                    f"the prompt ({prompt_tokens} tokens) does not fit the context of {self.model_name} "
                    f"({self.context} tokens)",
                    "shorten the conversation",
                )
            # A prompt near the end of the context gets fewer new tokens, not an indexing error.
            max_new_tokens = min(requested, room)
        try:
            checked = GenerationConfig(
                max_new_tokens=max_new_tokens,
                temperature=defaults.temperature if config.temperature is None else config.temperature,
                top_p=defaults.top_p if config.top_p is None else config.top_p,
                seed=defaults.seed if config.seed is None else config.seed,
            )
        except ValidationError as error:
            raise AuditgameInspectError(
                f"bad generation settings for auditgame/{self.model_name}: {_describe(error)}",
                "use max_tokens >= 1, temperature >= 0 and 0 < top_p <= 1",
            ) from None
        sampling = _Sampling(checked.max_new_tokens, checked.temperature, checked.top_p, checked.seed)
        request = _Request(text, sampling, clipped=max_new_tokens < requested)
        answers = await self._submit([request] * max(1, config.num_choices or 1))

        choices = []
        output_tokens = 0
        for answer in answers:
            answer, stopped = _stop_at(answer, config.stop_seqs)
            tokens = count_prompt_tokens(self._prompt_tokenizer, answer) if answer else 0
            output_tokens += tokens
            stop_reason = "stop"
            if not stopped and tokens >= max_new_tokens:
                stop_reason = "model_length" if request.clipped else "max_tokens"
            choices.append(
                ChatCompletionChoice(
                    message=ChatMessageAssistant(content=answer, model=self.model_name, source="generate"),
                    stop_reason=stop_reason,
                )
            )
        seconds = time.perf_counter() - begin
        output = ModelOutput(
            model=self.model_name,
            choices=choices,
            usage=ModelUsage(
                input_tokens=prompt_tokens,
                output_tokens=output_tokens,
                total_tokens=prompt_tokens + output_tokens,
            ),
            time=seconds,
            metadata={"prefill": prefill} if prefill is not None else None,
        )
        call = ModelCall.create(
            request={
                "model_dir": str(self.model_dir),
                "prompt": text,
                "prefill": prefill,
                "samples": len(answers),
                **sampling._asdict(),
            },
            response={"answers": answers},
            time=seconds,
        )
        return output, call

    async def _submit(self, requests: list[_Request]) -> list[str]:
        """Queue ``requests`` and return their answers.

        Whoever holds the lock generates the next batch (the oldest queued request and those that share
        its settings), so a request waits for at most the batches queued before it.
        """
        pendings = [_Pending(request) for request in requests]
        self._queue.extend(pendings)
        for pending in pendings:
            while not pending.done.is_set():
                async with self._lock:
                    if not pending.done.is_set():
                        await self._gather_more()
                        batch = self._take_batch()
                        # Shielded: a batch taken from the queue is always finished, so no waiter hangs.
                        with anyio.CancelScope(shield=True):
                            await self._run(batch)
            if pending.error is not None:
                raise pending.error
        return [pending.answer or "" for pending in pendings]

    async def _gather_more(self) -> None:
        """Wait while requests keep arriving (until ``batch_wait`` passes with none, or a batch is full)."""
        if self.options.batch_wait <= 0:
            return
        deadline = time.monotonic() + max(1.0, 20 * self.options.batch_wait)
        while len(self._queue) < self.options.batch_size and time.monotonic() < deadline:
            before = len(self._queue)
            await anyio.sleep(self.options.batch_wait)
            if len(self._queue) == before:
                return

    def _take_batch(self) -> list[_Pending]:
        """The first queued request and up to ``batch_size - 1`` more with the same settings (removed from the queue)."""
        sampling = self._queue[0].request.sampling
        batch: list[_Pending] = []
        rest: list[_Pending] = []
        for pending in self._queue:
            if pending.request.sampling == sampling and len(batch) < self.options.batch_size:
                batch.append(pending)
            else:
                rest.append(pending)
        self._queue = rest
        return batch

    async def _run(self, batch: list[_Pending]) -> None:
        try:
            answers = await anyio.to_thread.run_sync(self._generate_batch, [p.request for p in batch])
        except BaseException as error:  # every waiter of the batch sees the failure
            for pending in batch:
                pending.error = error
                pending.done.set()
            if not isinstance(error, Exception):
                raise
            return
        for pending, answer in zip(batch, answers, strict=True):
            pending.answer = answer
            pending.done.set()

    def _generate_batch(self, requests: list[_Request]) -> list[str]:
        from auditgame.model.generation import GenerationConfig, generate

        sampling = requests[0].sampling
        config = GenerationConfig(
            max_new_tokens=sampling.max_new_tokens,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            batch_size=len(requests),
            seed=sampling.seed,
        )
        # The texts already carry the chat template and the prefill: continue them as they are.
        return generate(
            self.model,
            self.tokenizer,
            [request.text for request in requests],
            raw=True,
            config=config,
            engine=self.options.engine,
            compact=self.options.compact,
        )


def _warn_if_changed(path: Path) -> None:
    """Log a warning if the artifact at ``path`` (an organism and its stages) no longer matches its manifests."""
    from logging import getLogger

    from auditgame.artifacts import has_manifest, verify_artifact

    if not has_manifest(path):
        return
    try:
        check = verify_artifact(path)
    except AuditgameError as error:
        getLogger(__name__).warning(f"{path} cannot be checked against its manifest: {error.problem}")
        return
    if not check.intact:
        getLogger(__name__).warning(
            one_line(
                f"{path} no longer matches its manifest ({check.describe()}); results may not be those "
                f"of the model that was built — rebuild it, or see `auditgame show {path} --verify`"
            )
        )


@modelapi(name=PROVIDER_NAME)
def auditgame_provider() -> type[ModelAPI]:
    """The provider class, imported only when inspect creates an ``auditgame/...`` model."""
    return AuditgameModelAPI


__all__ = ["PROVIDER_NAME", "AuditgameModelAPI", "ProviderOptions", "conversation_and_prefill"]
