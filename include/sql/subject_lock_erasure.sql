-- Erasures of the same token run one after the other (the second then finds nothing), so their
-- audit rows tell the truth about what each one removed.
SELECT pg_advisory_xact_lock(hashtextextended(%(token)s, 0))
