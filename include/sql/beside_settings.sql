-- The second connection of a load (include/db/beside.py): fail rather than wait without end.
SELECT set_config('lock_timeout', %(lock_timeout)s, true)
