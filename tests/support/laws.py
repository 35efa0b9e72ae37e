"""Test laws: the production limits, with opinion windows also given in seconds so that
a deadline can lie a few seconds ahead (never used outside tests)."""

from __future__ import annotations


def seconds_law(*, info_seconds: int = 4, press_seconds: int = 8) -> str:
    return f"""
[[disclosure_reply]]
effective_from = 2008-05-01
working_days = 15
basis = "test"

[[policy_interpretation]]
effective_from = 2004-01-01
working_days = 3
basis = "test"

[[opinion_response]]
effective_from = 2004-01-01
levels = ["especially_major", "major"]
authoritative_info_hours = 5
press_conference_hours = 24
authoritative_info_seconds = {info_seconds}
press_conference_seconds = {press_seconds}
basis = "test law: the same windows in seconds"
"""
