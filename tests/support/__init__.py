"""Helpers shared by the test modules: a real `kg serve` process, loopback listeners."""
