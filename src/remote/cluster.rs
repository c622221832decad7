//! Tables only the cluster's catalog holds. When a remote query names a table Ember
//! does not know, the session asks the server for the schema of
//! `Read.named_table(name)` (AnalyzePlan), maps Spark's types to Arrow's, and plans
//! against a [`ClusterTable`]; the translation then reads it by that name. Each
//! statement asks once per table, however often it names it ([`ClusterLookups`]).
//!
//! In: the server's URL and a table name's parts as written. Out: a
//! [`ClusterTable`], `None` when the cluster has no such table, or an error naming
//! the column whose Spark type Ember cannot hold. May import `super::{client, url,
//! builders}`, `crate::connect::{proto, types}`, `crate::sources::cluster` and
//! `crate::error`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::{Field, Schema};

use super::builders::{quote, relation};
use super::client;
use super::url::RemoteUrl;
use crate::connect::proto::DataType as SparkType;
use crate::connect::proto::data_type::Kind;
use crate::connect::proto::read::{NamedTable, ReadType};
use crate::connect::proto::relation::RelType;
use crate::connect::proto::{Read, Relation};
use crate::error::{EmberError, Result};
use crate::sources::cluster::ClusterTable;

/// The relation reading the cluster's table `identifier`.
pub(super) fn named_table_read(identifier: &str) -> Relation {
    relation(RelType::Read(Read {
        is_streaming: false,
        read_type: Some(ReadType::NamedTable(NamedTable {
            unparsed_identifier: identifier.to_string(),
            options: HashMap::new(),
        })),
    }))
}

/// Spark's multi-part identifier for a name's parts as written: `db.t`, with a part
/// backquoted when it is not a plain name (`` `my table` ``).
pub fn identifier(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| {
            let plain = p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain { p.clone() } else { quote(p) }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The table the cluster at `url` calls `name`, or `None` when it says it has none.
pub fn lookup(url: &str, name: &[String]) -> Result<Option<ClusterTable>> {
    let server = RemoteUrl::parse(url)?;
    let identifier = identifier(name);
    let spark = client::schema(&server, named_table_read(&identifier)).map_err(|e| match e {
        EmberError::Remote(m) => EmberError::Remote(format!("looking up table {identifier}: {m}")),
        other => other,
    })?;
    let Some(spark) = spark else {
        return Ok(None);
    };
    let schema = arrow_schema(&spark).map_err(|why| {
        EmberError::Unsupported(format!(
            "the table {identifier} on the cluster at {server}: {why}"
        ))
    })?;
    Ok(Some(ClusterTable::new(
        identifier,
        server.to_string(),
        Arc::new(schema),
    )))
}

/// The Arrow schema Ember plans with for a Spark schema (a struct type), or what
/// keeps a column out: `column 'm' has Spark type map<string,int>, which Ember has
/// no type for`.
pub fn arrow_schema(spark: &SparkType) -> std::result::Result<Schema, String> {
    let Some(Kind::Struct(s)) = &spark.kind else {
        return Err(format!(
            "its schema is {}, not a struct of columns",
            spark_type_name(spark)
        ));
    };
    let fields = s
        .fields
        .iter()
        .map(|f| {
            let t = f
                .data_type
                .as_ref()
                .ok_or_else(|| format!("column '{}' has no type", f.name))?;
            let arrow = crate::connect::types::from_spark(t).map_err(|_| {
                format!(
                    "column '{}' has Spark type {}, which Ember has no type for",
                    f.name,
                    spark_type_name(t)
                )
            })?;
            Ok(Field::new(&f.name, arrow, f.nullable))
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    Ok(Schema::new(fields))
}

/// Spark's name of a type, for errors (`map<string,int>`, `interval day to second`).
fn spark_type_name(t: &SparkType) -> String {
    let name = |t: &Option<Box<SparkType>>| t.as_deref().map_or("?".into(), spark_type_name);
    let Some(kind) = &t.kind else {
        return "?".into();
    };
    match kind {
        Kind::Null(_) => "void".into(),
        Kind::Boolean(_) => "boolean".into(),
        Kind::Byte(_) => "tinyint".into(),
        Kind::Short(_) => "smallint".into(),
        Kind::Integer(_) => "int".into(),
        Kind::Long(_) => "bigint".into(),
        Kind::Float(_) => "float".into(),
        Kind::Double(_) => "double".into(),
        Kind::Decimal(d) => format!(
            "decimal({},{})",
            d.precision.unwrap_or(10),
            d.scale.unwrap_or(0)
        ),
        Kind::String(_) => "string".into(),
        Kind::Char(c) => format!("char({})", c.length),
        Kind::VarChar(c) => format!("varchar({})", c.length),
        Kind::Binary(_) => "binary".into(),
        Kind::Date(_) => "date".into(),
        Kind::Timestamp(_) => "timestamp".into(),
        Kind::TimestampNtz(_) => "timestamp_ntz".into(),
        Kind::CalendarInterval(_) => "interval".into(),
        Kind::YearMonthInterval(_) => "interval year to month".into(),
        Kind::DayTimeInterval(_) => "interval day to second".into(),
        Kind::Array(a) => format!("array<{}>", name(&a.element_type)),
        Kind::Map(m) => format!("map<{},{}>", name(&m.key_type), name(&m.value_type)),
        Kind::Struct(s) => format!(
            "struct<{}>",
            s.fields
                .iter()
                .map(|f| format!(
                    "{}:{}",
                    f.name,
                    f.data_type.as_ref().map_or("?".into(), spark_type_name)
                ))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Kind::Unparsed(u) => u.data_type_string.clone(),
        other => {
            // Kinds newer than this list (variant, time, user-defined): the
            // protocol's own name.
            let debug = format!("{other:?}");
            debug.split('(').next().unwrap_or("?").to_ascii_lowercase()
        }
    }
}

/// The cluster's tables one statement names, each looked up once: the second
/// reference to a table, in the same statement, costs no round trip.
#[derive(Default)]
pub struct ClusterLookups {
    answers: Mutex<HashMap<String, Option<Arc<ClusterTable>>>>,
}

impl ClusterLookups {
    /// The table `name` on the cluster at `url`, asked of the server the first time.
    pub fn get(&self, url: &str, name: &[String]) -> Result<Option<Arc<ClusterTable>>> {
        self.get_or(url, name, || lookup(url, name))
    }

    fn get_or(
        &self,
        url: &str,
        name: &[String],
        ask: impl FnOnce() -> Result<Option<ClusterTable>>,
    ) -> Result<Option<Arc<ClusterTable>>> {
        // Names as written: whether case matters is the cluster's rule (Spark
        // ignores it, Sail 0.7 does not).
        let key = format!("{url}\u{0}{}", identifier(name));
        if let Some(answer) = self.lock()?.get(&key) {
            return Ok(answer.clone());
        }
        let answer = ask()?.map(Arc::new);
        self.lock()?.insert(key, answer.clone());
        Ok(answer)
    }

    fn lock(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, HashMap<String, Option<Arc<ClusterTable>>>>> {
        self.answers
            .lock()
            .map_err(|_| EmberError::internal("cluster table lookups lock poisoned"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::proto::data_type::{self as dt};
    use arrow::datatypes::{DataType, TimeUnit};
    use ember_planner::TableSource;

    fn spark(kind: Kind) -> SparkType {
        SparkType { kind: Some(kind) }
    }

    fn column(name: &str, kind: Kind, nullable: bool) -> dt::StructField {
        dt::StructField {
            name: name.into(),
            data_type: Some(spark(kind)),
            nullable,
            metadata: None,
        }
    }

    fn schema_of(fields: Vec<dt::StructField>) -> SparkType {
        spark(Kind::Struct(dt::Struct {
            fields,
            type_variation_reference: 0,
        }))
    }

    #[test]
    fn spark_schemas_map_to_arrow() {
        let s = schema_of(vec![
            column("id", Kind::Long(dt::Long::default()), false),
            column("n", Kind::Integer(dt::Integer::default()), true),
            column("small", Kind::Short(dt::Short::default()), true),
            column("ratio", Kind::Double(dt::Double::default()), true),
            column(
                "price",
                Kind::Decimal(dt::Decimal {
                    precision: Some(15),
                    scale: Some(2),
                    type_variation_reference: 0,
                }),
                true,
            ),
            column("name", Kind::String(dt::String::default()), true),
            column(
                "code",
                Kind::VarChar(dt::VarChar {
                    length: 3,
                    type_variation_reference: 0,
                }),
                true,
            ),
            column("day", Kind::Date(dt::Date::default()), true),
            column("at", Kind::Timestamp(dt::Timestamp::default()), true),
            column(
                "local",
                Kind::TimestampNtz(dt::TimestampNtz::default()),
                true,
            ),
            column("ok", Kind::Boolean(dt::Boolean::default()), true),
            column("raw", Kind::Binary(dt::Binary::default()), true),
        ]);
        let arrow = arrow_schema(&s).unwrap();
        let got: Vec<(String, DataType, bool)> = arrow
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
            .collect();
        let want = vec![
            ("id", DataType::Int64, false),
            ("n", DataType::Int32, true),
            ("small", DataType::Int16, true),
            ("ratio", DataType::Float64, true),
            ("price", DataType::Decimal128(15, 2), true),
            ("name", DataType::Utf8, true),
            ("code", DataType::Utf8, true),
            ("day", DataType::Date32, true),
            (
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            (
                "local",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                true,
            ),
            ("ok", DataType::Boolean, true),
            ("raw", DataType::Binary, true),
        ];
        let want: Vec<(String, DataType, bool)> = want
            .into_iter()
            .map(|(n, t, null)| (n.to_string(), t, null))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_type_ember_has_not_names_the_column_and_the_type() {
        let map = Kind::Map(Box::new(dt::Map {
            key_type: Some(Box::new(spark(Kind::String(dt::String::default())))),
            value_type: Some(Box::new(spark(Kind::Integer(dt::Integer::default())))),
            value_contains_null: true,
            type_variation_reference: 0,
        }));
        let s = schema_of(vec![
            column("id", Kind::Long(dt::Long::default()), false),
            column("tags", map, true),
        ]);
        assert_eq!(
            arrow_schema(&s).unwrap_err(),
            "column 'tags' has Spark type map<string,int>, which Ember has no type for"
        );
        let s = schema_of(vec![column(
            "span",
            Kind::DayTimeInterval(dt::DayTimeInterval::default()),
            true,
        )]);
        assert_eq!(
            arrow_schema(&s).unwrap_err(),
            "column 'span' has Spark type interval day to second, which Ember has no type for"
        );
    }

    #[test]
    fn identifiers_pass_through_as_written() {
        let parts = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(identifier(&parts(&["Sales"])), "Sales");
        assert_eq!(identifier(&parts(&["db", "t_1"])), "db.t_1");
        assert_eq!(identifier(&parts(&["my db", "a`b"])), "`my db`.`a``b`");
        assert_eq!(identifier(&parts(&["1x"])), "`1x`");
    }

    #[test]
    fn a_statement_asks_once_per_table() {
        let lookups = ClusterLookups::default();
        let mut asked = 0;
        let table = || {
            Ok(Some(ClusterTable::new(
                "sales".into(),
                "sc://h:1".into(),
                Arc::new(Schema::empty()),
            )))
        };
        for name in ["sales", "sales", "sales"] {
            let t = lookups
                .get_or("sc://h:1", &[name.to_string()], || {
                    asked += 1;
                    table()
                })
                .unwrap()
                .unwrap();
            assert_eq!(t.describe(), "the table sales on the cluster at sc://h:1");
        }
        assert_eq!(asked, 1);
        // An absent table is remembered too; another name, or the same in other
        // case, is asked.
        for _ in 0..2 {
            let none = lookups
                .get_or("sc://h:1", &["nosuch".to_string()], || {
                    asked += 1;
                    Ok(None)
                })
                .unwrap();
            assert!(none.is_none());
        }
        assert_eq!(asked, 2);
        let upper = lookups
            .get_or("sc://h:1", &["SALES".to_string()], || {
                asked += 1;
                Ok(None)
            })
            .unwrap();
        assert!(upper.is_none());
        assert_eq!(asked, 3);
    }
}
