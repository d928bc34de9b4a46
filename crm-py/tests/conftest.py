"""The tests run against the installed wheel, never against the source tree."""

from __future__ import annotations

import pathlib

import crm_core


def pytest_report_header() -> str:
    location = pathlib.Path(crm_core.__file__).parent
    return f"crm_core {crm_core.__version__} from {location}"
