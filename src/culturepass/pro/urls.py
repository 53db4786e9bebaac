from django.urls import path

app_name = "pro"
urlpatterns: list = []
