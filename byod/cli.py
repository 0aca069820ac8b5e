"""The ``byod`` command: run a job, list jobs, and look at what a run wrote."""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import platform
import sys
import traceback
from collections.abc import Sequence

from byod.errors import ByodError, ConfigError, InputError, MDSFormatError

DESCRIPTION = """byod turns raw text into LLM training data on Spark (local or a cluster).

examples:
  byod run c4_arxiv                                 run the main job on the sample data
  byod run c4_arxiv --config my.yaml output=/tmp/o  a config file plus overrides
  byod jobs                                         list the jobs byod can find
  byod validate out/c4_arxiv/mds                    check every shard of an MDS dataset
  byod inspect out/c4_arxiv/mds --tokenizer DIR     counts, columns and the first samples decoded
  byod report out/c4_arxiv                          re-render report.html from report.json
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``byod: error: <what>; see 'byod run --help'`` and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"byod: error: {message}; see '{self.prog} --help'\n")


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (``byod -q run ...``, ``byod run ... -q``).

    Defaults are suppressed so a subcommand's parser never resets what was given before its name; one
    instance per parser, since argparse shares parent actions (and their defaults) between children.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="more log output (-v: debug, -vv: also Spark's Python bridge)")
    common.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS,
                        help="less log output (-q: warnings only, -qq: errors only)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the Python traceback of an error")
    return common


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="byod", description=DESCRIPTION, parents=[_common()],
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-V", "--version", action="store_true",
                        help="print the byod, Spark and Python versions and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", parents=[_common()],
                         help="run a job from jobs/ on the active or a local Spark session",
                         description="Run a job from jobs/ on the active Spark session, or on a local one. "
                                     "Settings come from the job's defaults, then --config, then key=value.")
    run.add_argument("job", help="job name, e.g. c4_arxiv (see `byod jobs`)")
    run.add_argument("--config", help="YAML file with the job's settings")
    run.add_argument("overrides", nargs="*", metavar="key=value", help="settings that win over the file, "
                     "e.g. output=/tmp/out overwrite=true")
    sub.add_parser("jobs", parents=[_common()], help="list the jobs byod can find")
    report = sub.add_parser("report", parents=[_common()], help="re-render report.html from a run's report.json")
    report.add_argument("output", help="the run's output folder (holding report.json), or the report.json file")
    validate = sub.add_parser("validate", parents=[_common()],
                              help="check an MDS dataset: shards, hashes, sample counts")
    validate.add_argument("mds", help="folder holding index.json")
    validate.add_argument("--vocab-size", type=int, default=None, help="token ids must be below this")
    inspect = sub.add_parser("inspect", parents=[_common()],
                             help="print shard/sample counts, columns, and decode samples")
    inspect.add_argument("mds", help="folder holding index.json")
    inspect.add_argument("--tokenizer", default=None, help="tokenizer folder/file/name to decode tokens")
    inspect.add_argument("-n", "--samples", type=int, default=3, help="samples to print (default 3)")
    return parser


def version_text() -> str:
    """``byod X (Spark Y, Python Z)``; Spark's version comes from the pyspark package, no session is started."""
    from byod import __version__

    try:
        import pyspark

        spark = pyspark.__version__
    except ImportError:
        spark = "not installed"
    return f"byod {__version__} (Spark {spark}, Python {platform.python_version()})"


def first_line(error: BaseException, chars: int = 300) -> str:
    """The first non-empty line of an error's message (a Java error's own message, not py4j's preamble)."""
    text = str(error)
    java = getattr(error, "java_exception", None)
    if java is not None:
        try:
            text = str(java.toString())
        except Exception:  # noqa: BLE001 - the gateway may be gone; fall back to the Python text
            pass
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:chars] if lines else ""


def unknown_job_message(job: str, jobs: Sequence[str]) -> str:
    """``unknown job 'c4_arxv'; did you mean 'c4_arxiv'? available: c4_arxiv, ft_data_prep``."""
    close = difflib.get_close_matches(job, list(jobs), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown job '{job}'{hint} available: {', '.join(sorted(jobs)) or 'none'} (see `byod jobs`)"


def _configure_logging(verbose: int, quiet: int) -> None:
    """INFO by default; -v DEBUG; -q WARNING, -qq ERROR. Py4J and matplotlib stay at WARNING below -vv."""
    level = {0: logging.INFO, 1: logging.WARNING}.get(quiet, logging.ERROR) if quiet else (
        logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    for noisy in ("py4j", "matplotlib"):
        logging.getLogger(noisy).setLevel(level if verbose >= 2 else max(level, logging.WARNING))


def _run(args: argparse.Namespace) -> int:
    from byod.runner import available_jobs, run_job

    jobs = available_jobs()
    if args.job not in jobs:
        raise ConfigError(unknown_job_message(args.job, list(jobs)))
    report = run_job(args.job, config=args.config, overrides=args.overrides)
    from byod.progress import summary_text

    print(summary_text(report))
    return 0


def _report(output: str) -> int:
    from byod.report_html import render_report

    try:
        print(render_report(output))
    except ByodError:
        raise
    except (OSError, ValueError) as error:  # missing file, unreadable, not JSON (JSONDecodeError is a ValueError)
        raise InputError(f"cannot read the report at {output}: {type(error).__name__}: {first_line(error)}") from error
    return 0


def _dataset_command(args: argparse.Namespace) -> int:
    """validate / inspect: anything wrong with the dataset on disk is the user's one-line error."""
    try:
        if args.command == "validate":
            from byod.mds.validate import validate_mds

            print(json.dumps(validate_mds(args.mds, vocab_size=args.vocab_size), indent=2))
        else:
            print(_inspect(args.mds, args.tokenizer, args.samples))
    except ByodError:
        raise
    except Exception as error:  # noqa: BLE001 - a malformed dataset must not surface as a traceback
        raise MDSFormatError(f"{args.mds}: not a readable MDS dataset: {type(error).__name__}: "
                             f"{first_line(error)}") from error
    return 0


def _inspect(mds: str, tokenizer: str | None, samples: int, chars: int = 400) -> str:
    """Shards, samples, tokens and columns of a dataset, then its first samples decoded."""
    from byod.mds.index import read_index
    from byod.mds.reader import iter_samples
    from byod.mds.validate import validate_mds

    summary = validate_mds(mds, tokenizer=tokenizer, decode_samples=0)
    index = read_index(mds)
    encodings = {n: e for n, e in zip(index["shards"][0]["column_names"], index["shards"][0]["column_encodings"])} \
        if index["shards"] else {}
    lines = [f"{mds}: {summary['shards']} shards, {summary['samples']:,} samples, {summary['tokens']:,} tokens",
             f"columns: {encodings}"]
    tok = None
    if tokenizer is not None:
        from byod.tokenizers import TokenizerSpec, load_tokenizer, prepare_tokenizer

        tok = load_tokenizer(prepare_tokenizer(TokenizerSpec(name=tokenizer)))
    for number, sample in enumerate(iter_samples(mds)):
        if number >= samples:
            break
        for name, value in sample.items():
            shown = tok.decode(value.tolist()) if tok is not None and hasattr(value, "tolist") else value
            plain = shown.tolist() if hasattr(shown, "tolist") else shown
            text = shown if isinstance(shown, str) else json.dumps(plain)
            lines.append(f"--- sample {number} {name}: {text[:chars]!r}")
    return "\n".join(lines)


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "run":
        return _run(args)
    if args.command == "jobs":
        from byod.runner import available_jobs

        for name, path in available_jobs().items():
            print(f"{name}\t{path}")
        return 0
    if args.command == "report":
        return _report(args.output)
    if args.command in ("validate", "inspect"):
        return _dataset_command(args)
    parser.print_help()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 done, 2 a user error (one line; the traceback with --debug), 1 a failure, 130 interrupted."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # `run JOB --config F k=v`: overrides after an option land here; anything else is an error
        if args.command != "run" or any(item.startswith("-") for item in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = [*args.overrides, *extra]
    if args.version:
        print(version_text())
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    _configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", 0))
    try:
        return _dispatch(args, parser)
    except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001 - the last line of defence
        return report_error(error, debug=debug)


def report_error(error: BaseException, *, debug: bool = False) -> int:
    """Print one line for ``error`` (after its traceback when ``debug``); return the exit code.

    2 for a :class:`ByodError` (the user can fix it), 130 for Ctrl-C, 1 for anything else. Job scripts
    can call this from their own ``main`` so ``spark-submit jobs/<job>.py`` fails the same way.
    """
    if isinstance(error, KeyboardInterrupt):
        print("byod: interrupted", file=sys.stderr)
        return 130
    if debug:
        traceback.print_exception(error)
    if isinstance(error, ByodError):
        print(f"byod: error: {error}", file=sys.stderr)
        return 2
    hint = "" if debug else " (rerun with --debug for the traceback)"
    print(f"byod: error: {type(error).__name__}: {first_line(error)}{hint}", file=sys.stderr)
    return 1

if __name__ == "__main__":
    sys.exit(main())
