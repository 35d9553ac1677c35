"""Database models (SQLAlchemy 2, typed). Raw answers are stored untouched.

Administrative records (centre, accounts, bilans, invitations, consents) are kept apart
from the content of the bilan (answers, timings, scores), so that content can be
destroyed at the end of the bilan without losing audit evidence.
"""

from service.dates import utcnow
from service.models.answers import Answer, PageTiming, ScoreRecord
from service.models.api import (
    API_SCOPES,
    SHARING_DECISIONS,
    ApiIdempotencyKey,
    ApiToken,
    ResultsSharing,
)
from service.models.audit import AuditEvent
from service.models.bilan import Assignment, Bilan, Consent, bilan_counsellor
from service.models.erasure import ErasureRequest
from service.models.norms import LocalNorm, NormChoice
from service.models.notices import CompletionNotice
from service.models.people import (
    Beneficiary,
    Centre,
    Invitation,
    SignInWay,
    StaffToken,
    StaffUser,
)
from service.models.portfolio import (
    GapTarget,
    PortfolioChange,
    PortfolioEntry,
    Realisation,
    RealisationLink,
)
from service.models.record import BilanStep, CentreStep, CounsellorNote, Interview, PersonalWork
from service.models.rome import (
    RomeAppellation,
    RomeCompetence,
    RomeDomaine,
    RomeFiche,
    RomeFicheLink,
    RomeGrandDomaine,
    RomeRelease,
)
from service.models.states import AssignmentStatus, BilanStatus, DeliveryStatus, ErasureStatus
from service.models.synthesis import ActionItem, SynthesisItem, SynthesisVersion
from service.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "API_SCOPES",
    "SHARING_DECISIONS",
    "ActionItem",
    "Answer",
    "ApiIdempotencyKey",
    "ApiToken",
    "Assignment",
    "AssignmentStatus",
    "AuditEvent",
    "Beneficiary",
    "Bilan",
    "BilanStatus",
    "BilanStep",
    "Centre",
    "CentreStep",
    "CompletionNotice",
    "Consent",
    "CounsellorNote",
    "DeliveryStatus",
    "ErasureRequest",
    "ErasureStatus",
    "GapTarget",
    "Interview",
    "Invitation",
    "LocalNorm",
    "NormChoice",
    "PageTiming",
    "PersonalWork",
    "PortfolioChange",
    "PortfolioEntry",
    "Realisation",
    "RealisationLink",
    "ResultsSharing",
    "RomeAppellation",
    "RomeCompetence",
    "RomeDomaine",
    "RomeFiche",
    "RomeFicheLink",
    "RomeGrandDomaine",
    "RomeRelease",
    "ScoreRecord",
    "SignInWay",
    "StaffToken",
    "StaffUser",
    "SynthesisItem",
    "SynthesisVersion",
    "WebhookDelivery",
    "WebhookEndpoint",
    "bilan_counsellor",
    "utcnow",
]
