from django.urls import path

from abierto.reports import annual_report_views as views

app_name = "annual_report"
urlpatterns = [
    path("", views.annual_report_index, name="index"),
    path("generar/", views.annual_report_request, name="request"),
    path("<int:year>/", views.annual_report_page, name="detail"),
    path("<int:year>/estado/", views.annual_report_status, name="status"),
    path("<int:year>/informe.pdf", views.annual_report_pdf, name="pdf"),
    path("<int:year>/informe.html", views.annual_report_html, name="html"),
]
