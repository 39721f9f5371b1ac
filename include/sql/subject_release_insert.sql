INSERT INTO dp_releases (dataset, epsilon, delta, query, actor, released)
VALUES (%(dataset)s, %(epsilon)s, %(delta)s, %(query)s, %(actor)s, %(released)s)
RETURNING id
