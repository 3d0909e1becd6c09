from rest_framework.routers import SimpleRouter

from .views import VisitViewSet

app_name = "visits_api"

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")

urlpatterns = router.urls
