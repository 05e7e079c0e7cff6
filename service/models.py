"""Every model, imported once so that Alembic sees the whole schema."""

from service.admin.models import PlatformSettings
from service.api.models import ApiToken
from service.db import Base
from service.directory.models import Relay
from service.events.models import Event, EventAttendance
from service.help.models import HelpAssignment, HelpRequest, HelpRequestEvent, RoutingRule
from service.launch.models import LtiHandoff, LtiNonce, ToolKeyRow
from service.notifications.models import OutboxMessage
from service.onboarding.models import WizardProgress, WizardTools
from service.platforms.models import Deployment, Platform
from service.privacy.models import AuditEntry, MaintenanceRun
from service.registration.models import RegistrationLink
from service.relays.models import RelayAccess, RelayNote
from service.schools.models import School
from service.teachers.models import ClassSettings, ClassVisit, DeepLinkRequest
from service.volunteers.models import EventTally, KitOverride, Volunteer

__all__ = ["Base", "Deployment", "LtiHandoff", "LtiNonce", "Platform", "School", "ToolKeyRow"]
__all__ += ["Event", "EventAttendance"]
__all__ += ["Relay"]
__all__ += ["RegistrationLink"]
__all__ += ["AuditEntry", "MaintenanceRun", "PlatformSettings"]
__all__ += ["ApiToken"]
__all__ += ["HelpAssignment", "HelpRequest", "HelpRequestEvent", "RoutingRule"]
__all__ += ["ClassSettings", "ClassVisit", "DeepLinkRequest"]
__all__ += ["WizardProgress", "WizardTools"]
__all__ += ["EventTally", "KitOverride", "Volunteer"]
__all__ += ["OutboxMessage", "RelayAccess", "RelayNote"]
