"""Test support code shared by the test packages (the Bot API test double, ...)."""
