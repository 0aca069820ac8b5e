"""SplitTrainEval: Spark and the pure-Python rule agree, the split is stable and near the fraction."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from byod.columns import ID
from byod.errors import SchemaError
from byod.stages.finetune.split import EVAL, SPLIT, TRAIN, SplitTrainEval, split_of


def test_spark_matches_python_and_is_stable(spark):
    df = spark.range(2000).select(F.sha2(F.col("id").cast("string"), 256).substr(1, 16).alias(ID))
    stage = SplitTrainEval(eval_fraction=0.1, seed=7)
    first = {r[ID]: r[SPLIT] for r in df.transform(stage).collect()}
    again = {r[ID]: r[SPLIT] for r in df.repartition(5).orderBy(F.desc(ID)).transform(stage).collect()}
    assert first == again
    assert first == {i: split_of(i, eval_fraction=0.1, seed=7) for i in first}
    share = sum(s == EVAL for s in first.values()) / len(first)
    assert 0.08 < share < 0.12
    other_seed = {r[ID]: r[SPLIT] for r in df.transform(SplitTrainEval(eval_fraction=0.1, seed=8)).collect()}
    assert other_seed != first and set(other_seed.values()) == {TRAIN, EVAL}


@pytest.mark.parametrize("kwargs,error", [({"eval_fraction": 0}, ValueError), ({"eval_fraction": 1.5}, ValueError),
                                          ({"eval_fraction": "0.1"}, TypeError), ({"seed": 1.5}, TypeError)])
def test_parameters_are_checked(kwargs, error):
    with pytest.raises(error):
        SplitTrainEval(**kwargs)


def test_existing_split_column_is_refused(spark):
    df = spark.createDataFrame([("a", "x")], f"{ID} string, {SPLIT} string")
    with pytest.raises(SchemaError, match=SPLIT):
        df.transform(SplitTrainEval())
