-- Register a landed file; a known SHA-256 inserts nothing (the caller then reads the existing row).
INSERT INTO data_files (path, sha256, size_bytes, format)
VALUES (%(path)s, %(sha256)s, %(size_bytes)s, %(format)s)
ON CONFLICT (sha256) DO NOTHING
RETURNING id, status
