"""The compliance portal: a FastAPI app mounted in Airflow's api-server (REST API, dashboard page,
Prometheus metrics) over include/portal. Registered by plugins/compliance_portal_plugin.py."""
