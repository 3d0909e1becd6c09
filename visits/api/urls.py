app_name = "visits_api"
urlpatterns = []
