"""Reference rows of the complaint domain: limit policies (SPEC §5) and routes; idempotent."""
from decimal import Decimal as D

# R-CMP-LIMITS: the seed's table lost its decimal points; "05" is 0.5, "15" 1.5, "45" 4.5, "75" 7.5, "125" 12.5.
POLICIES = {
    "important": dict(sorting_limit=D("2"), sorting_unit="hours", analysis_days=D("0.5"), handling_days=D("2"),
                      handling_other_days=D("5"), total_days=D("3"), total_other_days=D("6")),
    "general": dict(sorting_limit=D("0.5"), sorting_unit="days", analysis_days=D("2"), handling_days=D("5"),
                    handling_other_days=D("10"), total_days=D("7.5"), total_other_days=D("12.5")),
}
ROOM_ROUTES = ["monitoring", "service_support", "transport", "datacom", "core", "wireless", "power"]
DEPARTMENT_ROUTES = ["network_optimisation", "construction"]


def ensure(apps=None):
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Policy = apps.get_model("complaints", "ComplaintPolicy")
    Route = apps.get_model("complaints", "Route")
    Room = apps.get_model("staff", "Room")
    for importance, values in POLICIES.items():
        Policy.objects.get_or_create(importance=importance, defaults=values)
    rooms = {r.code: r for r in Room.objects.all()}
    for code in ROOM_ROUTES + DEPARTMENT_ROUTES:
        route, _created = Route.objects.get_or_create(code=code, defaults={"room": rooms.get(code)})
        if route.room_id is None and code in rooms:
            route.room = rooms[code]
            route.save(update_fields=["room"])
