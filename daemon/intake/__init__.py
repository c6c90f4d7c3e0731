"""Intake: authenticate, bound, store the raw report, acknowledge. Nothing else."""
