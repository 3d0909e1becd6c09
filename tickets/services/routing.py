"""Which rooms a fault concerns (R-LEAD, R-DISPATCH-IMP)."""
from __future__ import annotations

from customers.choices import ServiceType
from staff.choices import RoomCode

from ..choices import AlarmCategory

# The professional room that owns each alarm category.
ROOM_BY_CATEGORY = {
    AlarmCategory.TRANSMISSION: RoomCode.TRANSPORT,
    AlarmCategory.DATACOM: RoomCode.DATACOM,
    AlarmCategory.CORE: RoomCode.CORE,
    AlarmCategory.WIRELESS: RoomCode.WIRELESS,
    AlarmCategory.POWER: RoomCode.POWER,
}

# The professional rooms whose network carries each service type.
ROOMS_BY_SERVICE = {
    ServiceType.SMS: (RoomCode.CORE, RoomCode.DATACOM),
    ServiceType.GPRS: (RoomCode.CORE, RoomCode.DATACOM, RoomCode.WIRELESS),
    ServiceType.IP_VOICE: (RoomCode.CORE, RoomCode.DATACOM),
    ServiceType.DATA_LINE: (RoomCode.TRANSPORT, RoomCode.DATACOM),
    ServiceType.INTERNET_LINE: (RoomCode.TRANSPORT, RoomCode.DATACOM),
    ServiceType.TRANSMISSION_LEASE: (RoomCode.TRANSPORT,),
}


def lead_room_code(category: str) -> str:
    """R-LEAD: a transmission alarm → transport room; any other → service support room."""
    if category == AlarmCategory.TRANSMISSION:
        return RoomCode.TRANSPORT
    return RoomCode.SERVICE_SUPPORT


def related_professional_rooms(category: str, service_type: str | None) -> list[str]:
    """R-DISPATCH-IMP: the professional rooms that must check their own NMS."""
    codes: list[str] = []
    if category in ROOM_BY_CATEGORY:
        codes.append(ROOM_BY_CATEGORY[category])
    for code in ROOMS_BY_SERVICE.get(service_type, ()):
        if code not in codes:
            codes.append(code)
    if not codes:
        codes = [RoomCode.TRANSPORT, RoomCode.DATACOM]
    return codes
