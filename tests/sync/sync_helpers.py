"""Helpers shared by the sync tests (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations


def add_rows(conn, schema: str, first: int, n: int, *, minute0: int = 10_000) -> None:
    """Append ``n`` results (ids first..first+n-1) with later updated_at, and their cases."""
    conn.execute(f"""
        INSERT INTO {schema}.cases
        SELECT DISTINCT 'case_' || lpad(((i - 1) / 10 + 1)::text, 3, '0'), 'new question', 'new answer',
               timestamptz '2026-01-01' + {minute0} * interval '1 minute'
        FROM generate_series({first}, {first + n - 1}) i
        WHERE NOT EXISTS (SELECT 1 FROM {schema}.cases c
                          WHERE c.dataset_id = 'case_' || lpad(((i - 1) / 10 + 1)::text, 3, '0'))""")
    conn.execute(f"""
        INSERT INTO {schema}.scores
        SELECT i, 'case_' || lpad(((i - 1) / 10 + 1)::text, 3, '0'),
               (ARRAY['faithfulness','relevance'])[1 + i % 2], 0.9, 'baseline', 'new',
               timestamptz '2026-01-01' + ({minute0} + i) * interval '1 minute'
        FROM generate_series({first}, {first + n - 1}) i""")
