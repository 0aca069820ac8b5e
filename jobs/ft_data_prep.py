"""ft_data_prep: prompt/response pairs and chats -> validated, deduplicated, tokenized finetuning MDS.

    spark-submit jobs/ft_data_prep.py [--config FILE] [key=value ...]     or     byod run ft_data_prep ...

The job itself lives in byod/jobs/ft_data_prep.py (so an installed wheel has it); this file is its entry point.
"""

import sys

from byod.job import main
from byod.jobs.ft_data_prep import Config, plan, run

__all__ = ["Config", "plan", "run"]

if __name__ == "__main__":
    sys.exit(main("ft_data_prep", Config, plan, run))
