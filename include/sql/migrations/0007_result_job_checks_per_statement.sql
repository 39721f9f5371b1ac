-- Records and violations are checked against their job once per statement instead of once per row.
--
-- The composite foreign keys (0004) ran a lookup + KEY SHARE lock on data_processing_jobs for
-- every inserted row: about 3 us per record and 3 us per violation, half of what a stream
-- micro-batch's COPY cost. A COPY or INSERT names a handful of jobs, so the same guarantee is
-- checked here per statement over the distinct (job_id, file_id) pairs of the new rows, which
-- are locked FOR KEY SHARE as the foreign key did, so a job cannot be deleted or renumbered
-- under a load that references it. The other direction of the foreign key (no job deleted or
-- renumbered while rows reference it) is the jobs table's trigger below.
ALTER TABLE data_records DROP CONSTRAINT data_records_job_file_fkey;
ALTER TABLE data_compliance_violations DROP CONSTRAINT data_compliance_violations_job_file_fkey;

CREATE FUNCTION sdp_check_result_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    referenced bigint;
    found bigint;
BEGIN
    SELECT count(*) INTO referenced FROM (SELECT DISTINCT job_id, file_id FROM new_rows) AS refs;
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM data_processing_jobs AS j
        WHERE (j.id, j.file_id) IN (SELECT job_id, file_id FROM new_rows)
        FOR KEY SHARE
    ) AS locked;
    IF found <> referenced THEN
        RAISE EXCEPTION 'insert or update on table "%" references a job that does not exist or belongs to another file',
            TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger: one for INSERT (COPY included), one for UPDATE.
CREATE TRIGGER data_records_job_check_insert AFTER INSERT ON data_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sdp_check_result_jobs();
CREATE TRIGGER data_records_job_check_update AFTER UPDATE ON data_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sdp_check_result_jobs();
CREATE TRIGGER data_compliance_violations_job_check_insert AFTER INSERT ON data_compliance_violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sdp_check_result_jobs();
CREATE TRIGGER data_compliance_violations_job_check_update AFTER UPDATE ON data_compliance_violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sdp_check_result_jobs();

-- A job that results still reference is neither deleted nor given another id or file.
CREATE FUNCTION sdp_protect_referenced_job() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.file_id = OLD.file_id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM data_records WHERE file_id = OLD.file_id AND job_id = OLD.id)
       OR EXISTS (SELECT 1 FROM data_compliance_violations WHERE file_id = OLD.file_id AND job_id = OLD.id) THEN
        RAISE EXCEPTION 'job % is still referenced by its results', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER data_processing_jobs_protect_referenced BEFORE DELETE OR UPDATE OF id, file_id
    ON data_processing_jobs FOR EACH ROW EXECUTE FUNCTION sdp_protect_referenced_job();
