from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("export.csv", views.account_list_export, name="account_list_export"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:pk>/transfer/", views.account_transfer, name="account_transfer"),
    path("<int:pk>/handover/", views.handover_request, name="handover_request"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("handovers/", views.handover_list, name="handover_list"),
    path(
        "handovers/<int:pk>/acknowledge/", views.handover_acknowledge, name="handover_acknowledge"
    ),
    path("handovers/portfolio/", views.portfolio_transfer, name="portfolio_transfer"),
    path("handover-requests/<int:pk>/approve/", views.handover_approve, name="handover_approve"),
    path("handover-requests/<int:pk>/decline/", views.handover_decline, name="handover_decline"),
]
