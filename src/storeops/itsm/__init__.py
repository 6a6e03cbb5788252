"""IT service management: the service catalogue, incidents and their timeline, the status page."""
