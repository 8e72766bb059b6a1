"""Helpers for the server tests: seeding a sitting, running a real server process."""
