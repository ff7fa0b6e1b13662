"""The demo programme `tandir demo` loads: the same organisations, staff and people every time."""

from tandir.demo.loader import (
    DEMO_PASSWORD,
    DemoAlreadyLoaded,
    DemoLogin,
    DemoSummary,
    demo_logins,
    load_demo,
)

__all__ = [
    "DEMO_PASSWORD",
    "DemoAlreadyLoaded",
    "DemoLogin",
    "DemoSummary",
    "demo_logins",
    "load_demo",
]
