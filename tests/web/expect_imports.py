"""Expected access to the Imports page, its CSV downloads and its API resources."""

from __future__ import annotations

from tests.web.expectations import Expect

ROUTES = {
    ("GET", "/imports"): Expect("imports"),
    # The matrix posts no file: a writer gets the page back with "choose a file" (400).
    ("POST", "/imports"): Expect("imports", write=True, ok=400),
    ("GET", "/imports.csv"): Expect("imports"),
    ("GET", "/quarantine.csv"): Expect("imports", url="/quarantine.csv?import=1"),
    ("GET", "/api/v1/imports"): Expect("imports"),
    ("GET", "/api/v1/quarantine"): Expect("imports", url="/api/v1/quarantine?import=1"),
}
