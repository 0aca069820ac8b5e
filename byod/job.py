"""What every job script shares: config parsing, input checks, output folder, pipeline run, report.

A job script declares a ``Config`` dataclass and a ``run(cfg, ctx)`` function that composes stages;
:func:`main` turns ``spark-submit jobs/<job>.py [--config F] [key=value ...]`` into a call of it.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from byod.config import load_config, to_plain
from byod.errors import AccountingError, ByodError, ConfigError, InputError, OutputError
from byod.layout import RunLayout, config_hash
from byod.pipeline import Pipeline, PipelineResult, drop_examples
from byod.progress import progress_step
from byod.report import RunReport
from byod.safepath import check_name, check_output_vs_inputs, is_remote
from byod.secrets import config_secrets, mask_config, masking
from byod.stages.base import Stage

log = logging.getLogger("byod")


@dataclass
class SourceSpec:
    """One input of a job: a reader ``format``, its ``paths`` and reader ``options``."""

    name: str = "docs"
    format: str = "jsonl"
    paths: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobConfig:
    """The settings every job has; a job's ``Config`` subclasses it and adds its own (and may change defaults)."""

    output: str = "out/job"
    overwrite: bool = False  # replace the published results once this run succeeds
    resume: bool = False  # continue the last interrupted run here (same settings and inputs) from its last step
    sources: list[SourceSpec] = field(default_factory=list)
    spark_conf: dict[str, Any] = field(default_factory=dict)
    progress: bool | None = None  # progress lines on the console; None: on in a terminal, off in CI
    allow_total_loss: bool = False  # a source losing every document to one reason fails the run unless true


#: Settings that say how a run is carried out, not what it computes: a resumed run may change them.
HOW_TO_RUN = ("resume", "overwrite", "progress")


def check_inputs(sources: Sequence[Any], origin: str) -> list[dict[str, Any]]:
    """Fail before Spark starts when an input path matches nothing or every file is empty; describe inputs.

    Paths are resolved by the readers' own :func:`byod.sources.files.resolve_paths`, so the job and a
    reader called alone agree on what a missing input is.
    """
    from byod.sources.files import resolve_paths
    from byod.sources.quarantine import local_path
    from byod.sources.scan import local_files
    from byod.sources.spec import source_format
    from byod.sources.spread import spread_to

    described = []
    for index, spec in enumerate(sources):
        entry: dict[str, Any] = {"name": spec.name, "format": spec.format, "paths": list(spec.paths)}
        described.append(entry)
        known = source_format(spec.format)
        if not known.reads_files:  # a catalog table or a dataset name: nothing to look at here
            continue
        if not spec.paths:
            raise InputError(f"{origin}: key 'sources[{index}].paths' is empty for source '{spec.name}'")
        try:
            resolved, _ = resolve_paths(list(spec.paths))
        except InputError as error:
            raise InputError(f"source '{spec.name}': {error}") from None
        local = [local_path(p) for p in resolved if not is_remote(p)]  # remote: existence checked, not sized
        stats = [(path, os.stat(path)) for path in local_files(local, None)]  # each real file once
        entry.update(files=len(stats), bytes=sum(st.st_size for _, st in stats),
                     fingerprint=_fingerprint([(p, st.st_size, st.st_mtime_ns) for p, st in stats]
                                              + [(p, -1, -1) for p in resolved if is_remote(p)]))
        partitions = spread_to([(p, st.st_size) for p, st in stats], whole_files=known.whole_files)
        if partitions is not None:
            entry["spread_to"] = partitions  # read as fewer parts than its text needs: see byod.sources.spread
    if described and all(d.get("files", 1) > 0 and d.get("bytes", 1) == 0 for d in described):
        raise InputError("every input file is empty: nothing to do")
    return described


def _fingerprint(files: list[tuple[str, int, int]]) -> str:
    """What the inputs were (paths, sizes, modification times): a resumed run must see the same."""
    text = "\n".join(f"{path}\t{size}\t{mtime}" for path, size, mtime in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def input_paths(sources: Sequence[Any]) -> list[str]:
    """Every file-like input path of a job's sources (tables and hub datasets are names, not paths)."""
    from byod.sources.spec import source_format

    return [str(p) for spec in sources if source_format(spec.format).reads_files for p in spec.paths]


class JobContext:
    """A running job: its config, run layout (every output path), Spark session and report."""

    def __init__(self, job: str, config: Any, origin: str):
        self.job = job
        self.config = config
        self.origin = origin
        plain = to_plain(config)
        # the settings a resumed run must share with the attempt it continues (not how it is run)
        settings = {k: v for k, v in plain.items() if k not in HOW_TO_RUN}
        self.layout = RunLayout(str(config.output), job=job, config_hash=config_hash(settings))
        self.output = self.layout.output
        self.secrets = config_secrets(config)
        self.report = RunReport(job=job, config=mask_config(config), secrets=self.secrets)
        self.report.run_id = self.layout.run_id
        self._spark = None

    @property
    def work_dir(self) -> str:
        return self.layout.work_dir

    @property
    def spark(self):
        if self._spark is None:
            from byod.spark import get_spark

            self._spark = get_spark(conf=to_plain(self.config.spark_conf) or None, progress=self.config.progress)
        return self._spark

    def read_sources(self, sources: Sequence[Any]):
        """One document frame from every configured source (see :mod:`byod.sources`)."""
        from byod.sources.spec import read_one_source, read_sources
        from byod.sources.spread import spread

        spread_to = {entry["name"]: entry.get("spread_to") for entry in self.report.inputs or []}

        def read_one(spark, fmt, target, name, options):
            return spread(read_one_source(spark, fmt, target, name, options), spread_to.get(name))

        return read_sources(self.spark, sources, work_dir=self.work_dir, read_one=read_one)

    def run_pipeline(self, docs, stages: Sequence[Stage]) -> PipelineResult:
        result = Pipeline(stages).run(docs, work_dir=self.work_dir, quarantine_dir=self.layout.quarantine_root,
                                      report=self.report, progress=self.config.progress,
                                      resume=self.layout.resumed)
        if result.counts["totals"]["in"] == 0:
            raise InputError("no documents were read from the inputs: nothing to do")
        losses = total_losses(result.counts)
        if losses and not self.config.allow_total_loss:
            raise AccountingError(f"{losses[0]}{f' (and {len(losses) - 1} more)' if len(losses) > 1 else ''}; "
                                  "nothing was published. If that is expected, pass allow_total_loss=true")
        self.report.extra["examples"] = drop_examples(result.annotated)
        return result

    def write_mds(self, kept, sink: Any) -> dict[str, Any]:
        """Tokenize, pack and write through ``sink`` (a PretrainMDSSink) into the staged ``mds`` folder."""
        started = time.perf_counter()
        with progress_step(self.spark, "write MDS", total_documents=self.report.counts.get("totals", {}).get("kept"),
                           enabled=self.config.progress):
            figures = sink.write_to(kept, self.layout.mds_dir)
        seconds = time.perf_counter() - started
        self.report.time_step("write-mds", [sink.tokenize.name, "WriteMDS"], seconds)
        self.set_output(figures)
        packing = self.report.output.get("packing") or {}
        if packing.get("tokens_by_source"):
            self.report.output["tokens_by_source"] = dict(sorted(packing["tokens_by_source"].items()))
        log.info("wrote %d samples, %d tokens in %.1f s (%.0f tokens/s)", figures["samples"], figures["tokens"],
                 seconds, figures["tokens"] / seconds if seconds > 0 else 0.0)
        return self.report.output

    def write_documents(self, result: PipelineResult, sink: Any) -> dict[str, Any]:
        """Kept documents through a DocumentsSink into the staged ``documents`` folder (and, when the sink
        asks for them, the dropped ones into ``dropped``)."""
        started = time.perf_counter()
        figures = sink.write_to(result.kept, self.layout.documents_dir)
        if sink.dropped:
            dropped = sink.write_dropped(result.annotated, self.layout.dropped_dir, result.kept.columns)
            if dropped["documents"] != self.report.counts["totals"]["dropped"]:
                raise AccountingError(f"the documents sink wrote {dropped['documents']:,} dropped documents, the run "
                                      f"counted {self.report.counts['totals']['dropped']:,}")
            figures["dropped"] = _public_paths(dropped, self.layout.staging, self.layout.output)
        self.report.time_step("write-documents", [type(sink).__name__], time.perf_counter() - started)
        self.report.extra["documents"] = _public_paths(figures, self.layout.staging, self.layout.output)
        return self.report.extra["documents"]

    def set_output(self, figures: dict[str, Any]) -> None:
        """The writer's figures for the report, with staged paths named as they will be once published."""
        self.report.output = _public_paths(figures, self.layout.staging, self.layout.output)

    def finish(self) -> dict[str, Any]:
        """Check the accounting, write report.json and report.html (staged); publication comes after."""
        report = self.report.write(self.layout.report_dir, spark_version=self.spark.version)
        try:
            from byod.report_html import write_html

            write_html(report, self.layout.report_dir)
        except ImportError as error:  # matplotlib is an extra; the JSON report is what counts
            log.warning("report.html not written (%s); pip install 'byod[report]'", error)
        return report


def total_losses(counts: dict[str, Any]) -> list[str]:
    """Sources that lost every document to one reason: a broken input or rule, rarely what a user wants."""
    found = []
    for name, figures in counts["sources"].items():
        reasons = {**figures["dropped_by_reason"], **figures["rejected_by_reason"]}
        found += [f"source '{name}' lost all {figures['in']:,} of its documents to {reason}"
                  for reason, count in reasons.items() if figures["in"] and count == figures["in"]]
    return found


def _public_paths(value: Any, staged: str, public: str) -> Any:
    if isinstance(value, str) and value.startswith(staged):
        return public + value[len(staged):]
    if isinstance(value, dict):
        return {k: _public_paths(v, staged, public) for k, v in value.items()}
    if isinstance(value, list):
        return [_public_paths(v, staged, public) for v in value]
    return value


def storage_error(error: BaseException, output: str) -> OutputError | None:
    """A full disk or a refused write, wherever it surfaced (Python or a Spark task), as one line."""
    texts = [str(error)] + ([error.strerror] if isinstance(error, OSError) and error.strerror else [])
    for marker, what in (("No space left on device", "the disk is full"),
                         ("Disk quota exceeded", "the disk quota is exceeded"),
                         ("Read-only file system", "the file system is read-only")):
        if any(marker in text for text in texts):
            return OutputError(f"{what} while writing {output}; the run stopped and published nothing, the "
                               "previous results are untouched (free space and run again)")
    return None


def parse_args(job: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"jobs/{job}.py", description=f"Run the byod job {job}.")
    parser.add_argument("--config", help="YAML file with the job's settings (defaults apply to the rest)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="settings that win over the file")
    return parser.parse_intermixed_args(argv)


Plan = Callable[[Any, str], Any]
Run = Callable[[Any, JobContext, Any], dict[str, Any]]


def execute(job: str, schema: type, plan: Plan, run: Run, *, config: str | None = None,
            overrides: Any = None) -> dict[str, Any]:
    """Validate everything that can be validated (config, stages, inputs, output), then run and publish.

    ``plan(cfg, origin)`` builds the stages from the config before Spark starts, so a bad stage
    parameter is a one-line error; ``run(cfg, ctx, planned)`` does the work and returns the report,
    written under the run's staging folder; only a run that returns is published (see byod.layout).
    """
    origin = config or "defaults"
    if not (isinstance(schema, type) and issubclass(schema, JobConfig)):
        raise ConfigError(f"job '{job}': its Config must subclass byod.job.JobConfig (the settings every job has)")
    cfg = load_config(schema, config, overrides)
    with masking(config_secrets(cfg)):  # secret config values never reach a log line or an error message
        planned = plan(cfg, origin)
        ctx = JobContext(job, cfg, origin)
        for index, spec in enumerate(cfg.sources):
            check_name(spec.name, f"{origin}: key 'sources[{index}].name': source")
        ctx.report.inputs = check_inputs(cfg.sources, origin)
        check_output_vs_inputs(ctx.output, input_paths(cfg.sources))
        inputs = config_hash([entry.get("fingerprint") for entry in ctx.report.inputs])
        return _run_and_publish(ctx, lambda: run(cfg, ctx, planned), overwrite=bool(cfg.overwrite),
                                resume=bool(cfg.resume), inputs=inputs)


def _run_and_publish(ctx: JobContext, work: Callable[[], dict[str, Any]], *, overwrite: bool, resume: bool,
                     inputs: str) -> dict[str, Any]:
    """Hold the output's lease for the whole run; publish only a finished run, else leave the folder as it was."""
    layout = ctx.layout.begin(overwrite=overwrite, resume=resume, inputs=inputs)
    ctx.report.run_id = layout.run_id
    ctx.report.resumed_from = layout.run_id if layout.resumed else None
    try:
        report = work()
        layout.publish()
    except BaseException as error:
        layout.abandon()
        translated = storage_error(error, layout.output)
        if translated is not None:
            raise translated from error
        if not isinstance(error, ByodError):  # a user error's own line says enough
            log.warning("run %s failed: nothing was published, %s is as it was", layout.run_id, layout.output)
        raise
    finally:
        layout.end()
    log.info("published run %s to %s", layout.run_id, layout.output)
    return report


def main(job: str, schema: type, plan: Plan, run: Run, argv: Sequence[str] | None = None) -> int:
    """Entry point of a job script: one-line errors and exit code 2 for anything the user can fix."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(job, argv if argv is not None else sys.argv[1:])
    try:
        report = execute(job, schema, plan, run, config=args.config, overrides=args.overrides)
    except (Exception, KeyboardInterrupt) as error:  # the same one-line errors and exit codes as `byod run`
        from byod.cli import report_error

        return report_error(error, debug=bool(os.environ.get("BYOD_DEBUG")))
    from byod.progress import summary_text

    print(summary_text(report))
    return 0
