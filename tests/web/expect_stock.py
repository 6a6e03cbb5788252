"""Expected access of the Stock page, its CSV and its API resource."""

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/stock"): Expect("stock", url="/stock?from=2025-03-01&to=2025-03-07&view=abc"),
    ("GET", "/stock.csv"): Expect("stock", url="/stock.csv?view=dead"),
    ("GET", "/api/v1/stock"): Expect("stock", url="/api/v1/stock?view=risk"),
}
