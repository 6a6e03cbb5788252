"""Expected access of the Sales page, its CSV and its API resource."""

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/sales"): Expect("sales", url="/sales?from=2025-03-01&to=2025-03-07"),
    ("GET", "/sales.csv"): Expect("sales", url="/sales.csv?from=2025-03-01&to=2025-03-07"),
    ("GET", "/api/v1/sales"): Expect("sales", url="/api/v1/sales?from=2025-03-01&by=channel"),
}
