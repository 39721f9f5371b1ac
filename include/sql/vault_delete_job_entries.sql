-- The entries a load's vault part stored under its job's data key, when the load's own transaction
-- failed to commit after them (include/db/beside.py): a data key is made per job, so its
-- entries are exactly those this load added (a token already stored kept its earlier entry).
DELETE FROM identity_vault WHERE key_id = %(key_id)s AND file_id = %(file_id)s
