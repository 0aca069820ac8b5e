"""byod: bring your own data. Composable PySpark stages that turn raw text into LLM training data."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Pipeline", "documents", "run_local", "run_byod_with_DABs", "run_byod_with_jobAPI", "__version__"]


def __getattr__(name: str):
    # Lazy, so `import byod` stays cheap and pulls neither Spark nor the Databricks SDK.
    if name == "documents":
        from byod.contract import documents

        return documents
    if name == "Pipeline":
        from byod.pipeline import Pipeline

        return Pipeline
    if name in ("run_local", "run_byod_with_DABs", "run_byod_with_jobAPI"):
        import byod.workflow as workflow

        return getattr(workflow, name)
    raise AttributeError(f"module 'byod' has no attribute {name!r}")
