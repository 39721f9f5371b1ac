INSERT INTO stream_offsets (consumer_group, topic, partition, next_offset)
SELECT %(group)s, topic, partition, next_offset
FROM unnest(%(topics)s::text[], %(partitions)s::integer[], %(next_offsets)s::bigint[])
    AS batch (topic, partition, next_offset)
ON CONFLICT (consumer_group, topic, partition)
DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
