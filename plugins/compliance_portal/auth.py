"""Portal roles on top of Airflow's auth manager. Plugin apps get no authentication by default:
every portal route depends on one of these.

Each level is an existing Airflow permission, checked by Airflow's own security dependencies (the
UI's `_token` cookie or an `Authorization: Bearer` token; 401 without a valid one, 403 when the
permission is missing), so it works with any auth manager:

- viewer  -> may open the Airflow UI (`AccessView.WEBSITE`): reports and aggregates;
- analyst -> may edit DAGs (`DAG PUT`, Airflow's *User* role and above): tokenized records too;
- admin   -> may change configuration (`Configuration PUT`, *Op*/*Admin*): upload and process.

With the simple auth manager these are its roles viewer < user < op <= admin.
"""

from __future__ import annotations

from typing import Literal

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import (
    requires_access_configuration,
    requires_access_dag,
    requires_access_view,
)
from fastapi import Depends

PortalRole = Literal["viewer", "analyst", "admin"]

requires_viewer = Depends(requires_access_view(AccessView.WEBSITE))
requires_analyst = Depends(requires_access_dag(method="PUT"))
requires_admin = Depends(requires_access_configuration(method="PUT"))


def portal_role(user: BaseUser) -> PortalRole | None:
    """The highest portal role the user has, for the page to show what they may use."""
    manager = get_auth_manager()
    if manager.is_authorized_configuration(method="PUT", user=user):
        return "admin"
    if manager.is_authorized_dag(method="PUT", user=user):
        return "analyst"
    if manager.is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        return "viewer"
    return None
