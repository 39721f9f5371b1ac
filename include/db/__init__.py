"""PostgreSQL access for the platform: migrations, connections, the COPY loader and queries."""
