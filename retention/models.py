"""Retention figures, health scores and risk flags (see retention/metrics.py)."""
