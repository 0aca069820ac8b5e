"""byod's exception hierarchy: one base, one class per kind of failure a user must act on."""

from __future__ import annotations


class ByodError(Exception):
    """Raised for any failure byod reports to the user; the message says what to fix."""


class ConfigError(ByodError, ValueError):
    """Raised when a job configuration or override is invalid (the message names the key and file)."""


class InputError(ByodError, ValueError):
    """Raised when an input path is missing, empty or unreadable before any work starts."""


class SchemaError(ByodError, ValueError):
    """Raised when a DataFrame lacks a column a stage needs, or already has one it would write."""


class MDSFormatError(ByodError):
    """Raised when an MDS dataset on disk does not match its index, hashes or declared columns."""


class OutputError(ByodError):
    """Raised when an output folder cannot be used: unsafe, not byod's, busy, or not writable."""


class OutputExistsError(OutputError):
    """Raised when an output folder is not empty and overwrite was not asked for."""


class LeaseHeldError(OutputError):
    """Raised when another run holds the output folder's lease (one run per output at a time)."""


class AccountingError(ByodError):
    """Raised when documents in != kept + dropped + rejected: a run must never lose a document silently."""


class WorkflowError(ByodError):
    """Raised when a Databricks bundle or Jobs API step fails; carries the step and its output."""


class ResumeError(ByodError):
    """Raised when an interrupted run cannot be resumed: its settings or inputs are not the ones given now."""
