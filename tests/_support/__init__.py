"""Helpers and constants the test suites share (servers, fuzzing, wire readers, connection fields)."""
