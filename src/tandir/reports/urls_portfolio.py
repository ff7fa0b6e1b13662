"""Routes of the portfolio pages (gathered by `tandir.reports.urls`)."""

from django.urls import URLPattern, URLResolver, path

from tandir.reports import views_portfolio

urlpatterns: list[URLPattern | URLResolver] = [
    path("portfolio/", views_portfolio.portfolio, name="portfolio"),
    path("portfolio/at-risk/", views_portfolio.at_risk, name="portfolio_at_risk"),
    path("portfolio/xlsx/", views_portfolio.portfolio_xlsx, name="portfolio_xlsx"),
]
