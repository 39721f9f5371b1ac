-- The stored offsets of a batch's partitions, locked until the batch commits: a consumer that
-- lost its partitions (a zombie after a rebalance) finds them moved on and discards its batch.
SELECT topic, partition, next_offset
FROM stream_offsets
WHERE consumer_group = %(group)s
  AND (topic, partition) IN (SELECT * FROM unnest(%(topics)s::text[], %(partitions)s::integer[]))
FOR UPDATE
