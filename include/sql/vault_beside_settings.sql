-- The vault part of a load (include/db/vault_beside.py): fail rather than wait without end.
SELECT set_config('lock_timeout', %(lock_timeout)s, true)
