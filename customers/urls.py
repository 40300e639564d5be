from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
]
