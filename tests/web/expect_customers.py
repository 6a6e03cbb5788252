"""Expected access of the Customers page, its CSV and its API resource."""

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/customers"): Expect("customers", url="/customers?from=2025-01-01&to=2025-03-31"),
    ("GET", "/customers.csv"): Expect("customers", url="/customers.csv?table=cohorts"),
    ("GET", "/api/v1/customers"): Expect("customers", url="/api/v1/customers?rfm=true"),
}
