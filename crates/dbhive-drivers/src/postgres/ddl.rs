//! CREATE statements rebuilt from the catalog, as pg_dump would write them for one table
//! or view: columns, constraints, partitioning, indexes, triggers and comments.

use std::fmt::Write as _;

use dbhive_core::{DbResult, TableRef};

use super::catalog::{REL, not_found, rel_params, rows};
use super::conn::RawConn;

pub async fn ddl(conn: &mut RawConn, table: &TableRef) -> DbResult<String> {
    let params = rel_params(table);
    let head = conn
        .query(
            &format!(
                "SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relkind, c.relpersistence,
                        c.relispartition,
                        CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                        CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
                        (SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_inherits i
                           JOIN pg_class p ON p.oid = i.inhparent
                           JOIN pg_namespace pn ON pn.oid = p.relnamespace
                          WHERE i.inhrelid = c.oid AND c.relispartition),
                        ARRAY(SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_inherits i
                                JOIN pg_class p ON p.oid = i.inhparent
                                JOIN pg_namespace pn ON pn.oid = p.relnamespace
                               WHERE i.inhrelid = c.oid AND NOT c.relispartition
                               ORDER BY i.inhseqno)::text[],
                        array_to_string(c.reloptions, ', '),
                        CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
                        obj_description(c.oid, 'pg_class')
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.oid = {REL}"
            ),
            &params,
        )
        .await?;
    let Some(row) = rows(&head).next() else {
        return Err(not_found(table));
    };
    let oid = row.text(0);
    let name = row.text(1);
    let relkind = row.text(2);
    let mut out = String::new();

    match relkind.as_str() {
        "S" => sequence(conn, &mut out, &oid, &name, row.opt(3) == Some("u")).await?,
        "v" | "m" => {
            let body = row.text(10);
            let body = body.trim_end().trim_end_matches(';');
            if relkind == "v" {
                let _ = writeln!(out, "CREATE OR REPLACE VIEW {name} AS\n{body};");
            } else {
                let _ = writeln!(
                    out,
                    "CREATE MATERIALIZED VIEW {name} AS\n{body}\nWITH DATA;"
                );
            }
        }
        _ => {
            let unlogged = if row.opt(3) == Some("u") {
                "UNLOGGED "
            } else {
                ""
            };
            let foreign = if relkind == "f" { "FOREIGN " } else { "" };
            let partition_of = row.owned(7);
            let columns = conn
                .query(
                    "SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull,
                            pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                            CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                                 THEN (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
                                         JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                        WHERE co.oid = a.attcollation) END,
                            a.attislocal
                       FROM pg_attribute a
                       JOIN pg_type t ON t.oid = a.atttypid
                       LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
                      ORDER BY a.attnum",
                    &[Some(&oid)],
                )
                .await?;
            let constraints = conn
                .query(
                    "SELECT quote_ident(conname), pg_get_constraintdef(oid, true)
                       FROM pg_constraint
                      WHERE conrelid = $1::oid AND contype IN ('p', 'u', 'c', 'x', 'f') AND conislocal
                      ORDER BY array_position(ARRAY['p', 'u', 'c', 'x', 'f']::\"char\"[], contype), conname",
                    &[Some(&oid)],
                )
                .await?;
            let mut lines = Vec::new();
            if partition_of.is_none() {
                for c in rows(&columns) {
                    // Inherited columns come from the parent's definition.
                    if !c.bool(7) {
                        continue;
                    }
                    let mut line = format!("    {} {}", c.text(0), c.text(1));
                    if let Some(coll) = c.opt(6) {
                        let _ = write!(line, " COLLATE {coll}");
                    }
                    match (c.opt(4), c.opt(5)) {
                        (Some("a"), _) => line.push_str(" GENERATED ALWAYS AS IDENTITY"),
                        (Some("d"), _) => line.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
                        (_, Some("s")) => {
                            let _ = write!(line, " GENERATED ALWAYS AS ({}) STORED", c.text(3));
                        }
                        _ => {
                            if let Some(def) = c.opt(3) {
                                let _ = write!(line, " DEFAULT {def}");
                            }
                        }
                    }
                    if c.bool(2) {
                        line.push_str(" NOT NULL");
                    }
                    lines.push(line);
                }
            }
            for c in rows(&constraints) {
                lines.push(format!("    CONSTRAINT {} {}", c.text(0), c.text(1)));
            }
            match &partition_of {
                Some(parent) => {
                    let _ = write!(out, "CREATE {unlogged}TABLE {name} PARTITION OF {parent}");
                    if !lines.is_empty() {
                        let _ = write!(out, " (\n{}\n)", lines.join(",\n"));
                    }
                    let _ = write!(out, "\n{}", row.text(6));
                }
                None => {
                    let _ = write!(
                        out,
                        "CREATE {unlogged}{foreign}TABLE {name} (\n{}\n)",
                        lines.join(",\n")
                    );
                }
            }
            let parents = row.list(8);
            if !parents.is_empty() {
                let _ = write!(out, "\nINHERITS ({})", parents.join(", "));
            }
            if let Some(key) = row.opt(5) {
                let _ = write!(out, "\nPARTITION BY {key}");
            }
            if let Some(opts) = row.opt(9).filter(|s| !s.is_empty()) {
                let _ = write!(out, "\nWITH ({opts})");
            }
            out.push_str(";\n");
        }
    }

    let extras = conn
        .query(
            "SELECT 1, pg_get_indexdef(i.indexrelid) || ';', c.relname
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = $1::oid
                AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                                 WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
             UNION ALL
             SELECT 2, pg_get_triggerdef(t.oid, true) || ';', t.tgname
               FROM pg_trigger t WHERE t.tgrelid = $1::oid AND NOT t.tgisinternal
             UNION ALL
             SELECT 3, format('COMMENT ON COLUMN %s.%I IS %L;', $2::text, a.attname, d.description), lpad(a.attnum::text, 5, '0')
               FROM pg_attribute a JOIN pg_description d
                 ON d.objoid = a.attrelid AND d.objsubid = a.attnum AND d.classoid = 'pg_class'::regclass
              WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY 1, 3",
            &[Some(&oid), Some(&name)],
        )
        .await?;
    let kind_word = match relkind.as_str() {
        "S" => "SEQUENCE",
        "v" => "VIEW",
        "m" => "MATERIALIZED VIEW",
        "f" => "FOREIGN TABLE",
        _ => "TABLE",
    };
    let mut comment_done = false;
    for extra in rows(&extras) {
        if extra.opt(0) == Some("3") && !comment_done {
            push_table_comment(&mut out, kind_word, &name, row.opt(11));
            comment_done = true;
        }
        out.push('\n');
        out.push_str(extra.opt(1).unwrap_or_default());
    }
    if !comment_done {
        push_table_comment(&mut out, kind_word, &name, row.opt(11));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// A sequence is a relation whose columns are its state (last_value, log_cnt, is_called):
/// its definition is in pg_sequence, and the column that owns it in pg_depend ('a' is a
/// serial's or an OWNED BY; an identity column's own sequence is 'i' and part of its table).
async fn sequence(
    conn: &mut RawConn,
    out: &mut String,
    oid: &str,
    name: &str,
    unlogged: bool,
) -> DbResult<()> {
    let r = conn
        .query(
            "SELECT format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
                    s.seqmax, s.seqcache, s.seqcycle,
                    (SELECT format('%s.%I', d.refobjid::regclass, a.attname)
                       FROM pg_depend d
                       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                        AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a')
               FROM pg_sequence s WHERE s.seqrelid = $1::oid",
            &[Some(oid)],
        )
        .await?;
    let Some(s) = rows(&r).next() else {
        return Err(dbhive_core::DbError::internal(format!(
            "{name} is a sequence without a pg_sequence row"
        )));
    };
    let unlogged = if unlogged { "UNLOGGED " } else { "" };
    let _ = write!(
        out,
        "CREATE {unlogged}SEQUENCE {name}\n    AS {}\n    START WITH {}\n    INCREMENT BY {}\n    MINVALUE {}\n    MAXVALUE {}\n    CACHE {}",
        s.text(0),
        s.text(1),
        s.text(2),
        s.text(3),
        s.text(4),
        s.text(5)
    );
    if s.bool(6) {
        out.push_str("\n    CYCLE");
    }
    out.push_str(";\n");
    if let Some(owner) = s.opt(7) {
        let _ = writeln!(out, "ALTER SEQUENCE {name} OWNED BY {owner};");
    }
    Ok(())
}

fn push_table_comment(out: &mut String, kind: &str, name: &str, comment: Option<&str>) {
    if let Some(c) = comment {
        let _ = write!(out, "\nCOMMENT ON {kind} {name} IS {};", quote_literal(c));
    }
}

/// A SQL string literal, as quote_literal() writes it.
fn quote_literal(s: &str) -> String {
    let escaped = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", escaped.replace('\\', "\\\\"))
    } else {
        format!("'{escaped}'")
    }
}
