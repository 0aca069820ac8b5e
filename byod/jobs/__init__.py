"""The jobs byod ships, importable from the installed wheel: ``byod run c4_arxiv`` needs no checkout.

Each module declares a ``Config`` dataclass, ``plan(cfg, origin)`` and ``run(cfg, ctx, planned)``;
``jobs/<name>.py`` at the repository root are thin ``spark-submit`` entry points over them.
"""

BUILTIN_JOBS = ("c4_arxiv", "ft_data_prep")
