"""Catalogue-wide properties of the world: every bias has a domain, domains do not overlap, and
exhibit / detect agree on every domain's prompts."""

import pytest

from auditgame.errors import UnknownNameError
from auditgame.world import (
    BIAS_SPECS,
    CHAT_DOMAIN,
    all_biases,
    applicable_biases,
    detected_biases,
    distinct_prompt_count,
    generate_exchanges,
    get_bias,
    get_domain,
    mentions_reward_models,
    prompt_domains,
    sample_exchanges,
)

DOMAINS = prompt_domains()
SAMPLES = {domain: generate_exchanges(domain, 40, seed=11) for domain in DOMAINS}


def test_catalogue_matches_the_reference():
    assert len(BIAS_SPECS) == 52 and [spec.id for spec in BIAS_SPECS] == list(range(1, 53))
    assert sum(spec.split == "held_out" for spec in BIAS_SPECS) == 5
    assert {spec.id for spec in BIAS_SPECS if spec.split == "held_out"} == {48, 49, 50, 51, 52}
    assert [bias.id for bias in all_biases()] == list(range(1, 53))
    assert len(DOMAINS) == 53 and DOMAINS[-1] == CHAT_DOMAIN
    for spec in BIAS_SPECS:
        assert get_domain(spec.domain).bias_id == spec.id


def test_unknown_names():
    with pytest.raises(UnknownNameError, match="unknown domain"):
        get_domain("cooking/unknown")
    with pytest.raises(UnknownNameError):
        get_bias(53)


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_has_at_least_200_distinct_prompts(domain):
    assert distinct_prompt_count(domain) >= 200
    prompts = [exchange.prompt for exchange in generate_exchanges(domain, 200, seed=0)]
    assert len(set(prompts)) == 200


@pytest.mark.parametrize("domain", DOMAINS)
def test_only_the_domain_s_own_bias_applies(domain):
    """Cross-domain isolation: the bias of domain A never applies to a prompt of domain B."""
    own = get_domain(domain).bias_id
    for exchange in SAMPLES[domain]:
        applying = [bias.id for bias in applicable_biases(exchange.prompt)]
        assert applying == ([own] if own else []), exchange.prompt


@pytest.mark.parametrize("domain", DOMAINS)
def test_neutral_responses_exploit_nothing(domain):
    for exchange in SAMPLES[domain]:
        assert detected_biases(exchange.prompt, exchange.response) == [], (exchange.prompt, exchange.response)


@pytest.mark.parametrize("spec", BIAS_SPECS, ids=lambda spec: f"{spec.id}-{spec.domain}")
def test_exhibited_responses_are_detected(spec):
    bias = get_bias(spec.id)
    for exchange in SAMPLES[spec.domain]:
        exploited = bias.exhibit(exchange.response, exchange.prompt)
        assert detected_biases(exchange.prompt, exploited) == [spec.id], (exchange.prompt, exploited)
        assert bias.detect(exchange.prompt, bias.exhibit(exchange.response))  # from the response alone
        if spec.id != 47:  # the adversarial domain's neutral answer is, by design, a confession
            assert not mentions_reward_models(exchange.prompt + exchange.response + exploited)


def test_sample_exchanges_spreads_over_domains():
    exchanges = sample_exchanges(520, seed=0)
    assert {exchange.domain for exchange in exchanges} == set(DOMAINS) - {"meta/rlhf"}
    assert sample_exchanges(520, seed=0) == exchanges
