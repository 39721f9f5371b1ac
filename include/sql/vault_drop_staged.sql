-- The stream consumer stores the entries of several jobs in one transaction: one table at a time.
DROP TABLE staged_vault
