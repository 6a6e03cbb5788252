"""Expected access of the Promotions page, its CSV and its API resource."""

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/promotions"): Expect("promotions", url="/promotions?from=2025-03-01&to=2025-03-07"),
    ("GET", "/promotions.csv"): Expect("promotions", url="/promotions.csv?table=codes"),
    ("GET", "/api/v1/promotions"): Expect("promotions", url="/api/v1/promotions?weeks=2"),
}
