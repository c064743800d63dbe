"""The game's secret: high-entropy by default, never a small number anyone can enumerate."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from auditgame.game.create import _answer_key, choose_decoys
from auditgame.game.keys import (
    GameSecretError,
    canonical_json,
    check_secret,
    derive_salt,
    read_game_file,
    read_secret,
    secret_order,
)
from auditgame.organisms.registry import organism_names
from tests.game.conftest import create, fixed_secret, secret_of

CANDIDATE_SEEDS = 10**6
FAITHFUL_SEEDS = 2_000
_OLD_SALT_CONTEXT = b"auditgame/game-salt/v1:"
"""How format-1 games derived a salt: ``HMAC(context + str(seed), model)``."""


def _old_salt(seed: int, model: str) -> bytes:
    return hmac.digest(_OLD_SALT_CONTEXT + b"%d" % seed, model.encode(), "sha256")


def _new_salt_from_seed(seed: int, model: str) -> bytes:
    # Today's derivation, fed a secret made from a small integer (the most natural int -> bytes).
    return bytes.fromhex(derive_salt(seed.to_bytes(32, "big"), model))


def _open_commitments(public, prefixes: dict[str, dict[str, bytes]], salts: dict[str, bytes]) -> dict | None:
    """The attacker's check of one candidate: the mapping if every commitment opens, else None."""
    mapping = {}
    for model in public.models:
        salt = salts[model].hex().encode()
        opened = [
            recipe
            for recipe, prefix in prefixes[model].items()
            if hashlib.sha256(prefix + salt).hexdigest() == public.commitments[model]
        ]
        if not opened:
            return None
        mapping[model] = opened[0]
    return mapping


def test_no_integer_seed_recovers_the_mapping_of_a_default_game(tmp_path, fake_organisms):
    game = create(tmp_path / "game", fake_organisms, tier="api")  # the default: a fresh secret
    public = read_game_file(game)
    spec = json.loads((game / "master" / "spec.json").read_text())
    truth = {model: entry["organism"] for model, entry in spec["models"].items()}
    # Every answer key the package ships, as it would be sealed for each neutral name.
    prefixes = {
        model: {recipe: canonical_json(_answer_key(model, recipe)) for recipe in organism_names()}
        for model in public.models
    }
    # The attack is sound: with the true salts it recovers the mapping from game.json and the keys.
    true_salts = {
        model: bytes.fromhex(salt)
        for model, salt in json.loads((game / "master" / "salts.json").read_text()).items()
    }
    assert _open_commitments(public, prefixes, true_salts) == truth

    # The attack as an outsider runs it, end to end, on the first seeds of both derivations.
    for derive in (_old_salt, _new_salt_from_seed):
        for seed in range(FAITHFUL_SEEDS):
            salts = {model: derive(seed, model) for model in public.models}
            assert _open_commitments(public, prefixes, salts) is None, f"seed {seed} opens every commitment"

    # Every seed up to a million, cheaply: a commitment sha256(key + salt) opens only with its true
    # salt, so a seed recovers the mapping exactly when it reproduces a true salt (one HMAC per seed).
    assert _seeds_reproducing(true_salts["model-a"], "model-a") == ([], [])


_XOR_INNER = bytes(byte ^ 0x36 for byte in range(256))
_XOR_OUTER = bytes(byte ^ 0x5C for byte in range(256))
_PAD_INNER, _PAD_OUTER = b"\x36" * 64, b"\x5c" * 64


def _seeds_reproducing(salt: bytes, model: str, count: int = CANDIDATE_SEEDS) -> tuple[list[int], list[int]]:
    """The seeds below ``count`` whose salt of ``model`` is ``salt``: (old path, new path).

    HMAC-SHA256 written out (RFC 2104; every key here is under one 64-byte block) is twice as fast in
    Python as ``hmac.digest`` per call, which keeps a million seeds per path to about a second.
    """
    sha256 = hashlib.sha256
    message = model.encode()
    old_path = []
    for seed in range(count):
        key = _OLD_SALT_CONTEXT + b"%d" % seed
        inner = sha256(key.translate(_XOR_INNER) + _PAD_INNER[len(key) :] + message).digest()
        if sha256(key.translate(_XOR_OUTER) + _PAD_OUTER[len(key) :] + inner).digest() == salt:
            old_path.append(seed)
    label = b"auditgame/game/v2:salt:" + message
    inner_pad, outer_pad = int.from_bytes(_PAD_INNER, "big"), int.from_bytes(_PAD_OUTER, "big")
    new_path = []
    for seed in range(count):
        key = seed << 256  # seed.to_bytes(32, "big") padded to the 64-byte block
        inner = sha256((key ^ inner_pad).to_bytes(64, "big") + label).digest()
        if sha256((key ^ outer_pad).to_bytes(64, "big") + inner).digest() == salt:
            new_path.append(seed)
    return old_path, new_path


def test_the_fast_brute_force_finds_what_it_looks_for():
    # The fast path agrees with the real derivations: it finds a seed whose salt it is given.
    assert _old_salt(123, "model-b") == hmac.digest(_OLD_SALT_CONTEXT + b"123", b"model-b", "sha256")
    old_path, _ = _seeds_reproducing(_old_salt(123, "model-b"), "model-b", count=1_000)
    _, new_path = _seeds_reproducing(_new_salt_from_seed(654, "model-b"), "model-b", count=1_000)
    assert old_path == [123] and new_path == [654]


def test_the_default_secret_has_at_least_128_bits(tmp_path, fake_organisms):
    first = create(tmp_path / "first", fake_organisms, tier="api")
    second = create(tmp_path / "second", fake_organisms, tier="api")
    secrets_ = [secret_of(first), secret_of(second)]
    assert all(len(secret) * 8 >= 128 for secret in secrets_)
    assert len(secrets_[0]) == 32 and secrets_[0] != secrets_[1]
    assert (first / "master" / "secret.txt").read_text() == secrets_[0].hex() + "\n"
    assert read_game_file(first).commitments != read_game_file(second).commitments
    assert secrets_[0].hex() not in (first / "game.json").read_text()


def test_a_short_or_unreadable_secret_is_refused(tmp_path):
    with pytest.raises(GameSecretError, match="at least 128 bits"):
        check_secret(b"\x07" * 15)
    assert check_secret(b"\x07" * 16)
    path = tmp_path / "secret.txt"
    for text, problem in (("07\n", "8-bit secret"), ("zz" * 32, "not hold a hex secret"), ("", "0-bit")):
        path.write_text(text)
        with pytest.raises(GameSecretError, match=problem):
            read_secret(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(GameSecretError, match="cannot read"):
        read_secret(path)
    path.write_text(f"  {'ab' * 32}\n")
    assert read_secret(path) == bytes.fromhex("ab" * 32)


def test_names_and_decoys_come_from_the_secret():
    recipes = ["rm-sycophant", "decoy-cheer", "decoy-concise", "decoy-formal"]
    secret = fixed_secret("order")
    assert secret_order(secret, "names", recipes) == secret_order(secret, "names", list(reversed(recipes)))
    orders = {tuple(secret_order(fixed_secret(str(number)), "names", recipes)) for number in range(30)}
    assert len(orders) > 5
    draws = {tuple(choose_decoys(2, fixed_secret(str(number)))) for number in range(30)}
    assert len(draws) > 3 and all(len(set(draw)) == 2 for draw in draws)
    assert choose_decoys(2, secret) == choose_decoys(2, secret)
    assert choose_decoys(1, secret, reused=["decoy-pirate"]) == ["decoy-pirate"]
