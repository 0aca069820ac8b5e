"""What every job script shares: config parsing, input checks, output folder, pipeline run, report.

A job script declares a ``Config`` dataclass and a ``run(cfg, ctx)`` function that composes stages;
:func:`main` turns ``spark-submit jobs/<job>.py [--config F] [key=value ...]`` into a call of it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import fsspec

from byod.config import load_config, to_plain
from byod.errors import ByodError, InputError, OutputExistsError
from byod.pipeline import Pipeline, PipelineResult
from byod.report import RunReport
from byod.stages.base import Stage

log = logging.getLogger("byod")


@dataclass
class SourceSpec:
    """One input of a job: a reader ``format``, its ``paths`` and reader ``options``."""

    name: str = "docs"
    format: str = "jsonl"
    paths: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


def check_inputs(sources: Sequence[Any], origin: str) -> list[dict[str, Any]]:
    """Fail before Spark starts when an input path matches nothing or every file is empty; describe inputs.

    Paths are resolved by the readers' own :func:`byod.sources.files.resolve_paths`, so the job and a
    reader called alone agree on what a missing input is.
    """
    from byod.sources.files import resolve_paths

    described = []
    for index, spec in enumerate(sources):
        entry: dict[str, Any] = {"name": spec.name, "format": spec.format, "paths": list(spec.paths)}
        described.append(entry)
        if spec.format in ("table", "hf"):  # a catalog table or a dataset name: nothing to look at here
            continue
        if not spec.paths:
            raise InputError(f"{origin}: key 'sources[{index}].paths' is empty for source '{spec.name}'")
        try:
            resolved, _ = resolve_paths(list(spec.paths))
        except InputError as error:
            raise InputError(f"source '{spec.name}': {error}") from None
        files = total_bytes = 0
        for path in resolved:
            if "://" in path:  # remote: resolve_paths checked it exists; sizing it may need credentials
                continue
            fs, inner = fsspec.core.url_to_fs(path)
            found = fs.find(inner) if fs.isdir(inner) else [inner]
            files += len(found)
            total_bytes += sum(fs.size(f) or 0 for f in found)
        entry.update(files=files, bytes=total_bytes)
    if described and all(d.get("files", 1) > 0 and d.get("bytes", 1) == 0 for d in described):
        raise InputError("every input file is empty: nothing to do")
    return described


def prepare_output(output: str, overwrite: bool) -> None:
    """Refuse a non-empty output folder unless ``overwrite``; then clear what a run writes there."""
    fs, root = fsspec.core.url_to_fs(output)
    if fs.exists(root) and fs.ls(root):
        if not overwrite:
            raise OutputExistsError(f"output {output} is not empty; pass overwrite=true to replace it")
        for name in ("report.json", "report.html", "quarantine", "_work", "mds"):
            target = f"{root.rstrip('/')}/{name}"
            if fs.exists(target):
                fs.rm(target, recursive=True)
    fs.makedirs(root, exist_ok=True)


class JobContext:
    """A running job: its config, output folder, Spark session and report."""

    def __init__(self, job: str, config: Any, origin: str):
        self.job = job
        self.config = config
        self.origin = origin
        self.output = str(config.output).rstrip("/")
        self.report = RunReport(job=job, config=to_plain(config))
        self._spark = None

    @property
    def work_dir(self) -> str:
        return f"{self.output}/_work"

    @property
    def spark(self):
        if self._spark is None:
            from byod.spark import get_spark

            self._spark = get_spark(conf=to_plain(getattr(self.config, "spark_conf", None)) or None,
                                    progress=getattr(self.config, "progress", None))
        return self._spark

    def read_sources(self, sources: Sequence[Any]):
        """One document frame from every configured source (see :mod:`byod.sources`)."""
        from byod.sources.spec import read_sources

        return read_sources(self.spark, sources, work_dir=self.work_dir)

    def run_pipeline(self, docs, stages: Sequence[Stage]) -> PipelineResult:
        result = Pipeline(stages).run(docs, work_dir=self.work_dir, quarantine_dir=f"{self.output}/quarantine",
                                      report=self.report)
        if result.counts["totals"]["in"] == 0:
            raise InputError("no documents were read from the inputs: nothing to do")
        return result

    def write_mds(self, kept, tokenize: Stage, write: Any) -> dict[str, Any]:
        """Tokenize, pack and write in one pass; the writer's figures go into the report's ``output``."""
        started = time.perf_counter()
        result = write.write(kept.transform(tokenize))
        seconds = time.perf_counter() - started
        self.report.time_step("write-mds", [tokenize.name, write.name], seconds)
        self.report.output = result.to_dict()
        packing = self.report.output.get("packing") or {}
        if packing.get("tokens_by_source"):
            self.report.output["tokens_by_source"] = dict(sorted(packing["tokens_by_source"].items()))
        log.info("wrote %d samples, %d tokens in %.1f s (%.0f tokens/s) to %s", result.samples, result.tokens,
                 seconds, result.tokens / seconds if seconds > 0 else 0.0, result.output)
        return self.report.output

    def finish(self) -> dict[str, Any]:
        """Check the accounting, write report.json and report.html, print the one-screen summary."""
        report = self.report.write(self.output, spark_version=self.spark.version)
        try:
            from byod.report_html import write_html

            write_html(report, self.output)
        except ImportError as error:  # matplotlib is an extra; the JSON report is what counts
            log.warning("report.html not written (%s); pip install 'byod[report]'", error)
        return report


def parse_args(job: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"jobs/{job}.py", description=f"Run the byod job {job}.")
    parser.add_argument("--config", help="YAML file with the job's settings (defaults apply to the rest)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="settings that win over the file")
    return parser.parse_intermixed_args(argv)


Plan = Callable[[Any, str], Any]
Run = Callable[[Any, JobContext, Any], dict[str, Any]]


def execute(job: str, schema: type, plan: Plan, run: Run, *, config: str | None = None,
            overrides: Any = None) -> dict[str, Any]:
    """Validate everything that can be validated (config, stages, inputs, output), then run.

    ``plan(cfg, origin)`` builds the stages from the config before Spark starts, so a bad stage
    parameter is a one-line error; ``run(cfg, ctx, planned)`` does the work and returns the report.
    """
    origin = config or "defaults"
    cfg = load_config(schema, config, overrides)
    planned = plan(cfg, origin)
    ctx = JobContext(job, cfg, origin)
    if hasattr(cfg, "sources"):
        ctx.report.inputs = check_inputs(cfg.sources, origin)
    prepare_output(ctx.output, bool(getattr(cfg, "overwrite", False)))
    return run(cfg, ctx, planned)


def main(job: str, schema: type, plan: Plan, run: Run, argv: Sequence[str] | None = None) -> int:
    """Entry point of a job script: one-line errors and exit code 2 for anything the user can fix."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(job, argv if argv is not None else sys.argv[1:])
    try:
        report = execute(job, schema, plan, run, config=args.config, overrides=args.overrides)
    except ByodError as error:
        print(f"byod: error: {error}", file=sys.stderr)
        return 2
    from byod.progress import summary_text

    print(summary_text(report))
    return 0
