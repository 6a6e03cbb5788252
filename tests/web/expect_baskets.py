"""Expected access of the Baskets page, its CSV and its API resource."""

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/baskets"): Expect("baskets", url="/baskets?from=2025-03-01&to=2025-03-07"),
    ("GET", "/baskets.csv"): Expect("baskets", url="/baskets.csv?min_support=1"),
    ("GET", "/api/v1/baskets"): Expect("baskets", url="/api/v1/baskets?min_support=1"),
}
