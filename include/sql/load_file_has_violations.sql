-- Violations of a file that is not loaded: left by a load whose commit failed after its second
-- connection's (include/db/beside.py) and whose clean-up failed too; the next load replaces them.
SELECT EXISTS (SELECT 1 FROM data_compliance_violations WHERE file_id = %(file_id)s)
