"""storeops: the operations control tower of an online shop."""
