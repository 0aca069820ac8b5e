"""Parameter checks the quality filters share: fractions and counts, where ``None`` turns a rule off."""

from __future__ import annotations


def check_ratio(name: str, value: float | None) -> None:
    """A fraction in [0, 1] or None; raises ValueError naming the parameter and the value."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
        raise ValueError(f"{name} must be a fraction in [0, 1] or None (rule off), got {value!r}")


def check_count(name: str, value: float | None) -> None:
    """A non-negative number or None; raises ValueError naming the parameter and the value."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
        raise ValueError(f"{name} must be a non-negative number or None (rule off), got {value!r}")
