import pytest

from auditgame.config_files import apply_overrides, read_config_file
from auditgame.errors import ConfigError
from auditgame.organisms.registry import get_organism


def quick_profile():
    return get_organism("rm-sycophant").profile("quick")


def test_yaml_and_json_overrides(tmp_path):
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("spec:\n  training:\n    sft:\n      max_steps: 7\n")
    profile = apply_overrides(quick_profile(), read_config_file(yaml_file))
    assert profile.spec.training.sft.max_steps == 7
    assert profile.spec.training.sft.batch_size == quick_profile().spec.training.sft.batch_size
    json_file = tmp_path / "c.json"
    json_file.write_text('{"spec": {"training": {"dpo": {"beta": 0.2}}}}')
    assert apply_overrides(quick_profile(), read_config_file(json_file)).spec.training.dpo.beta == 0.2


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yaml", "sft: [unclosed\n", "not valid YAML at line"),
        ("bad.json", '{"sft": ', "not valid JSON at line"),
        ("list.yaml", "- 1\n- 2\n", "must hold a mapping"),
    ],
)
def test_malformed_files_give_one_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        read_config_file(path)
    assert "\n" not in str(error.value)


def test_invalid_option_names_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"spec\.training\.sft\.max_steps"):
        apply_overrides(quick_profile(), {"spec": {"training": {"sft": {"max_steps": -1}}}})
    with pytest.raises(ConfigError, match=r"spec\.training\.sft\.not_an_option"):
        apply_overrides(quick_profile(), {"spec": {"training": {"sft": {"not_an_option": 1}}}})
    with pytest.raises(ConfigError, match="does not exist"):
        read_config_file(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.yaml", b"\xff\xfe\x00\x01binary\x89PNG"),
        ("latin1.json", '{"name": "caf\xe9"}'.encode("latin-1")),
    ],
)
def test_binary_or_non_utf8_config_gives_one_line(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ConfigError, match="is not UTF-8 text") as error:
        read_config_file(path)
    assert "\n" not in str(error.value) and name in str(error.value)


def test_deeply_nested_config_gives_one_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        read_config_file(path)
