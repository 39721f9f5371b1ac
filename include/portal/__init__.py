"""The compliance portal's logic, free of any web framework: read-side queries over the results
database (as the read-only sdp_reader role), upload handling, processor checks and Prometheus
metrics. The Airflow plugin (plugins/compliance_portal/) is a thin HTTP layer over it."""
