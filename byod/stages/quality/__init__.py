"""Quality filters with the rules, defaults and order of DataTrove 0.9.0: C4, Gopher and FineWeb."""

from byod.stages.quality.c4 import C4QualityFilter
from byod.stages.quality.fineweb import FineWebQualityFilter
from byod.stages.quality.gopher import GopherQualityFilter, GopherRepetitionFilter

__all__ = ["C4QualityFilter", "FineWebQualityFilter", "GopherQualityFilter", "GopherRepetitionFilter"]
