//! `AnalyzePlan`: a plan's schema, `explain()`, `printSchema()`'s tree, the Spark
//! version, DDL strings parsed, and `persist`/`unpersist`/`storageLevel` on the
//! session's cache.
//!
//! In: the request's analysis and the session. Out: its result. May import
//! `super::{plan, types}` and `crate::exec::cache`.

use prost::Message;

use super::plan::Translator;
use super::proto::analyze_plan_request::Analyze;
use super::proto::analyze_plan_response as ar;
use super::proto::plan::OpType;
use super::proto::*;
use super::sessions::Session;
use super::unsupported;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};

pub(super) fn plan_relation(plan: Option<&Plan>) -> Result<&Relation> {
    match plan.and_then(|p| p.op_type.as_ref()) {
        Some(OpType::Root(r)) => Ok(r),
        Some(_) => Err(unsupported("analysis of a command")),
        None => Err(EmberError::execution("an analysis without its plan")),
    }
}

pub(super) fn analyze(session: &Session, which: &Analyze) -> Result<ar::Result> {
    let df_of = |plan: Option<&Plan>| -> Result<DataFrame> {
        Ok(Translator::for_session(session)
            .relation(plan_relation(plan)?)?
            .df)
    };
    Ok(match which {
        Analyze::Schema(s) => {
            let schema = df_of(s.plan.as_ref())?.schema();
            let t = super::types::to_spark(&arrow::datatypes::DataType::Struct(
                schema.fields().clone(),
            ))
            .map_err(EmberError::execution)?;
            ar::Result::Schema(ar::Schema { schema: Some(t) })
        }
        Analyze::Explain(e) => {
            use analyze_plan_request::explain::ExplainMode;
            let df = df_of(e.plan.as_ref())?;
            let verbose = matches!(
                ExplainMode::try_from(e.explain_mode),
                Ok(ExplainMode::Extended | ExplainMode::Formatted | ExplainMode::Cost)
            );
            ar::Result::Explain(ar::Explain {
                explain_string: df.explain(verbose)?,
            })
        }
        Analyze::TreeString(t) => {
            let schema = df_of(t.plan.as_ref())?.schema();
            let level = t.level.filter(|l| *l > 0).map(|l| l as usize);
            ar::Result::TreeString(ar::TreeString {
                tree_string: tree_string(&schema, level),
            })
        }
        Analyze::IsLocal(l) => {
            let local = matches!(
                plan_relation(l.plan.as_ref())?.rel_type,
                Some(relation::RelType::LocalRelation(_))
            );
            ar::Result::IsLocal(ar::IsLocal { is_local: local })
        }
        Analyze::IsStreaming(_) => ar::Result::IsStreaming(ar::IsStreaming {
            is_streaming: false,
        }),
        Analyze::SparkVersion(_) => ar::Result::SparkVersion(ar::SparkVersion {
            version: SPARK_VERSION.into(),
        }),
        Analyze::DdlParse(d) => {
            let fields = super::types::parse_ddl(&d.ddl_string)
                .or_else(|e| {
                    super::types::parse_type(&d.ddl_string)
                        .map(|t| vec![arrow::datatypes::Field::new("value", t, true)])
                        .map_err(|_| e)
                })
                .map_err(EmberError::execution)?;
            let t = super::types::to_spark(&arrow::datatypes::DataType::Struct(fields.into()))
                .map_err(EmberError::execution)?;
            ar::Result::DdlParse(ar::DdlParse { parsed: Some(t) })
        }
        Analyze::Persist(p) => {
            let relation = p
                .relation
                .as_ref()
                .ok_or_else(|| EmberError::execution("persist without its DataFrame"))?;
            let rel = Translator::for_session(session).relation(relation)?;
            let level = p.storage_level.unwrap_or(StorageLevel {
                use_disk: true,
                use_memory: true,
                deserialized: true,
                replication: 1,
                ..Default::default()
            });
            let ember_level = if level.use_disk {
                crate::rdd::StorageLevel::MemoryAndDisk
            } else {
                crate::rdd::StorageLevel::MemoryOnly
            };
            let df = rel.df.persist(ember_level)?;
            let cached = super::sessions::Cached {
                rel: super::plan::Rel {
                    df,
                    plan_ids: rel.plan_ids,
                },
                level,
            };
            session
                .cached
                .lock()
                .map_err(|_| EmberError::internal("cache lock poisoned"))?
                .insert(relation.encode_to_vec(), cached);
            ar::Result::Persist(ar::Persist {})
        }
        Analyze::Unpersist(u) => {
            let relation = u
                .relation
                .as_ref()
                .ok_or_else(|| EmberError::execution("unpersist without its DataFrame"))?;
            let removed = session
                .cached
                .lock()
                .map_err(|_| EmberError::internal("cache lock poisoned"))?
                .remove(&relation.encode_to_vec());
            if let Some(c) = removed {
                c.rel.df.unpersist();
            }
            ar::Result::Unpersist(ar::Unpersist {})
        }
        Analyze::GetStorageLevel(g) => {
            let relation = g
                .relation
                .as_ref()
                .ok_or_else(|| EmberError::execution("storageLevel without its DataFrame"))?;
            let level = session
                .cached
                .lock()
                .map_err(|_| EmberError::internal("cache lock poisoned"))?
                .get(&relation.encode_to_vec())
                .map(|c| c.level)
                .unwrap_or_default();
            ar::Result::GetStorageLevel(ar::GetStorageLevel {
                storage_level: Some(level),
            })
        }
        other => {
            let debug = format!("{other:?}");
            return Err(unsupported(format!(
                "analysis: {}",
                debug.split('(').next().unwrap_or("?")
            )));
        }
    })
}

/// `printSchema()`'s text: `root` and one ` |-- name: type (nullable = ...)` line
/// per column, nested fields indented.
pub(super) fn tree_string(schema: &arrow::datatypes::SchemaRef, level: Option<usize>) -> String {
    fn field_lines(
        out: &mut String,
        f: &arrow::datatypes::Field,
        depth: usize,
        level: Option<usize>,
    ) {
        if level.is_some_and(|l| depth > l) {
            return;
        }
        let prefix = " |   ".repeat(depth - 1);
        out.push_str(&format!(
            "{prefix} |-- {}: {} (nullable = {})\n",
            f.name(),
            simple_type(f.data_type()),
            f.is_nullable()
        ));
        if let arrow::datatypes::DataType::Struct(children) = f.data_type() {
            for c in children {
                field_lines(out, c, depth + 1, level);
            }
        }
    }
    let mut out = String::from("root\n");
    for f in schema.fields() {
        field_lines(&mut out, f, 1, level);
    }
    out
}

/// Spark's short type name: `long`, `string`, `decimal(15,2)`, `array<int>`.
pub(super) fn simple_type(t: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType as D;
    match t {
        D::Null => "void".into(),
        D::Boolean => "boolean".into(),
        D::Int8 => "byte".into(),
        D::Int16 | D::UInt8 => "short".into(),
        D::Int32 | D::UInt16 => "integer".into(),
        D::Int64 | D::UInt32 | D::UInt64 => "long".into(),
        D::Float16 | D::Float32 => "float".into(),
        D::Float64 => "double".into(),
        D::Decimal128(p, s) | D::Decimal256(p, s) => format!("decimal({p},{s})"),
        D::Utf8 | D::LargeUtf8 | D::Utf8View => "string".into(),
        D::Binary | D::LargeBinary | D::BinaryView => "binary".into(),
        D::Date32 | D::Date64 => "date".into(),
        D::Timestamp(_, Some(_)) => "timestamp".into(),
        D::Timestamp(_, None) => "timestamp_ntz".into(),
        D::List(f) | D::LargeList(f) => format!("array<{}>", simple_type(f.data_type())),
        D::Struct(_) => "struct".into(),
        D::Interval(_) | D::Duration(_) => "interval".into(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// The version of Spark whose protocol Ember speaks.
pub(super) const SPARK_VERSION: &str = "4.2.0";
