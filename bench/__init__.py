"""Benchmarks of Abierto with their data generators; figures are written, not asserted."""
