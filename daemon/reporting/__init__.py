"""Read-only views of incidents: plain dicts, SOP phases, cadence adherence, reviews, stats.

Nothing here changes the store; the lifecycle does that.
"""
