#!/usr/bin/env python3
"""Stand-in for the Databricks CLI (a Go binary not available here): records its argv, then acts as told.

Tests copy it to ``<tmp>/bin/databricks`` (first on PATH) with the test interpreter as its shebang.
Controlled by environment variables:
  FAKE_DATABRICKS_LOG        file to append one JSON line per call: {"argv": [...], "cwd": "..."}
  FAKE_DATABRICKS_FAIL_STEP  "deploy" or "run": that step exits with FAKE_DATABRICKS_EXIT_CODE (default 1)
  FAKE_DATABRICKS_SLEEP_S    seconds to sleep before answering (to test timeouts)
  FAKE_DATABRICKS_RUN_URL    URL printed by `bundle run` as "Run URL: ..." (on stderr, as the CLI does)
  FAKE_DATABRICKS_ECHO_TOKEN "1": print DATABRICKS_TOKEN (to prove byod masks it)
  FAKE_DATABRICKS_LEGACY     "1": answer like the legacy PyPI databricks-cli, which has no `bundle` command
"""

import json
import os
import sys
import time


def main() -> int:
    argv = sys.argv[1:]
    log = os.environ.get("FAKE_DATABRICKS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"argv": argv, "cwd": os.getcwd()}) + "\n")
    time.sleep(float(os.environ.get("FAKE_DATABRICKS_SLEEP_S", "0")))
    if os.environ.get("FAKE_DATABRICKS_LEGACY") == "1":
        print("Usage: databricks [OPTIONS] COMMAND [ARGS]...\nError: No such command 'bundle'.", file=sys.stderr)
        return 2
    step = argv[1] if len(argv) > 1 and argv[0] == "bundle" else "?"
    if os.environ.get("FAKE_DATABRICKS_ECHO_TOKEN") == "1":
        print(f"using token {os.environ.get('DATABRICKS_TOKEN', '')}")
    if os.environ.get("FAKE_DATABRICKS_FAIL_STEP") == step:
        print(f"Error: fake {step} failure", file=sys.stderr)
        return int(os.environ.get("FAKE_DATABRICKS_EXIT_CODE", "1"))
    if step == "deploy":
        print("Uploading bundle files...\nDeploying resources...\nDeployment complete!", file=sys.stderr)
    elif step == "run":
        url = os.environ.get("FAKE_DATABRICKS_RUN_URL")
        if url:
            print(f"Run URL: {url}", file=sys.stderr)
        print("TERMINATED SUCCESS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
