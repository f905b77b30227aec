"""Helpers shared by the test modules: live servers (a real `kg serve` process, an app under uvicorn in
a thread), loopback listeners, a throwaway Virtuoso."""
