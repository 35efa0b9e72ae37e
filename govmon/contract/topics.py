"""Topic names and their layout: created explicitly by the project, never auto-created."""

from __future__ import annotations

from dataclasses import dataclass

from govmon.contract.events import GovEvent

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int  # -1: keep forever (the year's record must be replayable)
    compacted: bool = False


RAW = TopicSpec("gov.events.raw", 6, 30 * DAY_MS)
DLQ = TopicSpec("gov.events.dlq", 1, 90 * DAY_MS)
# Family topics keep the whole assessment year and the next (audits go back a year).
APPLICATIONS = TopicSpec("gov.applications.v1", 6, 800 * DAY_MS)
OPINIONS = TopicSpec("gov.opinions.v1", 3, 800 * DAY_MS)
POLICIES = TopicSpec("gov.policies.v1", 3, 800 * DAY_MS)
DATASHARE = TopicSpec("gov.datashare.v1", 3, 800 * DAY_MS)
UNITS = TopicSpec("gov.units.v1", 3, 800 * DAY_MS)
TIMELINESS = TopicSpec("gov.timeliness.v1", 6, 800 * DAY_MS)
SCORES = TopicSpec("gov.scores.v1", 3, 800 * DAY_MS)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    RAW, DLQ, APPLICATIONS, OPINIONS, POLICIES, DATASHARE, UNITS, TIMELINESS, SCORES,
)
FAMILY_TOPICS: tuple[TopicSpec, ...] = (APPLICATIONS, OPINIONS, POLICIES, DATASHARE, UNITS)


def route(event: GovEvent) -> tuple[TopicSpec, str]:
    """Family topic and partition key of an event.

    Items are keyed by their own id (case, incident, policy, task) because the
    follow-up events (replied, responded, ...) carry only that id: keying by it keeps
    every event of one item on one partition, in order.  Unit-level facts key by unit.
    """
    family, _, _ = event.__struct_config__.tag.partition(".")[2].partition(".")  # type: ignore[union-attr]
    data = event.data
    if family == "application":
        return APPLICATIONS, data.case_id  # type: ignore[union-attr]
    if family == "opinion":
        return OPINIONS, data.incident_id  # type: ignore[union-attr]
    if family == "policy":
        return POLICIES, data.policy_id  # type: ignore[union-attr]
    if family == "datashare":
        return DATASHARE, data.task_id  # type: ignore[union-attr]
    return UNITS, data.unit_id  # type: ignore[union-attr]


# Consumer groups of the pipeline and what they read, in flow order: `produce --wait`
# returns once each group has committed the end of each of its topics.
TIMELINESS_INPUTS: tuple[TopicSpec, ...] = (APPLICATIONS, OPINIONS, POLICIES, DATASHARE)
SCORING_INPUTS: tuple[TopicSpec, ...] = (TIMELINESS, UNITS)

PIPELINE: tuple[tuple[str, tuple[TopicSpec, ...]], ...] = (
    ("govmon-ingest", (RAW,)),
    # Timeliness commits an offset only after the consequences of the event (its item's
    # verdict, and in event-time mode the deadlines the event's time passed) are
    # published: once it has no lag, scoring's input is complete.
    ("govmon-timeliness", TIMELINESS_INPUTS),
    ("govmon-scoring", SCORING_INPUTS),
)
