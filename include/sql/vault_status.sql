-- Counts only: entries per master key (through their data keys), and per identifier type.
SELECT k.master_key_id, v.id_type, count(DISTINCT k.key_id) AS data_keys, count(v.token) AS entries
FROM vault_data_keys k
LEFT JOIN identity_vault v ON v.key_id = k.key_id
GROUP BY k.master_key_id, v.id_type
ORDER BY k.master_key_id, v.id_type
