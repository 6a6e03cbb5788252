"""Where domains meet: monitors and incidents, revenue at risk, the status page."""
