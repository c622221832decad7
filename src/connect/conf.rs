//! The `Config` RPC: `ember.*` keys are Ember's session settings (`SET`, with its
//! checks); other keys (the `spark.*` ones PySpark sets and reads) are stored per
//! session and given back, with Spark's defaults for those PySpark reads unasked.
//!
//! In: a config operation and the session. Out: key/value pairs. May import
//! `crate::config` and `super::sessions`.

use super::proto::KeyValue;
use super::proto::config_request::operation::OpType as ConfigOp;
use super::sessions::Session;
use crate::error::{EmberError, Result};
/// Values of the `spark.*` settings PySpark reads, where the client has set none.
pub(super) fn spark_default(key: &str) -> Option<&'static str> {
    Some(match key {
        "spark.sql.session.timeZone" => "UTC",
        "spark.sql.timestampType" => "TIMESTAMP_LTZ",
        "spark.sql.ansi.enabled" => "true",
        "spark.sql.session.localRelationCacheThreshold" => "67108864",
        "spark.sql.session.localRelationSizeLimit" => "2147483647",
        "spark.sql.session.localRelationChunkSizeRows" => "10000",
        "spark.sql.session.localRelationChunkSizeBytes" => "16777216",
        "spark.sql.session.localRelationBatchOfChunksSizeBytes" => "134217728",
        "spark.sql.execution.pandas.convertToArrowArraySafely" => "false",
        "spark.sql.execution.pandas.inferPandasDictAsMap" => "false",
        "spark.sql.execution.pandas.structHandlingMode" => "legacy",
        "spark.sql.execution.arrow.pyspark.selfDestruct.enabled" => "false",
        "spark.sql.execution.arrow.useLargeVarTypes" => "false",
        "spark.sql.execution.pyspark.binaryAsBytes" => "true",
        "spark.sql.pyspark.inferNestedDictAsStruct.enabled" => "false",
        "spark.sql.pyspark.legacy.inferArrayTypeFromFirstElement.enabled" => "false",
        "spark.sql.pyspark.legacy.inferMapTypeFromFirstPair.enabled" => "false",
        "spark.sql.pyspark.jvmStacktrace.enabled" => "false",
        "spark.sql.connect.serverStacktrace.enabled" => "false",
        "spark.sql.repl.eagerEval.enabled" => "false",
        "spark.sql.repl.eagerEval.maxNumRows" => "20",
        "spark.sql.repl.eagerEval.truncate" => "20",
        _ => return None,
    })
}

pub(super) fn is_ember_key(key: &str) -> bool {
    key.to_ascii_lowercase().starts_with("ember.")
}

/// A setting's value: Ember's own, one the client set, or Spark's default.
pub(super) fn get_setting(session: &Session, key: &str) -> Option<String> {
    if is_ember_key(key) {
        return session
            .ctx
            .config()
            .entries()
            .into_iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v, _)| v);
    }
    let stored = session.spark_conf.lock().ok()?.get(key).cloned();
    stored.or_else(|| spark_default(key).map(str::to_string))
}

pub(super) fn config(session: &Session, op: &ConfigOp) -> Result<Vec<KeyValue>> {
    let kv = |key: &str, value: Option<String>| KeyValue {
        key: key.to_string(),
        value,
    };
    let spark_conf = || {
        session
            .spark_conf
            .lock()
            .map_err(|_| EmberError::internal("settings lock poisoned"))
    };
    Ok(match op {
        ConfigOp::Set(s) => {
            for p in &s.pairs {
                let value = p.value.clone().unwrap_or_default();
                if is_ember_key(&p.key) {
                    session.ctx.set(&p.key, &value)?;
                } else {
                    spark_conf()?.insert(p.key.clone(), value);
                }
            }
            vec![]
        }
        ConfigOp::Get(g) => g
            .keys
            .iter()
            .map(|k| kv(k, get_setting(session, k)))
            .collect(),
        ConfigOp::GetOption(g) => g
            .keys
            .iter()
            .map(|k| kv(k, get_setting(session, k)))
            .collect(),
        ConfigOp::GetWithDefault(g) => g
            .pairs
            .iter()
            .map(|p| {
                let stored = if is_ember_key(&p.key) {
                    get_setting(session, &p.key)
                } else {
                    spark_conf().ok().and_then(|c| c.get(&p.key).cloned())
                };
                kv(&p.key, stored.or_else(|| p.value.clone()))
            })
            .collect(),
        ConfigOp::GetAll(g) => {
            let prefix = g.prefix.clone().unwrap_or_default();
            let mut all: Vec<KeyValue> = session
                .ctx
                .config()
                .entries()
                .into_iter()
                .map(|(k, v, _)| kv(&k, Some(v)))
                .collect();
            all.extend(spark_conf()?.iter().map(|(k, v)| kv(k, Some(v.clone()))));
            all.retain(|p| p.key.starts_with(&prefix));
            all
        }
        ConfigOp::Unset(u) => {
            let defaults = crate::config::SessionConfig::default().entries();
            for k in &u.keys {
                if is_ember_key(k) {
                    let default = defaults
                        .iter()
                        .find(|(d, _, _)| d.eq_ignore_ascii_case(k))
                        .map(|(_, v, _)| v.clone())
                        .ok_or_else(|| EmberError::config(format!("unknown setting '{k}'")))?;
                    session.ctx.set(k, &default)?;
                } else {
                    spark_conf()?.remove(k);
                }
            }
            vec![]
        }
        ConfigOp::IsModifiable(m) => m
            .keys
            .iter()
            .map(|k| {
                let modifiable = !is_ember_key(k)
                    || crate::config::setting(k).is_some_and(|s| {
                        !matches!(s.change, crate::config::setting::Change::AtStart(_))
                    });
                kv(k, Some(modifiable.to_string()))
            })
            .collect(),
    })
}
