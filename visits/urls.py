from django.urls import path

from . import correspondence_views, views

app_name = "visits"
urlpatterns = [
    path("", views.visit_list, name="list"),
    path("agenda/", views.agenda, name="agenda"),
    path("coverage/", views.coverage, name="coverage"),
    path("new/", views.visit_create, name="create"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/edit/", views.visit_edit, name="edit"),
    path("<int:pk>/do/<slug:action>/", views.visit_action, name="action"),
    path("problems/<int:pk>/<slug:action>/", views.problem_action, name="problem-action"),
    path("documents/<int:pk>/<slug:action>/", views.document_action, name="document-action"),
    # R-VISIT-4: all correspondence with a customer, with or without a visit.
    path("customers/<int:customer_id>/correspondence/", correspondence_views.correspondence, name="correspondence"),
    path("customers/<int:customer_id>/correspondence/received/", correspondence_views.register_incoming,
         name="incoming-register"),
    path("customers/<int:customer_id>/correspondence/document/", correspondence_views.create_outgoing,
         name="outgoing-create"),
    path("received/<int:pk>/acknowledge/", correspondence_views.acknowledge_incoming, name="incoming-acknowledge"),
]
