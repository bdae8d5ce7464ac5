"""Every event of the dialogue, by its CloudEvents type."""

from __future__ import annotations

from samverkan_shared.contracts.base import Event, Urgency
from samverkan_shared.contracts.downstream import (
    AssessmentPublished,
    AssessmentRevised,
    ConsultationOpened,
    EscalationDeclined,
    EscalationReceived,
    InformationRequested,
    IssueClosed,
    IssueProgressed,
    OperatingPlanPublished,
    ServiceLevelBreached,
    ServiceLevelTarget,
)
from samverkan_shared.contracts.intake import IntakeEscalation, IntakeRejected
from samverkan_shared.contracts.upstream import (
    AssessmentAcknowledged,
    ConsultationResponded,
    EscalationAmended,
    EscalationWithdrawn,
    InformationProvided,
    IssueEscalated,
)

__all__ = [
    "EVENT_TYPES",
    "AssessmentAcknowledged",
    "AssessmentPublished",
    "AssessmentRevised",
    "ConsultationOpened",
    "ConsultationResponded",
    "EscalationAmended",
    "EscalationDeclined",
    "EscalationReceived",
    "EscalationWithdrawn",
    "Event",
    "InformationProvided",
    "InformationRequested",
    "IntakeEscalation",
    "IntakeRejected",
    "IssueClosed",
    "IssueEscalated",
    "IssueProgressed",
    "OperatingPlanPublished",
    "ServiceLevelBreached",
    "ServiceLevelTarget",
    "Urgency",
]

_ALL: tuple[type[Event], ...] = (
    IssueEscalated,
    EscalationAmended,
    EscalationWithdrawn,
    InformationProvided,
    AssessmentAcknowledged,
    ConsultationResponded,
    EscalationReceived,
    InformationRequested,
    EscalationDeclined,
    AssessmentPublished,
    AssessmentRevised,
    IssueClosed,
    IssueProgressed,
    ConsultationOpened,
    OperatingPlanPublished,
    ServiceLevelBreached,
    IntakeEscalation,
    IntakeRejected,
)

EVENT_TYPES: dict[str, type[Event]] = {cls.event_type(): cls for cls in _ALL}
"""The registry of event types; an envelope whose type is not here is dead-lettered."""
