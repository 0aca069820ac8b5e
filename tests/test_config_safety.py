"""Issue 14, config side: override values typed by the schema (case 11), unset environment variables as
one-line errors (case 13), and ``module:Class`` stages imported only from allowed packages (case 12).

Covers byod/config.py (parse_value, parse_overrides, load_config) and byod/registry.py (stage_class,
build_stages), with the real c4_arxiv job schema and real modules written to tmp_path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from byod.config import load_config, parse_value, schema_type
from byod.errors import ConfigError
from byod.registry import build_stages, stage_class
from byod.runner import load_job
from byod.stages import Normalize

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Spec:
    name: str = "docs"
    paths: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Schema:
    output: str = "out"
    name: str = "x"
    label: str | None = None
    count: int = 1
    ratio: float = 0.5
    overwrite: bool = False
    progress: bool | None = None
    paths: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    sources: list[Spec] = field(default_factory=lambda: [Spec()])
    tokenize: dict[str, Any] = field(default_factory=lambda: {"tokenizer": "t"})
    stages: list[dict[str, Any]] = field(default_factory=lambda: [{"stage": "Normalize"}])


# --- case 11: a string field keeps the literal text; types come from the schema ----------------------

@pytest.mark.parametrize(
    "override, key, expected",
    [
        ("output=/data/run #2", "output", "/data/run #2"),   # YAML: "/data/run" (comment)
        ("name=0777", "name", "0777"),                       # YAML 1.1: 511 -> "511"
        ("name=yes", "name", "yes"),                         # YAML 1.1: True -> "True"
        ("name=12:30", "name", "12:30"),                     # YAML 1.1: 750 (sexagesimal)
        ("name=2024-01-01", "name", "2024-01-01"),           # YAML: a date
        ("name=null", "name", "null"),                       # not Optional: the text
        ("label=null", "label", None),                       # Optional: None
        ("name=  spaced  ", "name", "  spaced  "),
        ("name=", "name", ""),
        ("count=0777", "count", 777),                        # int field: decimal, not octal
        ("count=-3", "count", -3),
        ("ratio=1e-3", "ratio", 0.001),
        ("overwrite=TRUE", "overwrite", True),
        ("overwrite=no", "overwrite", False),
        ("overwrite=0", "overwrite", False),
        ("progress=null", "progress", None),
        ("paths=[a, 0777, yes, 'q #1']", "paths", ["a", "0777", "yes", "q #1"]),
        ("sizes=[1, 0777]", "sizes", [1, 777]),
        ("sources[0].name=0777", "sources[0].name", "0777"),
        ("sources=[{name: yes, paths: [0777]}]", "sources[0].name", "yes"),
        ("sources[0].options.text_key=body", "sources[0].options.text_key", "body"),
        ("sources[0].options.multiline=true", "sources[0].options.multiline", True),
        ("tokenize.max_seq_len=512", "tokenize.max_seq_len", 512),
        ("tokenize.tokenizer=0777", "tokenize.tokenizer", "0777"),     # free-form: no octal, no leading-zero int
        ("tokenize.tokenizer=yes", "tokenize.tokenizer", "yes"),       # free-form: only true/false are booleans
        ("tokenize.eos_text=a #b", "tokenize.eos_text", "a #b"),
        ("tokenize.eos_text=", "tokenize.eos_text", ""),
        ("tokenize.eos_text='0777'", "tokenize.eos_text", "0777"),
        ("tokenize.policy=null", "tokenize.policy", None),
        ("tokenize.seeds=[1, 0777, x]", "tokenize.seeds", [1, "0777", "x"]),
        ("stages[0].min_words=5", "stages[0].min_words", 5),
        ("stages[0].max_ratio=1e-3", "stages[0].max_ratio", 0.001),
        ("stages[0].keep_all=False", "stages[0].keep_all", False),
    ],
)
def test_override_values_are_typed_by_the_schema(override, key, expected):
    cfg = load_config(Schema, None, [override])
    value = OmegaConf.select(cfg, key)
    value = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
    assert value == expected and type(value) is type(expected)


def test_the_real_job_schema_keeps_string_overrides_literal():
    cfg = load_config(load_job("c4_arxiv").Config, None,
                      ["output=/data/run #2", "tokenize.tokenizer=0777", "sources[0].paths=['/data/x #1', 0777]"])
    assert cfg.output == "/data/run #2"
    assert cfg.tokenize.tokenizer == "0777"
    assert list(cfg.sources[0].paths) == ["/data/x #1", "0777"]
    with pytest.raises(ConfigError, match=r"key 'sources\[0\].paths': value is not valid YAML: .*quote items"):
        load_config(load_job("c4_arxiv").Config, None, ["sources[0].paths=[/data/x #1]"])  # YAML comment inside [...]


@pytest.mark.parametrize(
    "override, message",
    [
        ("overwrite=maybe", "key 'overwrite': 'maybe' is not a boolean"),
        ("overwrite=on", "key 'overwrite': 'on' is not a boolean"),
        ("overwrite=2", "key 'overwrite': '2' is not a boolean"),
        ("count=1.5", "key 'count'"),
        ("paths=[unclosed", "key 'paths': value is not valid YAML"),
        ("stages=[!!python/object/apply:os.system [echo pwned]]", "YAML tag"),
        ("tokenize={a: &x [1], b: *x}", "anchors and aliases are not allowed"),
        ("overwrite=null", "key 'overwrite'"),
    ],
)
def test_bad_override_values_are_one_line_errors(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(Schema, None, [override])
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("command-line override: ")


def test_one_parser_types_values_from_the_schema_or_free_form():
    assert schema_type(Schema, "sources[3].paths[0]") is str
    assert schema_type(Schema, "tokenize.anything") is Any
    assert parse_value("0777", str) == "0777" and parse_value("0777") == "0777" and parse_value("17") == 17
    assert parse_value("[a, 1]") == ["a", 1] and parse_value("[a, 1]", list[str]) == ["a", "1"]
    assert parse_value("~") is None and parse_value(".inf") == float("inf") and parse_value("On") == "On"


def test_interpolations_in_overrides_resolve_and_can_be_escaped(monkeypatch):
    monkeypatch.setenv("BYOD_TEST_DIR", "/data/from-env")
    cfg = load_config(Schema, None, ["output=${oc.env:BYOD_TEST_DIR}/run", r"name=\${not.interpolated}",
                                     "tokenize.tokenizer=${output}"])
    assert cfg.output == "/data/from-env/run"
    assert cfg.name == "${not.interpolated}"
    assert cfg.tokenize.tokenizer == "/data/from-env/run"
    monkeypatch.setenv("BYOD_TEST_FLAG", "yes")
    assert load_config(Schema, None, ["overwrite=${oc.env:BYOD_TEST_FLAG}"]).overwrite is True


# --- case 13: ${oc.env:UNSET} is a one-line error naming the key and the variable --------------------

def test_unset_environment_variable_in_a_file_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("BYOD_SURELY_UNSET", raising=False)
    file = tmp_path / "job.yaml"
    file.write_text("tokenize:\n  tokenizer: ${oc.env:BYOD_SURELY_UNSET}\n")
    with pytest.raises(ConfigError) as info:
        load_config(Schema, file)
    text = str(info.value)
    assert text.startswith(f"{file}: key 'tokenize.tokenizer': environment variable BYOD_SURELY_UNSET is not set")
    assert "\n" not in text


def test_unset_environment_variable_in_an_override_or_a_list_is_one_line(monkeypatch):
    monkeypatch.delenv("BYOD_SURELY_UNSET", raising=False)
    with pytest.raises(ConfigError, match=r"^command-line override: key 'paths\[1\]': environment variable "
                                          r"BYOD_SURELY_UNSET is not set"):
        load_config(Schema, None, ["paths=[a, '${oc.env:BYOD_SURELY_UNSET}']"])


def test_environment_defaults_and_set_variables_still_work(tmp_path, monkeypatch):
    monkeypatch.delenv("BYOD_SURELY_UNSET", raising=False)
    monkeypatch.setenv("BYOD_TEST_COUNT", "42")
    file = tmp_path / "job.yaml"
    file.write_text("output: ${oc.env:BYOD_SURELY_UNSET,/tmp/default}\ncount: ${oc.env:BYOD_TEST_COUNT}\n")
    cfg = load_config(Schema, file)
    assert cfg.output == "/tmp/default" and cfg.count == 42


def test_an_environment_value_never_appears_in_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setenv("BYOD_TEST_SECRET", "s3cr3t-value-not-a-number")
    file = tmp_path / "job.yaml"
    file.write_text("count: ${oc.env:BYOD_TEST_SECRET}\n")
    with pytest.raises(ConfigError) as info:
        load_config(Schema, file)
    assert "key 'count'" in str(info.value)
    assert "s3cr3t-value-not-a-number" not in str(info.value) and "***" in str(info.value)


def test_cli_unset_variable_exits_2_in_one_line_before_spark(tmp_path):
    config = tmp_path / "job.yaml"
    config.write_text("spark_conf:\n  fs.azure.account.key.acct.dfs.core.windows.net: ${oc.env:BYOD_SURELY_UNSET}\n")
    env = {k: v for k, v in os.environ.items() if k != "BYOD_SURELY_UNSET"}
    env["BYOD_JOBS_DIR"] = str(REPO / "jobs")
    out = subprocess.run([sys.executable, "-m", "byod.cli", "run", "c4_arxiv", "--config", str(config),
                          "tokenize.tokenizer=x", f"output={tmp_path / 'out'}"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert "environment variable BYOD_SURELY_UNSET is not set" in lines[0]
    assert "key 'spark_conf.fs.azure.account.key.acct.dfs.core.windows.net'" in lines[0]
    assert not (tmp_path / "out").exists()


# --- case 12: module:Class stages only from allowed packages ------------------------------------------

@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """A package ``byodtest_userpkg`` whose import (and non-stage constructor) leave marker files."""
    root = tmp_path / "site"
    package = root / "byodtest_userpkg"
    package.mkdir(parents=True)
    marker = tmp_path / "imported.txt"
    built = tmp_path / "constructed.txt"
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (package / "stages.py").write_text(
        "from dataclasses import dataclass\n"
        "from byod.stages.base import Stage\n\n"
        "@dataclass(frozen=True, kw_only=True)\n"
        "class Shout(Stage):\n"
        "    times: int = 1\n\n"
        "    def __call__(self, df):\n"
        "        return df\n\n"
        "class NotAStage:\n"
        f"    def __init__(self, **kwargs):\n        open({str(built)!r}, 'w').write('built')\n")
    monkeypatch.syspath_prepend(str(root))
    for name in ("byodtest_userpkg", "byodtest_userpkg.stages"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield marker, built
    for name in ("byodtest_userpkg", "byodtest_userpkg.stages"):
        sys.modules.pop(name, None)


def test_a_module_outside_the_allowlist_is_refused_before_import(user_package, capsys):
    marker, _ = user_package
    with pytest.raises(ConfigError) as info:
        build_stages([{"stage": "byodtest_userpkg.stages:Shout"}], key="stages", origin="job.yaml")
    text = str(info.value)
    assert text.startswith("job.yaml: key 'stages[0].stage': stage module 'byodtest_userpkg.stages' is not "
                           "in allowed packages ['byod']; add 'byodtest_userpkg' to allow_stage_modules")
    assert "\n" not in text
    assert not marker.exists(), "the module's code ran although its package is not allowed"


def test_this_module_does_not_run(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "this", raising=False)
    with pytest.raises(ConfigError, match=r"stage module 'this' is not in allowed packages \['byod'\]"):
        build_stages([{"stage": "this:s"}], key="stages", origin="cmd")
    assert "this" not in sys.modules
    assert "Beautiful is better than ugly" not in capsys.readouterr().out


def test_allowed_packages_import_and_build_user_stages(user_package):
    marker, built = user_package
    stages = build_stages([{"stage": "byodtest_userpkg.stages:Shout", "times": 3}, {"stage": "Normalize"}],
                          key="stages", origin="cmd", allowed_packages=["byodtest_userpkg"])
    assert [type(s).__name__ for s in stages] == ["Shout", "Normalize"] and stages[0].times == 3
    assert marker.exists()
    with pytest.raises(ConfigError, match=r"'byodtest_userpkg.stages:NotAStage' is not a byod Stage"):
        build_stages([{"stage": "byodtest_userpkg.stages:NotAStage"}], key="stages", origin="cmd",
                     allowed_packages=["byodtest_userpkg.stages"])
    assert not built.exists(), "a class that is not a Stage must not be constructed"


def test_stage_names_and_allowlist_entries_are_checked():
    assert stage_class("byod.stages:Normalize") is Normalize
    assert stage_class("Normalize", ["mypkg"]) is Normalize
    with pytest.raises(ConfigError, match="expected a byod stage name or package.module:Class"):
        stage_class(".relative:Thing")
    with pytest.raises(ConfigError, match="is not a package name"):
        stage_class("x:Y", ["not a package"])
    with pytest.raises(ConfigError, match="not in allowed packages"):
        stage_class("byodx.evil:Y")  # a prefix of an allowed name is not that package
    with pytest.raises(ConfigError, match="has no 'Nope'"):
        stage_class("byod.stages:Nope")
    with pytest.raises(ConfigError, match="is not a byod Stage"):
        stage_class("byod.stages.base:Stage")


@pytest.mark.parametrize(("typo", "meant"), [("GopherQualityFiltr", "GopherQualityFilter"),
                                             ("minhashdedup", "MinHashDedup"), ("Normalise", "Normalize")])
def test_a_misspelt_stage_name_gets_a_suggestion(typo, meant):
    with pytest.raises(ConfigError, match=f"unknown stage '{typo}'; did you mean '{meant}'"):
        stage_class(typo)


def test_an_unrelated_stage_name_gets_no_guess():
    with pytest.raises(ConfigError) as error:
        stage_class("Sharpen")
    assert "did you mean" not in str(error.value) and "Normalize" in str(error.value)


def test_a_job_config_must_carry_the_common_settings():
    from byod.job import JobConfig, execute

    @dataclass
    class Loose:
        output: str = "out/loose"

    with pytest.raises(ConfigError, match="must subclass byod.job.JobConfig"):
        execute("loose", Loose, lambda cfg, origin: None, lambda cfg, ctx, planned: {})
    from byod.jobs import c4_arxiv, ft_data_prep

    assert issubclass(c4_arxiv.Config, JobConfig) and issubclass(ft_data_prep.Config, JobConfig)
