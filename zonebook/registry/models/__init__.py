from .codes import Code, CodeTable
from .enterprise import Enterprise, EnterpriseContact, EnterpriseStatusEvent
from .zone import Park, Zone, ZoneStatusEvent

__all__ = [
    "Code",
    "CodeTable",
    "Enterprise",
    "EnterpriseContact",
    "EnterpriseStatusEvent",
    "Park",
    "Zone",
    "ZoneStatusEvent",
]
