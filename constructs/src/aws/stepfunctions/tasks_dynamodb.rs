//! DynamoDB tasks through the optimized integrations
//! (`arn:aws:states:::dynamodb:putItem`, `getItem`, `updateItem`): the
//! execution role may call only the one action on the one table.

use indexmap::IndexMap;

use crate::aws::dynamodb::TableRef;
use crate::core::Value;

/// A value in DynamoDB's attribute-value form (`{"S": "x"}`, `{"N.$": "$.n"}` ...),
/// given literally or taken from the state input.
#[derive(Clone, Debug)]
pub struct DynamoAttributeValue(Value);

impl DynamoAttributeValue {
    /// A string.
    pub fn string(value: impl Into<String>) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("S", value.into()))
    }

    /// The string at a JSONPath of the state input (`$.orderId`).
    pub fn string_at(path: &str) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("S.$", path))
    }

    /// A number.
    pub fn number(value: impl Into<f64>) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("N", value.into().to_string()))
    }

    /// The JSON number at a JSONPath of the state input (sent as DynamoDB's
    /// number string through `States.JsonToString`).
    pub fn number_at(path: &str) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("N.$", format!("States.JsonToString({path})")))
    }

    /// A number held as a string at a JSONPath of the state input (`"42"`).
    pub fn number_from_string_at(path: &str) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("N.$", path))
    }

    /// A boolean.
    pub fn boolean(value: bool) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("BOOL", value))
    }

    /// The boolean at a JSONPath of the state input.
    pub fn boolean_at(path: &str) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("BOOL.$", path))
    }

    /// A map of attribute values.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, DynamoAttributeValue)>) -> DynamoAttributeValue {
        DynamoAttributeValue(Value::map().with("M", item(entries.into_iter().map(|(k, v)| (k.into(), v)))))
    }

    /// The attribute-value form as written (e.g. `{"SS": ["a", "b"]}`).
    pub fn from_value(value: Value) -> DynamoAttributeValue {
        DynamoAttributeValue(value)
    }
}

/// An item or key: attribute names and their values.
pub type DynamoItem = IndexMap<String, DynamoAttributeValue>;

fn item(entries: impl IntoIterator<Item = (String, DynamoAttributeValue)>) -> Value {
    entries.into_iter().fold(Value::map(), |m, (k, v)| m.with(k, v.0))
}

fn collect<K: Into<String>>(entries: impl IntoIterator<Item = (K, DynamoAttributeValue)>) -> DynamoItem {
    entries.into_iter().map(|(k, v)| (k.into(), v)).collect()
}

/// What a write returns of the item (`ReturnValues`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DynamoReturnValues {
    /// Nothing (the default).
    #[default]
    None,
    /// The whole item before the write.
    AllOld,
    /// The updated attributes before the write (updateItem only).
    UpdatedOld,
    /// The whole item after the write (updateItem only).
    AllNew,
    /// The updated attributes after the write (updateItem only).
    UpdatedNew,
}

impl DynamoReturnValues {
    fn as_str(self) -> &'static str {
        match self {
            DynamoReturnValues::None => "NONE",
            DynamoReturnValues::AllOld => "ALL_OLD",
            DynamoReturnValues::UpdatedOld => "UPDATED_OLD",
            DynamoReturnValues::AllNew => "ALL_NEW",
            DynamoReturnValues::UpdatedNew => "UPDATED_NEW",
        }
    }
}

/// Writes an item (`dynamodb:putItem`), replacing one with the same key.
///
/// ```
/// use constructs::aws::dynamodb::{Attribute, Table, TableProps};
/// use constructs::aws::stepfunctions::*;
/// use constructs::core::{App, Stack, StackProps};
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Shop", StackProps::default());
/// let orders = Table::new(&stack, "Orders", TableProps {
///     partition_key: Attribute::string("orderId"),
///     ..Default::default()
/// });
/// let g = StateGraph::new();
/// g.task("SaveOrder", DynamoPutItem::new(&orders, [
///     ("orderId", DynamoAttributeValue::string_at("$.orderId")),
///     ("total", DynamoAttributeValue::number_at("$.total")),
/// ]), TaskProps::default()).end();
/// StateMachine::new(&stack, "Checkout", StateMachineProps { definition: g, ..Default::default() });
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct DynamoPutItem {
    /// The table.
    pub table: TableRef,
    /// The item (with its key attributes).
    pub item: DynamoItem,
    /// A condition the write needs (`attribute_not_exists(pk)`). Default: none.
    pub condition_expression: Option<String>,
    /// `#name` placeholders of the expressions. Default: none.
    pub expression_attribute_names: IndexMap<String, String>,
    /// `:value` placeholders of the expressions. Default: none.
    pub expression_attribute_values: DynamoItem,
    /// What the task returns of the replaced item. Default: nothing.
    pub return_values: DynamoReturnValues,
}

impl DynamoPutItem {
    /// Writes `item` to `table`.
    pub fn new<K: Into<String>>(
        table: impl Into<TableRef>,
        item: impl IntoIterator<Item = (K, DynamoAttributeValue)>,
    ) -> DynamoPutItem {
        DynamoPutItem {
            table: table.into(),
            item: collect(item),
            condition_expression: None,
            expression_attribute_names: IndexMap::new(),
            expression_attribute_values: IndexMap::new(),
            return_values: DynamoReturnValues::None,
        }
    }
}

/// Reads an item by its key (`dynamodb:getItem`); the result holds it under `Item`
/// (in attribute-value form), and no `Item` when there is none.
///
/// ```
/// use constructs::aws::dynamodb::TableRef;
/// use constructs::aws::stepfunctions::*;
/// use constructs::core::Value;
///
/// // A table of another app, by name; a `ResultSelector` unwraps the attribute values.
/// let g = StateGraph::new();
/// g.task("ReadOrder", DynamoGetItem {
///     consistent_read: true,
///     ..DynamoGetItem::new(TableRef::from_name("orders"), [("orderId", DynamoAttributeValue::string_at("$.orderId"))])
/// }, TaskProps {
///     result_selector: Some(Value::map().with("status.$", "$.Item.status.S")),
///     result_path: Some("$.Order".into()),
///     ..Default::default()
/// }).end();
/// assert!(g.render().build_errors.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct DynamoGetItem {
    /// The table.
    pub table: TableRef,
    /// The item's key.
    pub key: DynamoItem,
    /// A strongly consistent read. Default: false (eventually consistent).
    pub consistent_read: bool,
    /// The attributes to return (`ProjectionExpression`). Default: all.
    pub projection_expression: Option<String>,
    /// `#name` placeholders of the projection. Default: none.
    pub expression_attribute_names: IndexMap<String, String>,
}

impl DynamoGetItem {
    /// Reads the item of `table` with `key`.
    pub fn new<K: Into<String>>(
        table: impl Into<TableRef>,
        key: impl IntoIterator<Item = (K, DynamoAttributeValue)>,
    ) -> DynamoGetItem {
        DynamoGetItem {
            table: table.into(),
            key: collect(key),
            consistent_read: false,
            projection_expression: None,
            expression_attribute_names: IndexMap::new(),
        }
    }
}

/// Changes attributes of an item, or adds it (`dynamodb:updateItem`).
///
/// ```
/// use constructs::aws::dynamodb::TableRef;
/// use constructs::aws::stepfunctions::*;
///
/// let mut mark = DynamoUpdateItem::new(
///     TableRef::from_name("orders"),
///     [("orderId", DynamoAttributeValue::string_at("$.orderId"))],
///     "SET #s = :s ADD attempts :one",
/// );
/// mark.expression_attribute_names.insert("#s".into(), "status".into());
/// mark.expression_attribute_values.insert(":s".into(), DynamoAttributeValue::string("EXPORTED"));
/// mark.expression_attribute_values.insert(":one".into(), DynamoAttributeValue::number(1));
/// mark.return_values = DynamoReturnValues::AllNew;
/// let g = StateGraph::new();
/// g.task("MarkExported", mark, TaskProps::default()).end();
/// assert!(g.render().build_errors.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct DynamoUpdateItem {
    /// The table.
    pub table: TableRef,
    /// The item's key.
    pub key: DynamoItem,
    /// The update (`SET #s = :s ADD attempts :one`). Required.
    pub update_expression: String,
    /// A condition the update needs. Default: none.
    pub condition_expression: Option<String>,
    /// `#name` placeholders of the expressions. Default: none.
    pub expression_attribute_names: IndexMap<String, String>,
    /// `:value` placeholders of the expressions. Default: none.
    pub expression_attribute_values: DynamoItem,
    /// What the task returns of the item. Default: nothing.
    pub return_values: DynamoReturnValues,
}

impl DynamoUpdateItem {
    /// Applies `update_expression` to the item of `table` with `key`.
    pub fn new<K: Into<String>>(
        table: impl Into<TableRef>,
        key: impl IntoIterator<Item = (K, DynamoAttributeValue)>,
        update_expression: impl Into<String>,
    ) -> DynamoUpdateItem {
        DynamoUpdateItem {
            table: table.into(),
            key: collect(key),
            update_expression: update_expression.into(),
            condition_expression: None,
            expression_attribute_names: IndexMap::new(),
            expression_attribute_values: IndexMap::new(),
            return_values: DynamoReturnValues::None,
        }
    }
}

/// The parts every DynamoDB task renders the same way.
fn with_expressions(
    mut v: Value,
    condition: Option<&String>,
    names: &IndexMap<String, String>,
    values: &DynamoItem,
    return_values: DynamoReturnValues,
) -> Value {
    if let Some(c) = condition {
        v = v.with("ConditionExpression", c.as_str());
    }
    if !names.is_empty() {
        v = v.with(
            "ExpressionAttributeNames",
            names
                .iter()
                .fold(Value::map(), |m, (k, n)| m.with(k.as_str(), n.as_str())),
        );
    }
    if !values.is_empty() {
        v = v.with("ExpressionAttributeValues", item(values.clone()));
    }
    if return_values != DynamoReturnValues::None {
        v = v.with("ReturnValues", return_values.as_str());
    }
    v
}

/// The DynamoDB API a task calls, and the task's table, parameters and problems.
pub(crate) trait DynamoTask {
    /// The API name in the integration ARN, e.g. `putItem`.
    const API: &'static str;
    /// The IAM action, e.g. `dynamodb:PutItem`.
    const IAM_ACTION: &'static str;
    fn table(&self) -> &TableRef;
    fn parameters(&self) -> Value;
    fn problems(&self) -> Vec<String>;
}

impl DynamoTask for DynamoPutItem {
    const API: &'static str = "putItem";
    const IAM_ACTION: &'static str = "dynamodb:PutItem";
    fn table(&self) -> &TableRef {
        &self.table
    }
    fn parameters(&self) -> Value {
        let v = Value::map()
            .with("TableName", self.table.name.value())
            .with("Item", item(self.item.clone()));
        with_expressions(
            v,
            self.condition_expression.as_ref(),
            &self.expression_attribute_names,
            &self.expression_attribute_values,
            self.return_values,
        )
    }
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.item.is_empty() {
            out.push("DynamoDB putItem has no item: give at least the key attributes".to_owned());
        }
        if !matches!(
            self.return_values,
            DynamoReturnValues::None | DynamoReturnValues::AllOld
        ) {
            out.push(format!(
                "DynamoDB putItem returns NONE or ALL_OLD only, not {}",
                self.return_values.as_str()
            ));
        }
        out
    }
}

impl DynamoTask for DynamoGetItem {
    const API: &'static str = "getItem";
    const IAM_ACTION: &'static str = "dynamodb:GetItem";
    fn table(&self) -> &TableRef {
        &self.table
    }
    fn parameters(&self) -> Value {
        let mut v = Value::map()
            .with("TableName", self.table.name.value())
            .with("Key", item(self.key.clone()));
        if self.consistent_read {
            v = v.with("ConsistentRead", true);
        }
        if let Some(p) = &self.projection_expression {
            v = v.with("ProjectionExpression", p.as_str());
        }
        with_expressions(
            v,
            None,
            &self.expression_attribute_names,
            &IndexMap::new(),
            DynamoReturnValues::None,
        )
    }
    fn problems(&self) -> Vec<String> {
        if self.key.is_empty() {
            vec!["DynamoDB getItem has no key: give the key attributes of the item".to_owned()]
        } else {
            Vec::new()
        }
    }
}

impl DynamoTask for DynamoUpdateItem {
    const API: &'static str = "updateItem";
    const IAM_ACTION: &'static str = "dynamodb:UpdateItem";
    fn table(&self) -> &TableRef {
        &self.table
    }
    fn parameters(&self) -> Value {
        let v = Value::map()
            .with("TableName", self.table.name.value())
            .with("Key", item(self.key.clone()))
            .with("UpdateExpression", self.update_expression.as_str());
        with_expressions(
            v,
            self.condition_expression.as_ref(),
            &self.expression_attribute_names,
            &self.expression_attribute_values,
            self.return_values,
        )
    }
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.key.is_empty() {
            out.push("DynamoDB updateItem has no key: give the key attributes of the item".to_owned());
        }
        if self.update_expression.trim().is_empty() {
            out.push("DynamoDB updateItem has no update_expression, e.g. \"SET #s = :s\"".to_owned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The `Parameters` of a Task state calling `integration`.
    fn render(integration: impl Into<super::super::Integration>) -> serde_json::Value {
        let g = super::super::StateGraph::new();
        g.task("T", integration, super::super::TaskProps::default());
        g.render().json["States"]["T"]["Parameters"].clone()
    }

    #[test]
    fn attribute_values_take_literals_paths_and_numbers_as_strings() {
        let table = TableRef::from_name("orders");
        let mut put = DynamoPutItem::new(
            table,
            [
                ("id", DynamoAttributeValue::string_at("$.id")),
                ("total", DynamoAttributeValue::number_at("$.total")),
                ("count", DynamoAttributeValue::number(3)),
                ("paid", DynamoAttributeValue::boolean(true)),
                (
                    "meta",
                    DynamoAttributeValue::map([("by", DynamoAttributeValue::string("shop"))]),
                ),
            ],
        );
        put.condition_expression = Some("attribute_not_exists(id)".into());
        assert_eq!(
            render(put.clone()),
            json!({
                "TableName": "orders",
                "Item": {
                    "id": {"S.$": "$.id"},
                    "total": {"N.$": "States.JsonToString($.total)"},
                    "count": {"N": "3"},
                    "paid": {"BOOL": true},
                    "meta": {"M": {"by": {"S": "shop"}}}
                },
                "ConditionExpression": "attribute_not_exists(id)"
            })
        );
        assert!(put.problems().is_empty());
        put.return_values = DynamoReturnValues::AllNew;
        assert_eq!(put.problems().len(), 1);
    }

    #[test]
    fn update_and_get_render_their_expressions_and_report_missing_parts() {
        let mut update = DynamoUpdateItem::new(
            TableRef::from_name("orders"),
            [("id", DynamoAttributeValue::string_at("$.id"))],
            "SET #s = :s",
        );
        update.expression_attribute_names.insert("#s".into(), "status".into());
        update
            .expression_attribute_values
            .insert(":s".into(), DynamoAttributeValue::string("PAID"));
        update.return_values = DynamoReturnValues::AllNew;
        assert_eq!(
            render(update),
            json!({
                "TableName": "orders",
                "Key": {"id": {"S.$": "$.id"}},
                "UpdateExpression": "SET #s = :s",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":s": {"S": "PAID"}},
                "ReturnValues": "ALL_NEW"
            })
        );
        let empty = DynamoUpdateItem::new(
            TableRef::from_name("orders"),
            Vec::<(String, DynamoAttributeValue)>::new(),
            " ",
        );
        assert_eq!(empty.problems().len(), 2, "{:?}", empty.problems());
        let mut get = DynamoGetItem::new(
            TableRef::from_name("orders"),
            [("id", DynamoAttributeValue::string("a"))],
        );
        get.consistent_read = true;
        assert_eq!(
            render(get),
            json!({"TableName": "orders", "Key": {"id": {"S": "a"}}, "ConsistentRead": true})
        );
    }
}
