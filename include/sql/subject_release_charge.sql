UPDATE dp_budgets
SET spent_epsilon = spent_epsilon + %(epsilon)s, updated_at = now()
WHERE dataset = %(dataset)s
RETURNING spent_epsilon
