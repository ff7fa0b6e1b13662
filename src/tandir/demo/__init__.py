"""The demo programme `tandir demo` loads: the same organisations, staff and people every time."""
