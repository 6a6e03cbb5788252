"""`storeops demo`: a deterministic demo shop generated straight into the warehouse.

The shop is simulated day by day (a seeded generator per day, so the result does not depend on
how days are grouped into chunks): demand with weekly, yearly and event seasonality, promotions,
customers who come back, stock that runs out (the demand for a missing SKU is lost), returns,
support tickets and a traffic funnel. Each chunk of days is built with numpy, handed to DuckDB
as Arrow, and the whole run replaces the previous demo data in one transaction.
"""
