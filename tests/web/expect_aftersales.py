"""Expected access of the After-sales page, its CSV and its API resource."""

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/aftersales"): Expect("aftersales", url="/aftersales?from=2025-03-01&to=2025-03-07"),
    ("GET", "/aftersales.csv"): Expect("aftersales"),
    ("GET", "/api/v1/aftersales"): Expect("aftersales", url="/api/v1/aftersales?limit=5"),
}
