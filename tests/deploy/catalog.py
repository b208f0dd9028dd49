"""A database's schema as plain data, from PostgreSQL's catalogs: two schemas are the same iff these are equal.

Everything a migration can make in schema `public` is listed by name with its definition as PostgreSQL
prints it back (`pg_get_*def`, `format_type`), so a difference names the object that differs. Objects
that belong to an extension (TimescaleDB's) are left out: they come with the extension, not with us.
"""

from __future__ import annotations

from typing import Any

import psycopg

NOT_FROM_EXTENSION = "NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"

QUERIES: dict[str, str] = {
    "tables": """
        SELECT c.relname, c.relkind::text, c.relpersistence::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'f', 'm')
          AND {ext}
        ORDER BY 1""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text,
               row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND a.attnum > 0
          AND NOT a.attisdropped AND {ext}
        ORDER BY 1, 8""",
    "constraints": """
        SELECT c.relname, k.conname, k.contype::text, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
        ORDER BY 1, 2""",
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
        ORDER BY 1, 2""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p', 'w')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1, 2""",
    "views": """
        SELECT c.relname, c.relkind::text, pg_get_viewdef(c.oid, true)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') AND {ext}
        ORDER BY 1""",
    "types": """
        SELECT t.typname, t.typtype::text, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
               (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
               (SELECT array_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname)
                FROM pg_constraint k WHERE k.contypid = t.oid)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('d', 'e', 'r', 'c')
          AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
        ORDER BY 1""",
    "triggers": """
        SELECT c.relname, g.tgname, pg_get_triggerdef(g.oid)
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND NOT g.tgisinternal
        ORDER BY 1, 2""",
    "sequences": """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcycle
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
        ORDER BY 1""",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
    "migrations": "SELECT version, name, checksum FROM schema_migrations ORDER BY 1",
}


def catalog(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every kind of schema object of the database at `url`, each as sorted rows."""
    with psycopg.connect(url) as conn:
        return {
            kind: [
                tuple(tuple(v) if isinstance(v, list) else v for v in row)
                for row in conn.execute(query.replace("{ext}", NOT_FROM_EXTENSION.format(oid="c.oid")).encode())
            ]
            for kind, query in QUERIES.items()
        }


def differences(left: dict[str, list[tuple[Any, ...]]], right: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """What is only in one of two catalogs, one line per row (empty: the same schema)."""
    found = []
    for kind in QUERIES:
        a, b = set(left[kind]), set(right[kind])
        found += [f"{kind}: only in the first: {row}" for row in sorted(a - b, key=repr)]
        found += [f"{kind}: only in the second: {row}" for row in sorted(b - a, key=repr)]
        if not found and left[kind] != right[kind]:
            found.append(f"{kind}: same rows in another order")
    return found
