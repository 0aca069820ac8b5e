"""Sinks end a run: they write the kept documents under the run's layout and return what they wrote."""

from byod.sinks.documents import DocumentsSink
from byod.sinks.mds_finetune import FinetuneMDSSink
from byod.sinks.mds_pretrain import PretrainMDSSink, split_column

__all__ = ["DocumentsSink", "FinetuneMDSSink", "PretrainMDSSink", "split_column"]
