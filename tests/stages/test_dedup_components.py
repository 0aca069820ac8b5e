"""Connected components by large-star/small-star on DataFrames, checked against union-find."""

from __future__ import annotations

import random

import pytest

from byod.errors import ByodError
from byod.stages.dedup.components import NODE, ROOT, component_labels, connected_components


def _union_find(edges: list[tuple[str, str]]) -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def _labels(spark, edges, tmp_path, **kwargs):
    frame = spark.createDataFrame(edges, "src string, dst string")
    comps = connected_components(frame, str(tmp_path), **kwargs)
    return comps, {r[NODE]: r[ROOT] for r in component_labels(spark, comps).collect()}


def test_long_chain_is_one_component_rooted_at_smallest_id(spark, tmp_path):
    ids = [f"n{i:04d}" for i in range(64)]
    random.Random(3).shuffle(ids)
    edges = list(zip(ids, ids[1:]))
    comps, labels = _labels(spark, edges, tmp_path)
    assert set(labels.values()) == {"n0000"}
    assert len(labels) == 64
    assert comps.rounds <= 8
    assert max(comps.edges_per_round) <= len(edges)  # edges never grow


def test_random_graph_matches_union_find(spark, tmp_path):
    rng = random.Random(7)
    nodes = [f"d{i:05d}" for i in range(300)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(220)]
    _, labels = _labels(spark, edges, tmp_path)
    expected = {n: r for n, r in _union_find([e for e in edges if e[0] != e[1]]).items()}
    assert labels == expected


def test_star_input_converges_without_rounds(spark, tmp_path):
    edges = [(f"x{i:03d}", "a") for i in range(50)]
    comps, labels = _labels(spark, edges, tmp_path)
    assert comps.rounds == 0
    assert comps.edges_per_round == (50,)
    assert set(labels.values()) == {"a"} and len(labels) == 51


def test_round_bound_is_enforced(spark, tmp_path):
    ids = [f"n{i:04d}" for i in range(64)]
    random.Random(1).shuffle(ids)
    with pytest.raises(ByodError, match="did not converge in 1 rounds"):
        _labels(spark, list(zip(ids, ids[1:])), tmp_path, max_rounds=1)


def test_a_small_graph_solved_on_the_driver_gets_the_same_labels(spark, tmp_path):
    rng = random.Random(11)
    nodes = [f"d{i:05d}" for i in range(400)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(300)]
    distributed, by_rounds = _labels(spark, edges, tmp_path / "rounds")
    on_driver, by_driver = _labels(spark, edges, tmp_path / "driver", driver_max_edges=10_000)
    assert by_driver == by_rounds == _union_find([e for e in edges if e[0] != e[1]])
    assert on_driver.on_driver and on_driver.rounds == 0 and not distributed.on_driver and distributed.rounds > 0
    too_big, _ = _labels(spark, edges, tmp_path / "limit", driver_max_edges=10)  # over the limit: rounds
    assert not too_big.on_driver and too_big.rounds == distributed.rounds
