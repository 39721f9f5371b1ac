"""Data-subject rights over the results database: the re-identification vault, erasure, DP
releases with a budget ledger, and retention. The core (compliance/) produces tokens and
encrypted vault entries; this package stores, reveals, erases and accounts for them."""
