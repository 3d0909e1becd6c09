app_name = "tickets_api"
urlpatterns = []
