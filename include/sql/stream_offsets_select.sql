-- Where the consumer group resumes: the next offset of each (topic, partition) it has committed.
SELECT topic, partition, next_offset
FROM stream_offsets
WHERE consumer_group = %(group)s AND topic = ANY(%(topics)s)
