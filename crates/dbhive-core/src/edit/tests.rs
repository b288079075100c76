use super::*;
use crate::schema::{IndexInfo, PrimaryKey, TableInfo, TableKind};

use crate::value::POSTGRES_LIKE as STYLE;

fn column(name: &str, data_type: &str, nullable: bool, extra: Option<&str>) -> ColumnInfo {
    ColumnInfo {
        name: name.into(),
        ordinal: 0,
        data_type: data_type.into(),
        nullable,
        default: None,
        is_primary_key: false,
        is_unique: false,
        extra: extra.map(str::to_string),
        comment: None,
        choices: None,
    }
}

fn described(
    pk: Option<&[&str]>,
    indexes: Vec<IndexInfo>,
    row_id: Option<&str>,
) -> TableDescription {
    TableDescription {
        table: TableInfo {
            schema: Some("s".into()),
            name: "t".into(),
            kind: TableKind::Table,
            row_estimate: None,
            size_bytes: None,
            comment: None,
            engine: None,
        },
        columns: vec![
            column("id", "integer", false, None),
            column("code", "text", false, None),
            column("note", "text", true, None),
            column("doc", "json", true, None),
            column(
                "total",
                "numeric",
                true,
                Some("GENERATED ALWAYS AS (1) STORED"),
            ),
        ],
        primary_key: pk.map(|c| PrimaryKey {
            name: None,
            columns: c.iter().map(|s| s.to_string()).collect(),
        }),
        indexes,
        foreign_keys: Vec::new(),
        referenced_by: Vec::new(),
        triggers: Vec::new(),
        row_id: row_id.map(str::to_string),
    }
}

fn unique(name: &str, columns: &[&str], predicate: Option<&str>) -> IndexInfo {
    IndexInfo {
        name: name.into(),
        columns: columns.iter().map(|s| s.to_string()).collect(),
        is_unique: true,
        is_primary: false,
        method: None,
        predicate: predicate.map(str::to_string),
        definition: None,
    }
}

fn seen(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect()
}

#[test]
fn the_key_is_the_primary_key_else_a_not_null_unique_key_else_the_row_id() {
    let d = described(Some(&["id"]), vec![], None);
    assert!(matches!(
        row_key(&d),
        RowKey::Columns {
            source: KeySource::Primary,
            ..
        }
    ));
    // A unique key over a nullable column does not name one row; one with a predicate
    // covers only part of the table.
    let d = described(
        None,
        vec![
            unique("u_note", &["note"], None),
            unique("u_part", &["code"], Some("id > 0")),
            unique("u_code", &["code", "id"], None),
        ],
        None,
    );
    assert_eq!(
        row_key(&d),
        RowKey::Columns {
            columns: vec!["code".into(), "id".into()],
            source: KeySource::Unique {
                index: "u_code".into()
            }
        }
    );
    let d = described(None, vec![unique("u_note", &["note"], None)], Some("ctid"));
    assert_eq!(
        row_key(&d),
        RowKey::RowId {
            column: "ctid".into()
        }
    );
    let d = described(None, vec![], None);
    let RowKey::ReadOnly { reason } = row_key(&d) else {
        panic!("keyless")
    };
    assert!(reason.contains("no primary key"), "{reason}");
    let table = EditTable::new(Engine::Postgres, &d, None);
    let e = plan(&table, &[Change::Insert { values: vec![] }], &STYLE).expect_err("read-only");
    assert!(e.message.contains("read-only"), "{e}");
}

#[test]
fn an_update_names_its_row_and_checks_what_the_user_saw() {
    let d = described(Some(&["id"]), vec![], None);
    let table = EditTable::new(Engine::Postgres, &d, None);
    let change = Change::Update {
        seen: seen(&[
            ("id", Value::Int(7)),
            ("note", Value::Null),
            ("doc", Value::Json("{\"a\": 1}".into())),
        ]),
        row_id: None,
        set: vec![
            ("note".into(), NewValue::Text("it's".into())),
            ("doc".into(), NewValue::Null),
        ],
    };
    let p = plan(&table, &[change], &STYLE).expect("plan");
    assert_eq!(
        p[0].sql,
        "UPDATE \"s\".\"t\" SET \"note\" = 'it''s', \"doc\" = NULL WHERE \"id\" = 7 AND \"note\" IS NULL AND \"doc\"::text = '{\"a\": 1}'::text"
    );
    assert!(p[0].expects_one_row);
}

#[test]
fn a_row_id_is_checked_with_every_value_seen() {
    let d = described(None, vec![], Some("ctid"));
    let table = EditTable::new(Engine::Postgres, &d, None);
    let change = Change::Delete {
        seen: seen(&[("id", Value::Int(1)), ("code", Value::Text("a".into()))]),
        row_id: Some(Value::Other {
            type_name: "tid".into(),
            text: "(0,3)".into(),
        }),
    };
    let p = plan(&table, &[change], &STYLE).expect("plan");
    assert_eq!(
        p[0].sql,
        "DELETE FROM \"s\".\"t\" WHERE ctid = '(0,3)'::tid AND \"id\" = 1 AND \"code\" = 'a'"
    );
    let missing = Change::Delete {
        seen: seen(&[("id", Value::Int(1))]),
        row_id: None,
    };
    assert!(
        plan(&table, &[missing], &STYLE).is_err(),
        "no row id, no statement"
    );
}

#[test]
fn inserts_leave_defaults_out_and_generated_columns_are_refused() {
    let d = described(Some(&["id"]), vec![], None);
    for (engine, empty) in [
        (Engine::Postgres, "INSERT INTO \"s\".\"t\" DEFAULT VALUES"),
        (Engine::Mysql, "INSERT INTO `s`.`t` () VALUES ()"),
        (Engine::Mssql, "INSERT INTO [s].[t] DEFAULT VALUES"),
    ] {
        let table = EditTable::new(engine, &d, None);
        let p = plan(
            &table,
            &[Change::Insert {
                values: vec![("id".into(), NewValue::Default)],
            }],
            &STYLE,
        )
        .expect("plan");
        assert_eq!(p[0].sql, empty);
        assert!(!p[0].expects_one_row);
    }
    let table = EditTable::new(Engine::Postgres, &d, None);
    let e = plan(
        &table,
        &[Change::Insert {
            values: vec![("total".into(), NewValue::Text("1".into()))],
        }],
        &STYLE,
    )
    .expect_err("generated");
    assert!(e.message.contains("computed by the server"), "{e}");
    let e = plan(
        &table,
        &[Change::Insert {
            values: vec![("nope".into(), NewValue::Null)],
        }],
        &STYLE,
    )
    .expect_err("unknown");
    assert!(e.message.contains("no column nope"), "{e}");
}

#[test]
fn each_engine_quotes_names_and_text_its_own_way() {
    let t = TableRef {
        database: Some("db".into()),
        schema: Some("dbo".into()),
        name: "a]b".into(),
    };
    assert_eq!(qualified(Engine::Mssql, &t), "[db].[dbo].[a]]b]");
    assert_eq!(quote_ident(Engine::Mysql, "a`b"), "`a``b`");
    assert_eq!(quote_ident(Engine::Sqlite, "a\"b"), "\"a\"\"b\"");
    assert_eq!(sql::text_literal(Engine::Mssql, "Ünï'"), "N'Ünï'''");
    // MySQL's backslash escapes depend on sql_mode: hex is right in both.
    assert_eq!(
        sql::text_literal(Engine::Mysql, "a\\b"),
        "_utf8mb4 X'615c62'"
    );
    assert_eq!(sql::text_literal(Engine::Mysql, "a'b"), "'a''b'");
    assert_eq!(
        sql::value_literal(Engine::Postgres, &Value::Bytes(vec![0, 255]), &STYLE),
        "'\\x00ff'"
    );
    assert_eq!(
        sql::value_literal(Engine::Mssql, &Value::Bytes(vec![0, 255]), &STYLE),
        "0x00ff"
    );
    assert_eq!(
        sql::value_literal(Engine::Sqlite, &Value::Bool(true), &STYLE),
        "1"
    );
    assert_eq!(
        sql::value_literal(Engine::Postgres, &Value::Float(f64::NAN), &STYLE),
        "'NaN'"
    );
    assert_eq!(
        sql::value_literal(Engine::Postgres, &Value::Decimal("NaN".into()), &STYLE),
        "'NaN'"
    );
    assert_eq!(
        sql::value_literal(Engine::Postgres, &Value::Decimal("12.340".into()), &STYLE),
        "12.340"
    );
}

#[test]
fn a_browse_sorts_filters_and_pages_on_the_server() {
    let d = described(Some(&["id"]), vec![], None);
    let browse = Browse {
        sort: vec![
            ("code".into(), Direction::Desc),
            ("id".into(), Direction::Asc),
        ],
        conditions: vec![
            Condition {
                column: "note".into(),
                op: Op::IsNull,
                value: String::new(),
            },
            Condition {
                column: "code".into(),
                op: Op::Like,
                value: "a'%".into(),
            },
        ],
        raw_where: Some("id > 3 -- mine".into()),
        offset: 100,
        limit: Some(50),
    };
    let pg = EditTable::new(Engine::Postgres, &d, None);
    assert_eq!(
        select(&pg, &browse).expect("pg"),
        "SELECT * FROM \"s\".\"t\" WHERE \"note\" IS NULL AND \"code\"::text LIKE 'a''%' AND (id > 3 -- mine\n) ORDER BY \"code\" DESC, \"id\" LIMIT 50 OFFSET 100"
    );
    let ms = EditTable::new(Engine::Mssql, &d, None);
    assert!(
        select(&ms, &browse)
            .expect("mssql")
            .ends_with("ORDER BY [code] DESC, [id] OFFSET 100 ROWS FETCH NEXT 50 ROWS ONLY")
    );
    let only_offset = Browse {
        offset: 10,
        ..Browse::default()
    };
    let my = EditTable::new(Engine::Mysql, &d, None);
    assert_eq!(
        select(&my, &only_offset).expect("mysql"),
        "SELECT * FROM `s`.`t` LIMIT 18446744073709551615 OFFSET 10"
    );
    let rowid = EditTable::new(
        Engine::Sqlite,
        &described(None, vec![], Some("rowid")),
        None,
    );
    assert_eq!(
        select(&rowid, &Browse::default()).expect("sqlite"),
        "SELECT rowid, * FROM \"s\".\"t\""
    );
    let bad = Browse {
        sort: vec![("nope".into(), Direction::Asc)],
        ..Browse::default()
    };
    assert!(
        select(&pg, &bad).is_err(),
        "an unknown column is refused, not sent"
    );
}

#[test]
fn a_grid_change_reads_what_the_user_saw_from_the_stored_row() {
    use crate::result::Column;
    let keyed = EditTable::new(
        Engine::Postgres,
        &described(Some(&["id"]), vec![], None),
        None,
    );
    let columns: Vec<Column> = ["id", "code", "note", "doc", "total"]
        .iter()
        .map(|n| Column::new(*n, "text"))
        .collect();
    let row = vec![
        Value::Int(7),
        Value::Text("a".into()),
        Value::Null,
        Value::Json("{}".into()),
        Value::Decimal("1".into()),
    ];
    let update = GridChange::Update {
        row: 0,
        set: vec![("note".into(), NewValue::Text(String::new()))],
    };
    assert_eq!(
        change_from_row(&keyed, &columns, Some(&row), update).expect("update"),
        Change::Update {
            seen: seen(&[("id", Value::Int(7)), ("note", Value::Null)]),
            row_id: None,
            set: vec![("note".into(), NewValue::Text(String::new()))],
        }
    );
    // A duplicate takes the stored values, the user's own where given, and leaves the
    // generated column to the server.
    let copy = GridChange::Insert {
        values: vec![("id".into(), NewValue::Text("8".into()))],
        copy_of: Some(0),
    };
    assert_eq!(
        change_from_row(&keyed, &columns, Some(&row), copy).expect("duplicate"),
        Change::Insert {
            values: vec![
                ("id".into(), NewValue::Text("8".into())),
                ("code".into(), NewValue::Value(Value::Text("a".into()))),
                ("note".into(), NewValue::Value(Value::Null)),
                ("doc".into(), NewValue::Value(Value::Json("{}".into()))),
            ],
        }
    );
    let gone = change_from_row(&keyed, &columns, None, GridChange::Delete { row: 9 });
    assert!(gone.is_err(), "a row no longer stored cannot be named");

    // With a row id, the address is the first column and every value seen is checked.
    let by_id = EditTable::new(
        Engine::Postgres,
        &described(None, vec![], Some("ctid")),
        None,
    );
    let mut with_id = vec![Column::new("ctid", "tid")];
    with_id.extend(columns.iter().cloned());
    let mut id_row = vec![Value::Other {
        type_name: "tid".into(),
        text: "(0,1)".into(),
    }];
    id_row.extend(row.iter().cloned());
    let Change::Delete { seen: all, row_id } = change_from_row(
        &by_id,
        &with_id,
        Some(&id_row),
        GridChange::Delete { row: 0 },
    )
    .expect("delete") else {
        panic!("a delete")
    };
    assert_eq!(row_id, id_row.first().cloned());
    assert_eq!(all.len(), 5);
    assert!(
        change_from_row(&by_id, &columns, Some(&row), GridChange::Delete { row: 0 }).is_err(),
        "a result without the row address cannot name a keyless row"
    );
}

#[test]
fn a_query_result_is_edited_through_its_column_origins() {
    use crate::result::{Column, ColumnOrigin};
    let table = EditTable::new(Engine::Mysql, &described(Some(&["id"]), vec![], None), None);
    let from = |name: &str, table: &str, column: &str| Column {
        origin: Some(ColumnOrigin {
            schema: Some("s".into()),
            table: table.into(),
            column: column.into(),
        }),
        ..Column::new(name, "text")
    };
    // SELECT id, code AS label, upper(code) AS code FROM t: the alias is the column, the
    // expression named like a column is not.
    let columns = vec![
        from("id", "t", "id"),
        from("label", "t", "code"),
        Column::new("code", "text"),
    ];
    assert_eq!(origin_table(&columns), Ok((Some("s".into()), "t".into())));
    assert_eq!(
        result_columns(&table, &columns),
        Ok(vec![Some("id".into()), Some("code".into()), None])
    );
    assert_eq!(result_column(&table, &columns, "code"), Some(1));
    let no_key = vec![from("label", "t", "code")];
    assert!(
        result_columns(&table, &no_key)
            .expect_err("no key")
            .contains("does not include the key (id)")
    );
    let joined = vec![from("id", "t", "id"), from("x", "u", "x")];
    assert!(
        origin_table(&joined)
            .expect_err("two tables")
            .contains("2 tables (t, u)")
    );
    assert!(origin_table(&[Column::new("n", "int")]).is_err());
}
