"""The ``byod`` command: run a job, list jobs, and look at what a run wrote."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from byod.errors import ByodError

DESCRIPTION = """byod turns raw text into LLM training data on Spark (local or a cluster).

examples:
  byod run c4_arxiv                                 run the main job on the sample data
  byod run c4_arxiv --config my.yaml output=/tmp/o  a config file plus overrides
  byod jobs                                         list the jobs byod can find
  byod validate out/c4_arxiv/mds                    check every shard of an MDS dataset
  byod inspect out/c4_arxiv/mds --tokenizer DIR     counts, columns and the first samples decoded
  byod report out/c4_arxiv                          re-render report.html from report.json
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="byod", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print byod's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a job from jobs/ on the active or a local Spark session",
                         description="Run a job from jobs/ on the active Spark session, or on a local one. "
                                     "Settings come from the job's defaults, then --config, then key=value.")
    run.add_argument("job", help="job name, e.g. c4_arxiv (see `byod jobs`)")
    run.add_argument("--config", help="YAML file with the job's settings")
    run.add_argument("overrides", nargs="*", metavar="key=value", help="settings that win over the file, "
                     "e.g. output=/tmp/out overwrite=true")
    sub.add_parser("jobs", help="list the jobs byod can find")
    report = sub.add_parser("report", help="re-render report.html from a run's report.json")
    report.add_argument("output", help="the run's output folder (holding report.json)")
    validate = sub.add_parser("validate", help="check an MDS dataset: shards, hashes, sample counts")
    validate.add_argument("mds", help="folder holding index.json")
    validate.add_argument("--vocab-size", type=int, default=None, help="token ids must be below this")
    inspect = sub.add_parser("inspect", help="print shard/sample counts, columns, and decode samples")
    inspect.add_argument("mds", help="folder holding index.json")
    inspect.add_argument("--tokenizer", default=None, help="tokenizer folder/file/name to decode tokens")
    inspect.add_argument("-n", "--samples", type=int, default=3, help="samples to print (default 3)")
    return parser


def _run(args: argparse.Namespace) -> int:
    from byod.runner import run_job

    report = run_job(args.job, config=args.config, overrides=args.overrides)
    from byod.progress import summary_text

    print(summary_text(report))
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
            text = shown if isinstance(shown, str) else json.dumps(shown.tolist() if hasattr(shown, "tolist") else shown)
            lines.append(f"--- sample {number} {name}: {text[:chars]!r}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # `run JOB --config F k=v`: overrides after an option land here; anything else is an error
        if args.command != "run" or any(item.startswith("-") for item in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = [*args.overrides, *extra]
    if args.version:
        from byod import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "jobs":
            from byod.runner import available_jobs

            for name, path in available_jobs().items():
                print(f"{name}\t{path}")
            return 0
        if args.command == "report":
            from byod.report_html import render_report

            print(render_report(args.output))
            return 0
        if args.command == "validate":
            from byod.mds.validate import validate_mds

            print(json.dumps(validate_mds(args.mds, vocab_size=args.vocab_size), indent=2))
            return 0
        if args.command == "inspect":
            print(_inspect(args.mds, args.tokenizer, args.samples))
            return 0
    except ByodError as error:
        print(f"byod: error: {error}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
