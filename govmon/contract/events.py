"""Event contract v1: one CloudEvents 1.0 model per event type.

Each event is a msgspec Struct tagged by its CloudEvents ``type`` so that one
``decode`` both validates the envelope and the data and picks the model.  msgspec
rather than pydantic because replay must sustain >150k events/s on one core, and
because its errors name the exact path (``at `$.data.unit_id```) of what is wrong.

Names are past tense, from the domain; field names follow the issue's table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

NonEmpty = Annotated[str, Meta(min_length=1, max_length=200)]
AwareTime = Annotated[datetime, Meta(tz=True)]  # RFC 3339 with an offset; naive is refused
# Instants the rules can work with: outside them a year (of Shanghai time) could not be
# computed or printed, and one such event would stop every consumer of its partition.
# The compiled scanner (native/src/instant.rs) leaves anything near them to Python.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive


def in_range(field: str, value: datetime) -> None:
    """Refuse ``value`` (of ``field``) outside [EARLIEST, LATEST)."""
    # Its own year settles all but the first and last years (an offset is under a day):
    # comparing aware datetimes of different offsets costs ~1.3 us, 4-7 % of what
    # ingest and timeliness spend on an event, which each pass here.
    if EARLIEST.year < value.year < LATEST.year - 1:
        return
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"{field} {value.isoformat()} is a datetime outside the supported "
                         f"range, {EARLIEST:%Y-%m-%dT%H:%M:%SZ} up to "
                         f"{LATEST:%Y-%m-%dT%H:%M:%SZ}")


PositiveDays = Annotated[int, Meta(ge=1, le=366)]
Points = Annotated[float, Meta(ge=0, le=100)]

Category = Literal["county", "municipal"]
ApplicationKind = Literal["disclosure", "service"]
DisputeKind = Literal["reconsideration", "litigation"]
OpinionLevel = Literal["especially_major", "major", "large", "general"]
OpinionAction = Literal["authoritative_info", "press_conference"]


class _Data(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every ``data`` payload: unknown fields are refused (a typo is an error)."""


# --- data payloads -----------------------------------------------------------------


class UnitRegisteredData(_Data, frozen=True):
    unit_id: NonEmpty
    name: NonEmpty
    category: Category


class ApplicationReceivedData(_Data, frozen=True):
    case_id: NonEmpty
    unit_id: NonEmpty
    kind: ApplicationKind
    limit_days: PositiveDays | None = None  # required for `service`; checked in validate


class ApplicationExtendedData(_Data, frozen=True):
    case_id: NonEmpty
    extra_days: PositiveDays


class ApplicationSuspendedData(_Data, frozen=True):
    case_id: NonEmpty
    reason: NonEmpty


class ApplicationResumedData(_Data, frozen=True):
    case_id: NonEmpty
    reason: NonEmpty


class ApplicationCaseData(_Data, frozen=True):
    """corrected / replied / withdrawn carry only the case."""

    case_id: NonEmpty


class ApplicationDisputedData(_Data, frozen=True):
    dispute_id: NonEmpty
    case_id: NonEmpty
    unit_id: NonEmpty
    kind: DisputeKind
    liable: bool


class OpinionDetectedData(_Data, frozen=True):
    incident_id: NonEmpty
    unit_id: NonEmpty
    level: OpinionLevel


class OpinionRespondedData(_Data, frozen=True):
    incident_id: NonEmpty
    action: OpinionAction


class PolicyIssuedData(_Data, frozen=True):
    policy_id: NonEmpty
    unit_id: NonEmpty


class PolicyInterpretedData(_Data, frozen=True):
    policy_id: NonEmpty
    by_principal: bool


class DatashareAssignedData(_Data, frozen=True):
    task_id: NonEmpty
    unit_id: NonEmpty
    due: AwareTime
    datasets: Annotated[list[NonEmpty], Meta(min_length=1, max_length=1000)]

    def __post_init__(self) -> None:
        in_range("due", self.due)


class DatashareDeliveredData(_Data, frozen=True):
    task_id: NonEmpty
    datasets: Annotated[list[NonEmpty], Meta(min_length=1, max_length=1000)]


class ReportSubmittedData(_Data, frozen=True):
    report_id: NonEmpty
    unit_id: NonEmpty


class InspectionFindingData(_Data, frozen=True):
    finding_id: NonEmpty
    unit_id: NonEmpty
    indicator: NonEmpty
    points: Points
    note: Annotated[str, Meta(max_length=2000)]


# --- envelopes ---------------------------------------------------------------------


class _Envelope(
    Struct,
    frozen=True,
    tag_field="type",
    forbid_unknown_fields=False,
    kw_only=True,
    omit_defaults=True,
):
    """CloudEvents 1.0 context attributes.

    ``time`` is required here (CloudEvents makes it optional) because every rule is
    judged on when things happened.  Unknown extension attributes are allowed, as
    CloudEvents permits them.
    """

    specversion: Literal["1.0"]
    id: NonEmpty
    source: Annotated[str, Meta(min_length=1, max_length=500)]
    time: AwareTime
    subject: str | None = None
    datacontenttype: str | None = None
    dataschema: str | None = None

    def __post_init__(self) -> None:
        in_range("time", self.time)

    @property
    def key(self) -> tuple[str, str]:
        """Identity of a delivery: CloudEvents says ``source`` + ``id`` is unique."""
        return (self.source, self.id)


class UnitRegistered(_Envelope, frozen=True, tag="gov.unit.registered"):
    data: UnitRegisteredData


class ApplicationReceived(_Envelope, frozen=True, tag="gov.application.received"):
    data: ApplicationReceivedData


class ApplicationExtended(_Envelope, frozen=True, tag="gov.application.extended"):
    data: ApplicationExtendedData


class ApplicationSuspended(_Envelope, frozen=True, tag="gov.application.suspended"):
    data: ApplicationSuspendedData


class ApplicationResumed(_Envelope, frozen=True, tag="gov.application.resumed"):
    data: ApplicationResumedData


class ApplicationCorrected(_Envelope, frozen=True, tag="gov.application.corrected"):
    data: ApplicationCaseData


class ApplicationReplied(_Envelope, frozen=True, tag="gov.application.replied"):
    data: ApplicationCaseData


class ApplicationWithdrawn(_Envelope, frozen=True, tag="gov.application.withdrawn"):
    data: ApplicationCaseData


class ApplicationDisputed(_Envelope, frozen=True, tag="gov.application.disputed"):
    data: ApplicationDisputedData


class OpinionDetected(_Envelope, frozen=True, tag="gov.opinion.detected"):
    data: OpinionDetectedData


class OpinionResponded(_Envelope, frozen=True, tag="gov.opinion.responded"):
    data: OpinionRespondedData


class PolicyIssued(_Envelope, frozen=True, tag="gov.policy.issued"):
    data: PolicyIssuedData


class PolicyInterpreted(_Envelope, frozen=True, tag="gov.policy.interpreted"):
    data: PolicyInterpretedData


class DatashareAssigned(_Envelope, frozen=True, tag="gov.datashare.assigned"):
    data: DatashareAssignedData


class DatashareDelivered(_Envelope, frozen=True, tag="gov.datashare.delivered"):
    data: DatashareDeliveredData


class ReportSubmitted(_Envelope, frozen=True, tag="gov.report.submitted"):
    data: ReportSubmittedData


class InspectionFindingRecorded(_Envelope, frozen=True, tag="gov.inspection.finding"):
    data: InspectionFindingData


GovEvent = (
    UnitRegistered
    | ApplicationReceived
    | ApplicationExtended
    | ApplicationSuspended
    | ApplicationResumed
    | ApplicationCorrected
    | ApplicationReplied
    | ApplicationWithdrawn
    | ApplicationDisputed
    | OpinionDetected
    | OpinionResponded
    | PolicyIssued
    | PolicyInterpreted
    | DatashareAssigned
    | DatashareDelivered
    | ReportSubmitted
    | InspectionFindingRecorded
)

EVENT_TYPES: dict[str, type[_Envelope]] = {
    str(cls.__struct_config__.tag): cls
    for cls in GovEvent.__args__
}

__all__ = [
    "EVENT_TYPES",
    "ApplicationCorrected",
    "ApplicationDisputed",
    "ApplicationExtended",
    "ApplicationReceived",
    "ApplicationReplied",
    "ApplicationResumed",
    "ApplicationSuspended",
    "ApplicationWithdrawn",
    "DatashareAssigned",
    "DatashareDelivered",
    "GovEvent",
    "InspectionFindingRecorded",
    "OpinionDetected",
    "OpinionResponded",
    "PolicyInterpreted",
    "PolicyIssued",
    "ReportSubmitted",
    "UnitRegistered",
    "msgspec",
]
