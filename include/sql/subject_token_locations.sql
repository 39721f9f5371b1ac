-- Every text-like column of every table of the results schema, for a search of a value across
-- the whole database (checks that an erasure left nothing behind).
SELECT c.table_name, c.column_name, c.data_type
FROM information_schema.columns AS c
JOIN information_schema.tables AS t USING (table_schema, table_name)
WHERE c.table_schema = current_schema()
  AND t.table_type = 'BASE TABLE'
  AND c.data_type IN ('text', 'character varying', 'character', 'jsonb', 'json', 'ARRAY')
ORDER BY c.table_name, c.column_name
