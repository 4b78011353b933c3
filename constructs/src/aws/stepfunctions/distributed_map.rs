//! The distributed Map: each item (or batch of items) runs as a child
//! execution, items can be read from S3 and results written to S3.
//!
//! Build one with [`StateGraph::distributed_map`](super::StateGraph::distributed_map).
//! The execution role gets what it needs, and only that: `s3:GetObject` on
//! the object an [`ItemReader`] reads (or `s3:ListBucket` on the bucket it
//! lists), the writes of a [`ResultWriter`] under its prefix, and
//! `states:StartExecution` on the state machine itself (with
//! `states:DescribeExecution` and `states:StopExecution` on its child
//! executions), named by the machine's name pattern rather than by a
//! reference to it, which would be circular (the machine depends on its role's policy).

use serde_json::{json, Map as JsonMap, Value as Json};

use crate::aws::iam::PolicyStatement;
use crate::aws::s3::BucketName;
use crate::core::{Pseudo, Value};

use super::graph::JsonPath;

/// How a child execution runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChildExecutionType {
    /// Standard child executions (`STANDARD`): up to a year, exactly once.
    #[default]
    Standard,
    /// Express child executions (`EXPRESS`): up to 5 minutes, cheaper for many short items.
    Express,
}

impl ChildExecutionType {
    fn as_str(self) -> &'static str {
        match self {
            ChildExecutionType::Standard => "STANDARD",
            ChildExecutionType::Express => "EXPRESS",
        }
    }
}

/// Where a CSV file's column names come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CsvHeaders {
    /// The file's first row (`FIRST_ROW`).
    #[default]
    FirstRow,
    /// These names (`GIVEN`); every row is data.
    Given(Vec<String>),
}

/// What an [`ItemReader`] reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemSource {
    /// A JSON array in one object (`s3:getObject`, `InputType: JSON`).
    Json {
        /// The object's key.
        key: String,
    },
    /// A CSV file (`s3:getObject`, `InputType: CSV`): each row is an item, an
    /// object keyed by the column names.
    Csv {
        /// The object's key.
        key: String,
        /// Where the column names come from.
        headers: CsvHeaders,
    },
    /// The objects of the bucket (`s3:listObjectsV2`): each item describes one
    /// object (`Key`, `Size`, `ETag` ...).
    Objects {
        /// Only the keys starting with this. Default: every object.
        prefix: Option<String>,
    },
}

/// Reads a distributed Map's items from S3.
#[derive(Clone, Debug)]
pub struct ItemReader {
    /// The bucket read (`bucket.name()`).
    pub bucket: BucketName,
    /// What is read.
    pub source: ItemSource,
    /// Read at most this many items (`ReaderConfig.MaxItems`). Default: all.
    pub max_items: Option<u32>,
}

/// Groups items into batches: each child execution gets
/// `{"BatchInput": ..., "Items": [...]}`.
#[derive(Clone, Debug, Default)]
pub struct ItemBatcher {
    /// At most this many items per batch. Default: no item limit.
    pub max_items_per_batch: Option<u32>,
    /// At most this many bytes of items per batch (up to 256 KiB). Default: no byte limit.
    pub max_input_bytes_per_batch: Option<u32>,
    /// A value given to every batch as `BatchInput` (`key.$` fields read the
    /// Map's input). Default: none.
    pub batch_input: Option<Value>,
}

/// Writes the child executions' results to S3 (and makes the Map's result a
/// description of where they are, instead of the results themselves).
#[derive(Clone, Debug)]
pub struct ResultWriter {
    /// The bucket written (`bucket.name()`).
    pub bucket: BucketName,
    /// The key prefix of the results. Default: the bucket's root.
    pub prefix: Option<String>,
}

/// Properties of a distributed Map state.
#[derive(Clone, Debug, Default)]
pub struct DistributedMapProps {
    /// A comment. Default: none.
    pub comment: Option<String>,
    /// `InputPath`. Default: `$`.
    pub input_path: Option<JsonPath>,
    /// The array to iterate over in the input (`ItemsPath`), when there is no
    /// `item_reader`. Default: `$`.
    pub items_path: Option<String>,
    /// Reads the items from S3 instead. Default: none (the items are in the input).
    pub item_reader: Option<ItemReader>,
    /// Builds each item's input (`ItemSelector`; `$$.Map.Item.Value` is the item). Default: the item.
    pub item_selector: Option<Value>,
    /// Batches the items. Default: one item per child execution.
    pub item_batcher: Option<ItemBatcher>,
    /// Writes the results to S3. Default: the results are the Map's result.
    pub result_writer: Option<ResultWriter>,
    /// How the child executions run. Default: standard.
    pub execution_type: ChildExecutionType,
    /// How many child executions run at once (`MaxConcurrency`). Default: 0,
    /// as many as the service allows (10,000).
    pub max_concurrency: Option<u32>,
    /// The Map fails when more than this percentage of items fail. Default: 0.
    pub tolerated_failure_percentage: Option<f64>,
    /// The Map fails when more than this many items fail. Default: 0.
    pub tolerated_failure_count: Option<u32>,
    /// A name for the Map Run (at most 40 characters, no spaces or special
    /// characters). Default: none.
    pub label: Option<String>,
    /// `ResultSelector`. Default: none.
    pub result_selector: Option<Value>,
    /// `ResultPath`. Default: `$`.
    pub result_path: Option<JsonPath>,
    /// `OutputPath`. Default: `$`.
    pub output_path: Option<JsonPath>,
}

fn states_arn(rest: &str) -> Value {
    Value::concat([
        Value::from("arn:"),
        Value::Pseudo(Pseudo::Partition),
        Value::from(format!(":states:::{rest}")),
    ])
}

fn s3_arn(bucket: &BucketName, rest: &str) -> Value {
    Value::concat([
        Value::from("arn:"),
        Value::Pseudo(Pseudo::Partition),
        Value::from(":s3:::"),
        bucket.value(),
        Value::from(rest.to_owned()),
    ])
}

/// A key or prefix as the part of an object ARN after the bucket.
fn under(prefix: &Option<String>) -> String {
    match prefix.as_deref().map(|p| p.trim_matches('/')) {
        Some(p) if !p.is_empty() => format!("/{p}/*"),
        _ => "/*".to_owned(),
    }
}

impl DistributedMapProps {
    /// Problems of the properties, each with its fix.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.items_path.is_some() && self.item_reader.is_some() {
            out.push("give items_path or item_reader, not both: the items are either in the input or in S3".into());
        }
        if let Some(p) = self.tolerated_failure_percentage {
            if !(0.0..=100.0).contains(&p) {
                out.push(format!("tolerated_failure_percentage {p} must be between 0 and 100"));
            }
        }
        if let Some(label) = &self.label {
            let bad = |c: char| c.is_whitespace() || c.is_control() || "?*<>{}[]:;,\\|^~$#%&`\"".contains(c);
            if label.chars().count() > 40 || label.chars().any(bad) {
                out.push(format!(
                    "label '{label}' must be at most 40 characters without spaces or special characters"
                ));
            }
        }
        if let Some(b) = &self.item_batcher {
            if b.max_items_per_batch.is_none() && b.max_input_bytes_per_batch.is_none() {
                out.push("item_batcher needs max_items_per_batch or max_input_bytes_per_batch".into());
            }
            if b.max_input_bytes_per_batch.is_some_and(|n| n > 256 * 1024) {
                out.push("item_batcher max_input_bytes_per_batch must be at most 262144 (256 KiB)".into());
            }
        }
        if let Some(r) = &self.item_reader {
            let key = match &r.source {
                ItemSource::Json { key } | ItemSource::Csv { key, .. } => Some(key),
                ItemSource::Objects { .. } => None,
            };
            if key.is_some_and(|k| k.is_empty()) {
                out.push("item_reader: the object key is empty: give the key of the JSON or CSV object".into());
            }
            if let ItemSource::Csv {
                headers: CsvHeaders::Given(h),
                ..
            } = &r.source
            {
                if h.is_empty() {
                    out.push("item_reader: CsvHeaders::Given needs at least one column name".into());
                }
            }
        }
        out
    }

    /// The statements the execution role needs for S3.
    pub(crate) fn policy_statements(&self) -> Vec<PolicyStatement> {
        let mut out = Vec::new();
        if let Some(r) = &self.item_reader {
            match &r.source {
                ItemSource::Json { key } | ItemSource::Csv { key, .. } => out.push(PolicyStatement::allow(
                    ["s3:GetObject"],
                    [s3_arn(&r.bucket, &format!("/{}", key.trim_start_matches('/')))],
                )),
                ItemSource::Objects { .. } => {
                    out.push(PolicyStatement::allow(["s3:ListBucket"], [s3_arn(&r.bucket, "")]));
                }
            }
        }
        if let Some(w) = &self.result_writer {
            out.push(PolicyStatement::allow(
                [
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:AbortMultipartUpload",
                ],
                [s3_arn(&w.bucket, &under(&w.prefix))],
            ));
        }
        out
    }

    /// The fields of the state that a distributed Map adds to a Map, in ASL
    /// order, with references rendered by `tok`.
    pub(crate) fn render_fields(&self, m: &mut JsonMap<String, Json>, mut tok: impl FnMut(&Value) -> Json) {
        if let Some(r) = &self.item_reader {
            let mut reader = JsonMap::new();
            let (resource, params, config) = match &r.source {
                ItemSource::Json { key } => ("s3:getObject", json!({ "Key": key }), json!({ "InputType": "JSON" })),
                ItemSource::Csv { key, headers } => {
                    let config = match headers {
                        CsvHeaders::FirstRow => json!({ "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW" }),
                        CsvHeaders::Given(h) => {
                            json!({ "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": h })
                        }
                    };
                    ("s3:getObject", json!({ "Key": key }), config)
                }
                ItemSource::Objects { prefix } => {
                    let params = match prefix {
                        Some(p) => json!({ "Prefix": p }),
                        None => json!({}),
                    };
                    ("s3:listObjectsV2", params, Json::Null)
                }
            };
            reader.insert("Resource".into(), tok(&states_arn(resource)));
            let mut config = config;
            if let Some(n) = r.max_items {
                if config.is_null() {
                    config = json!({});
                }
                config["MaxItems"] = json!(n);
            }
            if !config.is_null() {
                reader.insert("ReaderConfig".into(), config);
            }
            let mut p = JsonMap::new();
            p.insert("Bucket".into(), tok(&r.bucket.value()));
            if let Json::Object(rest) = params {
                p.extend(rest);
            }
            reader.insert("Parameters".into(), Json::Object(p));
            m.insert("ItemReader".into(), Json::Object(reader));
        }
        if let Some(b) = &self.item_batcher {
            let mut batcher = JsonMap::new();
            if let Some(n) = b.max_items_per_batch {
                batcher.insert("MaxItemsPerBatch".into(), json!(n));
            }
            if let Some(n) = b.max_input_bytes_per_batch {
                batcher.insert("MaxInputBytesPerBatch".into(), json!(n));
            }
            if let Some(v) = &b.batch_input {
                batcher.insert("BatchInput".into(), tok(v));
            }
            m.insert("ItemBatcher".into(), Json::Object(batcher));
        }
        if let Some(p) = self.tolerated_failure_percentage {
            if let Some(n) = serde_json::Number::from_f64(p) {
                m.insert("ToleratedFailurePercentage".into(), Json::Number(n));
            }
        }
        if let Some(n) = self.tolerated_failure_count {
            m.insert("ToleratedFailureCount".into(), json!(n));
        }
        if let Some(l) = &self.label {
            m.insert("Label".into(), json!(l));
        }
        if let Some(w) = &self.result_writer {
            let mut p = JsonMap::new();
            p.insert("Bucket".into(), tok(&w.bucket.value()));
            if let Some(prefix) = &w.prefix {
                p.insert("Prefix".into(), json!(prefix));
            }
            m.insert(
                "ResultWriter".into(),
                json!({ "Resource": tok(&states_arn("s3:putObject")), "Parameters": p }),
            );
        }
    }

    /// The `ProcessorConfig` of the item processor.
    pub(crate) fn processor_config(&self) -> Json {
        json!({ "Mode": "DISTRIBUTED", "ExecutionType": self.execution_type.as_str() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> BucketName {
        BucketName::from_value(Value::from("b"))
    }

    #[test]
    fn problems_explain_themselves() {
        let p = DistributedMapProps {
            items_path: Some("$.items".into()),
            item_reader: Some(ItemReader {
                bucket: bucket(),
                source: ItemSource::Csv {
                    key: String::new(),
                    headers: CsvHeaders::Given(Vec::new()),
                },
                max_items: None,
            }),
            item_batcher: Some(ItemBatcher::default()),
            label: Some("has space".into()),
            tolerated_failure_percentage: Some(101.0),
            ..Default::default()
        }
        .problems();
        for want in [
            "not both",
            "between 0 and 100",
            "label 'has space'",
            "needs max_items_per_batch",
            "object key is empty",
            "at least one column name",
        ] {
            assert!(p.iter().any(|e| e.contains(want)), "{want}: {p:?}");
        }
        assert!(DistributedMapProps::default().problems().is_empty());
    }

    #[test]
    fn listing_a_bucket_needs_list_bucket_on_the_bucket_only() {
        let p = DistributedMapProps {
            item_reader: Some(ItemReader {
                bucket: bucket(),
                source: ItemSource::Objects {
                    prefix: Some("in/".into()),
                },
                max_items: Some(5),
            }),
            ..Default::default()
        };
        let s = p.policy_statements();
        assert_eq!(s.len(), 1);
        let mut m = JsonMap::new();
        p.render_fields(&mut m, |v| json!(format!("{v:?}")));
        assert_eq!(m["ItemReader"]["ReaderConfig"], json!({ "MaxItems": 5 }));
        assert_eq!(m["ItemReader"]["Parameters"]["Prefix"], "in/");
    }
}
