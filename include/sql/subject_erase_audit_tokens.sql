-- Audit rows about a vault entry (reveals) name it by its token: an erasure replaces the token
-- with its keyed hash, so the trail of who revealed what survives without the token.
UPDATE system_audit_log AS a
SET object_id = pseudonym.subject_hash
FROM unnest(%(tokens)s::text[], %(hashes)s::text[]) AS pseudonym (token, subject_hash)
WHERE a.object_type = 'identity_vault' AND a.object_id = pseudonym.token
