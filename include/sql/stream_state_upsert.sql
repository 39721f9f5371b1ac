-- A job's first file-start message creates its state; the copies on the other partitions only
-- record their partition. A second one on an already recorded partition means the job was
-- published again. Returns whether the state is new.
INSERT INTO stream_file_state (job_id, file_id, domain, anonymize, columns, start_partitions)
VALUES (%(job_id)s, %(file_id)s, %(domain)s, %(anonymize)s, %(columns)s, ARRAY[%(partition)s::integer])
ON CONFLICT (job_id) DO UPDATE
SET republished = stream_file_state.republished
                  OR EXCLUDED.start_partitions[1] = ANY(stream_file_state.start_partitions),
    start_partitions = CASE WHEN EXCLUDED.start_partitions[1] = ANY(stream_file_state.start_partitions)
                            THEN stream_file_state.start_partitions
                            ELSE stream_file_state.start_partitions || EXCLUDED.start_partitions END
RETURNING xmax = 0 AS created
