-- The dataset's budget row, created at its first release and locked until the release commits, so
-- concurrent releases of one dataset are charged one after the other. The total follows the
-- domain policy's current dp_epsilon_budget.
INSERT INTO dp_budgets AS b (dataset, total_epsilon)
VALUES (%(dataset)s, %(total_epsilon)s)
ON CONFLICT (dataset) DO UPDATE
    SET total_epsilon = EXCLUDED.total_epsilon, updated_at = now()
RETURNING b.total_epsilon, b.spent_epsilon
