"""Synthetic monitoring: probes, conditions, the scheduler, results, SLOs and alerting."""
