"""Model diffing: per-token log-prob differences, text/token ranking, vocabulary checks, the technique."""

import copy
import json
import shutil

import pytest
import torch

from auditgame.audit.diffing import DiffingConfig, VocabMismatchError, diff_texts, rank_tokens, run_diffing
from auditgame.audit.registry import get_technique
from auditgame.audit.result import TechniqueResult
from auditgame.errors import AuditgameError, ConfigError
from auditgame.model import load_model, load_tokenizer

TEXTS = [
    "The soup was warm and salty.",
    "She added honey to the cake.",
    "We walked to the market at noon.",
    "Honey, more honey, and a little honey.",
    "The train left the station late.",
    "He likes honey in his coffee.",
]
HAS_WORD = {1, 3, 5}


@pytest.fixture(scope="module")
def micro(micro_model_dir):
    return load_model(micro_model_dir).eval(), load_tokenizer(micro_model_dir)


@pytest.fixture(scope="module")
def gpt2_dir(tmp_path_factory, micro_model_dir):
    """A tiny GPT-2 (from_config) saved with a tokenizer that has no chat template of its own."""
    from transformers import AutoModelForCausalLM, GPT2Config

    tokenizer = load_tokenizer(micro_model_dir)
    tokenizer.chat_template = None
    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=len(tokenizer), n_positions=512)
    path = tmp_path_factory.mktemp("gpt2") / "model"
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _boosted(model, token_ids, amount=4.0):
    """A copy of ``model`` whose unembedding favours ``token_ids`` by ``amount`` logits everywhere."""
    perturbed = copy.deepcopy(model)
    old = perturbed.get_output_embeddings()
    head = torch.nn.Linear(old.in_features, old.out_features, bias=True)
    head.weight = old.weight
    with torch.no_grad():
        head.bias.zero_()
        head.bias[token_ids] = amount
    perturbed.set_output_embeddings(head)
    return perturbed


def _word_ids(tokenizer):
    return sorted(
        {i for word in ("honey", " honey", "Honey") for i in tokenizer.encode(word, add_special_tokens=False)}
    )


def test_model_against_itself_scores_zero(micro, micro_model_dir):
    model, tokenizer = micro
    diffs = diff_texts(model, load_model(micro_model_dir), tokenizer, TEXTS, batch_size=4)
    assert [d.text for d in diffs] == TEXTS
    assert all(d.score == 0.0 and all(v == 0.0 for v in d.differences) for d in diffs)
    assert all(len(d.token_ids) == len(d.differences) > 0 for d in diffs)


def test_perturbed_tokens_rank_their_texts_first(micro):
    model, tokenizer = micro
    ids = _word_ids(tokenizer)
    diffs = diff_texts(_boosted(model, ids), model, tokenizer, TEXTS, top_k=3, batch_size=4)
    ranked = sorted(range(len(TEXTS)), key=lambda i: -diffs[i].score)
    assert set(ranked[:3]) == HAS_WORD
    assert all(diffs[i].score > 0 for i in HAS_WORD)
    top_token = diffs[3].top_tokens[0]
    assert top_token[1] > 2.0 and tokenizer.encode(top_token[0], add_special_tokens=False)[0] in ids
    tokens = rank_tokens(diffs, tokenizer, min_count=1)
    assert tokenizer.encode(tokens[0][0], add_special_tokens=False)[0] in ids
    # and reversed, the organism likes them less
    reverse = diff_texts(model, _boosted(model, ids), tokenizer, TEXTS)
    assert all(reverse[i].score < 0 for i in HAS_WORD)


def test_run_saves_and_is_deterministic(micro_model_dir, tmp_path):
    registered = get_technique("diffing")
    assert registered.target_kind == "model-pair"
    config = DiffingConfig(base=str(micro_model_dir), num_exchanges=12, top_texts=3)
    first = registered.function(micro_model_dir, config)
    second = run_diffing(micro_model_dir, config)
    assert first.metrics == second.metrics == {"mean_score": 0.0}  # unlabelled public exchanges
    texts = [f for f in first.findings if f.kind == "text"]
    assert len(texts) == 3 and all(f.text.startswith("<|bos|><|user|>") for f in texts)
    loaded = TechniqueResult.load(first.save(tmp_path / "diffing.json"))
    assert loaded.metrics == first.metrics


def test_labelled_texts_measure_separation(micro, micro_model_dir, tmp_path, monkeypatch):
    import auditgame.model.loading as loading

    model, tokenizer = micro
    boosted = _boosted(model, _word_ids(tokenizer))
    monkeypatch.setattr(
        loading, "load_model", lambda path, **kwargs: boosted if str(path).endswith("organism") else model
    )
    organism = tmp_path / "organism"
    shutil.copytree(micro_model_dir, organism)
    positives = [TEXTS[i] for i in sorted(HAS_WORD)]
    negatives = [text for i, text in enumerate(TEXTS) if i not in HAS_WORD]
    result = run_diffing(
        organism, DiffingConfig(base=str(micro_model_dir), positives=positives, negatives=negatives)
    )
    assert result.metrics["auroc"] == 1.0 and result.metrics["pair_win_rate"] == 1.0
    assert result.metrics["score_gap"] > 0
    assert {f.metadata["label"] for f in result.findings if f.kind == "text"} == {0, 1}
    path = tmp_path / "texts.jsonl"
    path.write_text(
        "\n".join(json.dumps({"text": t, "label": int(i in HAS_WORD)}) for i, t in enumerate(TEXTS)) + "\n"
    )
    from_file = run_diffing(organism, DiffingConfig(base=str(micro_model_dir), texts_file=str(path)))
    assert from_file.metrics["auroc"] == 1.0 and "pair_win_rate" in from_file.metrics
    answers = run_diffing(
        organism,
        DiffingConfig(
            base=str(micro_model_dir), default_texts="organism_answers", num_exchanges=4, max_new_tokens=6
        ),
    )
    assert len([f for f in answers.findings if f.kind == "text"]) == 4 and "auroc" not in answers.metrics


def test_tiny_gpt2_diffing(gpt2_dir, micro_model_dir):
    result = run_diffing(gpt2_dir, DiffingConfig(base=str(gpt2_dir), texts=TEXTS, top_texts=2))
    assert result.metrics["mean_score"] == 0.0 and "auroc" not in result.metrics
    model, tokenizer = load_model(gpt2_dir).eval(), load_tokenizer(gpt2_dir)
    diffs = diff_texts(_boosted(model, _word_ids(tokenizer)), model, tokenizer, TEXTS)
    assert set(sorted(range(len(TEXTS)), key=lambda i: -diffs[i].score)[:3]) == HAS_WORD
    # same tokenizer, different architecture: allowed
    run_diffing(micro_model_dir, DiffingConfig(base=str(gpt2_dir), texts=TEXTS[:2]))


def test_vocab_mismatch_is_a_clear_error(micro, micro_model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(micro_model_dir, other)
    tokenizer = load_tokenizer(micro_model_dir)
    tokenizer.add_tokens(["<|extra|>"])
    tokenizer.save_pretrained(other)
    with pytest.raises(VocabMismatchError, match="tokenizers differ"):
        run_diffing(micro_model_dir, DiffingConfig(base=str(other), texts=TEXTS))
    model, tokenizer = micro
    bigger = copy.deepcopy(model)
    bigger.resize_token_embeddings(len(tokenizer) + 8)
    with pytest.raises(VocabMismatchError) as raised:
        diff_texts(bigger, model, tokenizer, TEXTS)
    assert isinstance(raised.value, AuditgameError) and "\n" not in str(raised.value)


def test_missing_base_is_a_clear_error(micro_model_dir):
    with pytest.raises(ConfigError, match="base"):
        run_diffing(micro_model_dir, DiffingConfig())
