-- The load's checks count distinct rows and group millions of violation keys: in memory rather
-- than in 4 MB spills to disk. For the loading transaction only.
SET LOCAL work_mem = '256MB'
