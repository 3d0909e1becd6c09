"""Service quality of leased lines (SPEC §6): performance series, warnings, dial tests, statistics."""
