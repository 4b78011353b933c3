//! Cross-stack safety: before anything changes, find exports that the deploy
//! would remove or change while another stack still imports them (the CDK's
//! "deadly embrace"), and refuse with what to do instead.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use serde_json::Value as Json;

use super::aws::Clients;
use super::error::DeployError;
use super::stack::DeployedStack;

/// What the deploy would do to an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportChange {
    /// The new template no longer has it.
    Removed,
    /// The new template gives it another value.
    Changed,
}

/// An export the deploy would remove or change while other stacks import it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportConflict {
    /// The exporting stack (artifact id).
    pub stack: String,
    /// The export name.
    pub export_name: String,
    /// Removed or changed.
    pub change: ExportChange,
    /// The stacks that import it.
    pub importers: Vec<String>,
}

impl fmt::Display for ExportConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let importers = self
            .importers
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let first = self
            .importers
            .first()
            .map(String::as_str)
            .unwrap_or("the importing stack");
        let verb = match self.change {
            ExportChange::Removed => "remove",
            ExportChange::Changed => "change the value of",
        };
        write!(
            f,
            "{}: the deploy would {verb} export '{}', which stack {importers} still imports. \
             CloudFormation refuses that (\"cannot be {} as it is in use\"). Either deploy {importers} first \
             without the reference (e.g. `deploy {first} --exclusively`), or keep the export for one more deploy \
             (a CfnOutput in '{}' with export name '{}' and the old value) and remove it once nothing imports it.",
            self.stack,
            self.export_name,
            match self.change {
                ExportChange::Removed => "deleted",
                ExportChange::Changed => "updated",
            },
            self.stack,
            self.export_name,
        )
    }
}

impl ExportConflict {
    /// All conflicts, one paragraph each, with a header saying nothing changed.
    pub(crate) fn render_all(conflicts: &[ExportConflict]) -> String {
        let mut s = String::from("refusing to deploy: nothing was changed");
        for c in conflicts {
            s.push_str("\n  ");
            s.push_str(&c.to_string());
        }
        s
    }
}

/// Resolves an export name expression: literal, or `Fn::Sub` / `Fn::Join` of
/// literals and the pseudo parameters a deploy knows. `None` when it can't.
fn export_name(expr: &Json, stack_name: &str, region: &str) -> Option<String> {
    let pseudo = |name: &str| match name {
        "AWS::StackName" => Some(stack_name.to_owned()),
        "AWS::Region" => Some(region.to_owned()),
        _ => None,
    };
    match expr {
        Json::String(s) => Some(s.clone()),
        Json::Object(m) if m.len() == 1 => {
            if let Some(Json::String(r)) = m.get("Ref") {
                return pseudo(r);
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let text = match sub {
                    Json::String(s) => s.as_str(),
                    Json::Array(a) if a.len() == 2 && a[1].as_object().is_some_and(|v| v.is_empty()) => {
                        a[0].as_str()?
                    }
                    _ => return None,
                };
                let mut out = String::new();
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let end = rest[start..].find('}')? + start;
                    out.push_str(&pseudo(&rest[start + 2..end])?);
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                return Some(out);
            }
            if let Some(Json::Array(join)) = m.get("Fn::Join") {
                let [Json::String(sep), Json::Array(parts)] = join.as_slice() else {
                    return None;
                };
                let parts: Option<Vec<String>> = parts.iter().map(|p| export_name(p, stack_name, region)).collect();
                return Some(parts?.join(sep));
            }
            None
        }
        _ => None,
    }
}

/// The exports of a template: export name -> the output's value expression.
pub(crate) fn template_exports(template: &Json, stack_name: &str, region: &str) -> BTreeMap<String, Json> {
    let mut out = BTreeMap::new();
    let outputs = template.get("Outputs").and_then(Json::as_object).into_iter().flatten();
    for (_, o) in outputs {
        let Some(name) = o.get("Export").and_then(|e| e.get("Name")) else {
            continue;
        };
        if let Some(name) = export_name(name, stack_name, region) {
            out.insert(name, o.get("Value").cloned().unwrap_or(Json::Null));
        }
    }
    out
}

/// The deployed exports that the new template removes or may change. A value
/// counts as changed when its expression differs from the deployed template's
/// (the value itself is only known to CloudFormation).
pub(crate) fn exports_at_risk(
    deployed: &DeployedStack,
    deployed_template: Option<&Json>,
    new_template: &Json,
    stack_name: &str,
    region: &str,
) -> Vec<(String, ExportChange)> {
    let new = template_exports(new_template, stack_name, region);
    let old = deployed_template.map(|t| template_exports(t, stack_name, region));
    let mut out = Vec::new();
    for o in &deployed.outputs {
        let Some(name) = &o.export_name else { continue };
        match new.get(name) {
            None => {
                // Unresolvable names in the new template: don't guess.
                let unresolved = new_template
                    .get("Outputs")
                    .and_then(Json::as_object)
                    .into_iter()
                    .flatten()
                    .any(|(_, o)| {
                        o.get("Export")
                            .and_then(|e| e.get("Name"))
                            .is_some_and(|n| export_name(n, stack_name, region).is_none())
                    });
                if !unresolved {
                    out.push((name.clone(), ExportChange::Removed));
                }
            }
            Some(value) => {
                if let Some(old_value) = old.as_ref().and_then(|m| m.get(name)) {
                    if old_value != value {
                        out.push((name.clone(), ExportChange::Changed));
                    }
                }
            }
        }
    }
    out
}

/// ListImports: the stacks importing an export (none when it is not imported).
pub(crate) async fn importers(c: &Clients, stack: &str, export: &str) -> Result<Vec<String>, DeployError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = match c
            .cfn
            .list_imports()
            .export_name(export)
            .set_next_token(token)
            .send()
            .await
        {
            Ok(out) => out,
            // Not imported, or already gone: nobody depends on it.
            Err(e)
                if e.code() == Some("ValidationError")
                    && e.message().is_some_and(|m| {
                        m.contains("is not imported by any stack") || m.contains("does not exist")
                    }) =>
            {
                return Ok(names);
            }
            Err(e) => return Err(DeployError::aws("CloudFormation.ListImports", Some(stack), &e)),
        };
        names.extend(out.imports().iter().cloned());
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(names);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::stack::StackOutput;
    use super::*;

    fn deployed(exports: &[(&str, &str)]) -> DeployedStack {
        DeployedStack {
            stack_id: "id".into(),
            status: "CREATE_COMPLETE".into(),
            status_reason: None,
            outputs: exports
                .iter()
                .map(|(k, n)| StackOutput {
                    key: (*k).into(),
                    value: "v".into(),
                    export_name: Some((*n).into()),
                })
                .collect(),
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            termination_protection: false,
        }
    }

    #[test]
    fn resolves_export_names() {
        assert_eq!(
            export_name(&json!({"Fn::Sub": "${AWS::StackName}-Arn"}), "A", "eu-west-1"),
            Some("A-Arn".into())
        );
        assert_eq!(
            export_name(&json!({"Fn::Join": [":", [{"Ref": "AWS::StackName"}, "X"]]}), "A", "r"),
            Some("A:X".into())
        );
        assert_eq!(export_name(&json!({"Fn::GetAtt": ["T", "Arn"]}), "A", "r"), None);
    }

    #[test]
    fn finds_removed_and_changed_exports() {
        let old = json!({"Outputs": {
            "O1": {"Value": {"Ref": "T"}, "Export": {"Name": "A:T"}},
            "O2": {"Value": {"Ref": "U"}, "Export": {"Name": "A:U"}},
            "O3": {"Value": {"Ref": "V"}, "Export": {"Name": "A:V"}}
        }});
        let new = json!({"Outputs": {
            "O1": {"Value": {"Ref": "T"}, "Export": {"Name": "A:T"}},
            "O3": {"Value": {"Fn::GetAtt": ["V", "Arn"]}, "Export": {"Name": "A:V"}}
        }});
        let d = deployed(&[("O1", "A:T"), ("O2", "A:U"), ("O3", "A:V")]);
        let risk = exports_at_risk(&d, Some(&old), &new, "A", "r");
        assert_eq!(
            risk,
            vec![
                ("A:U".into(), ExportChange::Removed),
                ("A:V".into(), ExportChange::Changed)
            ]
        );
    }

    #[test]
    fn the_message_names_the_importer_and_the_way_out() {
        let c = ExportConflict {
            stack: "Network".into(),
            export_name: "Network:VpcId".into(),
            change: ExportChange::Removed,
            importers: vec!["App".into()],
        };
        let s = c.to_string();
        assert!(s.contains("'App' still imports"), "{s}");
        assert!(s.contains("deploy App --exclusively"), "{s}");
        assert!(s.contains("keep the export for one more deploy"), "{s}");
    }
}
