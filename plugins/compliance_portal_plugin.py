"""Registers the compliance portal with Airflow: its FastAPI app under /compliance and its page in
the UI's navigation (an iframe of /compliance/)."""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin
from compliance_portal.app import create_app

URL_PREFIX = "/compliance"


class CompliancePortalPlugin(AirflowPlugin):
    name = "compliance_portal"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "Compliance portal"}
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "Compliance",
            "href": f"{URL_PREFIX}/",
            "url_route": "compliance",
            "destination": "nav",
            "category": None,
        }
    ]
