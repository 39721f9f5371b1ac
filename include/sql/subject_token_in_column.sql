-- Whether a value occurs anywhere in one column ({table}, {column}: identifiers from the catalog).
SELECT 1 FROM {table} WHERE strpos({column}::text, %(token)s) > 0 LIMIT 1
