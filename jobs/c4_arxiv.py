"""c4_arxiv: C4-style web pages and arXiv LaTeX -> cleaned, filtered, deduplicated, packed MDS shards.

    spark-submit jobs/c4_arxiv.py [--config FILE] [key=value ...]     or     byod run c4_arxiv ...

The job itself lives in byod/jobs/c4_arxiv.py (so an installed wheel has it); this file is its entry point.
"""

import sys

from byod.job import main
from byod.jobs.c4_arxiv import Config, plan, run

__all__ = ["Config", "plan", "run"]

if __name__ == "__main__":
    sys.exit(main("c4_arxiv", Config, plan, run))
