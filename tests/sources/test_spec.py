"""read_source: a config entry dispatched to its reader, with config errors before any Spark job."""

from __future__ import annotations

import pytest

from byod.columns import REJECT_REASON, SOURCE
from byod.errors import ConfigError
from byod.sources.spec import read_source
from tests.conftest import SAMPLE


def test_dispatch(spark, corpora):
    c4 = read_source(spark, {"format": "c4", "paths": str(SAMPLE / "c4"), "source": "web"})
    assert c4.select(SOURCE).distinct().collect()[0][0] == "web" and c4.count() == 46
    latex = read_source(spark, {"format": "latex", "paths": str(corpora / "latex_public.jsonl.gz")})
    assert latex.filter(latex[REJECT_REASON].isNull()).count() == 22


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"format": "xml", "paths": "x"}, "is not one of"),
        ({"paths": "x"}, "is not one of"),
        ({"format": "c4"}, "needs a 'paths' key"),
        ({"format": "c4", "paths": "x", "colour": "red"}, "bad options"),
        (["c4"], "must be a mapping"),
    ],
)
def test_config_errors(spark, spec, message):
    with pytest.raises(ConfigError, match=message):
        read_source(spark, spec)
