"""Birge's tables. Importing this package registers every model on `Base.metadata`."""

from birge_shared.models.audit import AuditEntry
from birge_shared.models.base import Base, utcnow
from birge_shared.models.batch import BatchKind, BatchStatus, InvitationBatch
from birge_shared.models.buddy import BuddyPair
from birge_shared.models.calendar_reply import CalendarReply
from birge_shared.models.callback import ProviderCallback
from birge_shared.models.channel import (
    ParticipantChannel,
    TelegramLinkCode,
    TelegramQuestion,
    TelegramUpdate,
)
from birge_shared.models.city import City
from birge_shared.models.console_session import ConsoleSession
from birge_shared.models.contact import ContactPair, ContactRollup
from birge_shared.models.enums import (
    ActivityFormat,
    ActivityType,
    Channel,
    ChannelOptInMethod,
    ChannelOptOutMethod,
    Community,
    ConsentMethod,
    EventStatus,
    EventVisibility,
    InvitationStatus,
    Language,
    MessageChannel,
    MessageDirection,
    MessagePurpose,
    MessageStatus,
    Role,
)
from birge_shared.models.event import Event
from birge_shared.models.group import EventGroup, GroupMember
from birge_shared.models.import_upload import ImportUpload
from birge_shared.models.indicator import Indicator, IndicatorPeriod, IndicatorUnit
from birge_shared.models.invitation import Invitation
from birge_shared.models.message import Message
from birge_shared.models.name_token import ParticipantNameToken
from birge_shared.models.outbox import OutboxEntry
from birge_shared.models.participant import Participant
from birge_shared.models.periodic import PeriodicRun
from birge_shared.models.rollup import InvitationRollup, ReportRollup
from birge_shared.models.saved_filter import SavedFilter
from birge_shared.models.survey import SurveyConversation, SurveyResponse
from birge_shared.models.template import MessageTemplate
from birge_shared.models.user import User, user_city
from birge_shared.models.whatsapp_template import (
    TemplateApproval,
    TemplateCategory,
    WhatsAppTemplate,
)

__all__ = [
    "ActivityFormat",
    "ActivityType",
    "AuditEntry",
    "Base",
    "BatchKind",
    "BatchStatus",
    "BuddyPair",
    "CalendarReply",
    "Channel",
    "ChannelOptInMethod",
    "ChannelOptOutMethod",
    "City",
    "Community",
    "ConsentMethod",
    "ConsoleSession",
    "ContactPair",
    "ContactRollup",
    "Event",
    "EventGroup",
    "EventStatus",
    "EventVisibility",
    "GroupMember",
    "ImportUpload",
    "Indicator",
    "IndicatorPeriod",
    "IndicatorUnit",
    "Invitation",
    "InvitationBatch",
    "InvitationRollup",
    "InvitationStatus",
    "Language",
    "Message",
    "MessageChannel",
    "MessageDirection",
    "MessagePurpose",
    "MessageStatus",
    "MessageTemplate",
    "OutboxEntry",
    "Participant",
    "ParticipantChannel",
    "ParticipantNameToken",
    "PeriodicRun",
    "ProviderCallback",
    "ReportRollup",
    "Role",
    "SavedFilter",
    "SurveyConversation",
    "SurveyResponse",
    "TelegramLinkCode",
    "TelegramQuestion",
    "TelegramUpdate",
    "TemplateApproval",
    "TemplateCategory",
    "User",
    "WhatsAppTemplate",
    "user_city",
    "utcnow",
]
