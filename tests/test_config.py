"""Job config: defaults, YAML, overrides, and one-line errors naming the key and the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from omegaconf.errors import ReadonlyConfigError

from byod.config import load_config, parse_overrides
from byod.errors import ConfigError


@dataclass
class Inner:
    max_seq_len: int = 2048
    bos_text: str = ""


@dataclass
class Schema:
    output: str = "out"
    overwrite: bool = False
    inner: Inner = field(default_factory=Inner)
    paths: list[str] = field(default_factory=lambda: ["a"])


def test_defaults_file_and_overrides_merge_in_order(tmp_path):
    file = tmp_path / "job.yaml"
    file.write_text("output: /data/out\ninner:\n  max_seq_len: 512\n")
    cfg = load_config(Schema, file, ["inner.max_seq_len=1024", "overwrite=true", "paths=[x,y]"])
    assert cfg.output == "/data/out"
    assert cfg.inner.max_seq_len == 1024
    assert cfg.overwrite is True
    assert list(cfg.paths) == ["x", "y"]
    assert cfg.inner.bos_text == ""


@pytest.mark.parametrize(
    "yaml_text, overrides, message",
    [
        ("outptu: x\n", [], "job.yaml: unknown key 'outptu' (did you mean 'output'?)"),
        ("inner:\n  max_seq_len: lots\n", [], "job.yaml: key 'inner.max_seq_len'"),
        ("", ["inner.max_seq_lne=3"],
         "command-line override: unknown key 'inner.max_seq_lne' (did you mean 'max_seq_len'?)"),
        ("", ["inner.zzz=3"], "command-line override: unknown key 'inner.zzz'"),
        ("", ["overwrite=maybe"], "command-line override: key 'overwrite'"),
        ("", ["no_equals_sign"], "override 'no_equals_sign': expected key=value"),
        ("", ["bad key=1"], "is not a valid key"),
        ("- a\n- b\n", [], "expected a mapping at the top level"),
        ("output: [unclosed\n", [], "not valid YAML"),
    ],
)
def test_config_errors_are_one_line_and_name_the_key(tmp_path, yaml_text, overrides, message):
    file = tmp_path / "job.yaml"
    file.write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_config(Schema, file, overrides)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(Schema, tmp_path / "nope.yaml")


def test_yaml_is_loaded_safely(tmp_path):
    file = tmp_path / "job.yaml"
    file.write_text("output: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError):
        load_config(Schema, file)


def test_dict_overrides_and_config_is_read_only():
    cfg = load_config(Schema, None, {"inner.max_seq_len": 7, "paths": ["p", "q"]})
    assert cfg.inner.max_seq_len == 7 and list(cfg.paths) == ["p", "q"]
    with pytest.raises(ReadonlyConfigError):
        cfg.output = "elsewhere"
    assert parse_overrides(None) == []


def test_list_items_can_be_overridden_by_index():
    cfg = load_config(Schema, None, ["paths=[a, b]", "paths[1]=c"])
    assert list(cfg.paths) == ["a", "c"]


def test_shipped_example_configs_load_against_their_jobs():
    from pathlib import Path

    from byod.runner import load_job

    configs = Path(__file__).resolve().parent.parent / "configs"
    for job in ("c4_arxiv", "ft_data_prep"):
        cfg = load_config(load_job(job).Config, configs / f"{job}.yaml", ["tokenize.tokenizer=/tok"])
        assert cfg.tokenize.tokenizer == "/tok" and cfg.sources[0].paths


def test_every_stage_entry_of_the_example_config_names_real_parameters():
    """Disabled entries are skipped before construction, so check their names and keys here."""
    import dataclasses
    from pathlib import Path

    from byod.config import to_plain
    from byod.registry import stage_class
    from byod.runner import load_job

    path = Path(__file__).resolve().parent.parent / "configs" / "c4_arxiv.yaml"
    cfg = load_config(load_job("c4_arxiv").Config, path, ["tokenize.tokenizer=/tok"])
    entries = to_plain(cfg.stages)
    assert any(entry.get("enabled") is False for entry in entries)
    for entry in entries:
        fields = {f.name for f in dataclasses.fields(stage_class(entry["stage"]))}
        assert set(entry) - {"stage", "enabled"} <= fields, entry


def test_a_misspelt_stage_parameter_gets_the_closest_name():
    from byod.config import construct
    from byod.stages import Dedup

    with pytest.raises(ConfigError, match=r"my.yaml: unknown key 'stages\[4\].exactt' \(did you mean 'exact'\?\)$"):
        construct(Dedup, {"exactt": True}, key="stages[4]", origin="my.yaml")
    with pytest.raises(ConfigError, match=r"unknown key 'stages\[4\].colour'$"):
        construct(Dedup, {"colour": True}, key="stages[4]", origin="my.yaml")
