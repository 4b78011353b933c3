//! Finding a synthesized state machine's definition in a cloud assembly.

use serde_json::Value as Json;

use super::SimulateError;
use crate::core::CloudAssembly;

/// The ASL definition of the state machine at construct path `path` (e.g.
/// `WebAppStopStateMachineStack/SystemStopStateMachine`), from its
/// synthesized template. References in it (function ARNs ...) become
/// placeholders such as `${Fn::ImportValue:LambdaFunctionsStack:...}`; the
/// partition, region and account are `aws`, `us-east-1` and `123456789012`.
pub fn state_machine_definition(assembly: &CloudAssembly, path: &str) -> Result<Json, SimulateError> {
    let resource_path = format!("{}/Resource", path.trim_end_matches('/'));
    let mut machines = Vec::new();
    for stack in &assembly.synthesis.stacks {
        for resource in stack.template["Resources"]
            .as_object()
            .into_iter()
            .flat_map(|r| r.values())
        {
            if resource["Type"] != "AWS::StepFunctions::StateMachine" {
                continue;
            }
            let at = resource["Metadata"]["aws:cdk:path"].as_str().unwrap_or_default();
            if at == resource_path {
                let text = resolve(&resource["Properties"]["DefinitionString"]);
                return serde_json::from_str(&text).map_err(|e| {
                    SimulateError::Definition(format!("the DefinitionString of '{path}' is not JSON: {e}"))
                });
            }
            machines.push(at.trim_end_matches("/Resource").to_owned());
        }
    }
    Err(SimulateError::NoStateMachine {
        path: path.to_owned(),
        known: if machines.is_empty() {
            "none".to_owned()
        } else {
            machines.join(", ")
        },
    })
}

/// A template value as text: joins joined, pseudo parameters given fixed
/// values, any other reference a `${...}` placeholder.
fn resolve(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Object(o) => {
            if let Some(Json::Array(join)) = o.get("Fn::Join") {
                let delimiter = join.first().and_then(Json::as_str).unwrap_or_default();
                let parts = join.get(1).and_then(Json::as_array).into_iter().flatten();
                return parts.map(resolve).collect::<Vec<_>>().join(delimiter);
            }
            match o.get("Ref").and_then(Json::as_str) {
                Some("AWS::Partition") => return "aws".into(),
                Some("AWS::Region") => return "us-east-1".into(),
                Some("AWS::AccountId") => return "123456789012".into(),
                Some("AWS::URLSuffix") => return "amazonaws.com".into(),
                _ => {}
            }
            let placeholder = o
                .iter()
                .map(|(k, x)| format!("{k}:{}", x.as_str().map_or_else(|| x.to_string(), str::to_owned)))
                .collect::<Vec<_>>()
                .join(",");
            // Inside a JSON string: no quotes or backslashes.
            format!("${{{}}}", placeholder.replace(['"', '\\'], ""))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_become_placeholders() {
        let v = json!({"Fn::Join": ["", [
            "{\"A\":\"arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke\",\"F\":\"",
            {"Fn::ImportValue": "Stack:Export"}, "\",\"G\":\"", {"Fn::GetAtt": ["Fn", "Arn"]}, "\"}"
        ]]});
        let text = resolve(&v);
        let parsed: Json = serde_json::from_str(&text).expect("JSON");
        assert_eq!(parsed["A"], "arn:aws:states:::lambda:invoke");
        assert_eq!(parsed["F"], "${Fn::ImportValue:Stack:Export}");
        assert_eq!(parsed["G"], "${Fn::GetAtt:[Fn,Arn]}");
    }
}
