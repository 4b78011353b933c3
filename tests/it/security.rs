//! checkov on every template the app synthesizes (the seed app and the pattern
//! examples) and on the data-services stack of `data_services.rs`: each failed check is one we accepted in `SECURITY.md`, and each
//! acceptance there still matches a finding.

use crate::support::{self, CheckovFinding};

/// A row of SECURITY.md's table of accepted findings.
#[derive(Debug)]
struct Accepted {
    check_id: String,
    /// `Type.*` or `Type.LogicalId`.
    resource: String,
}

impl Accepted {
    fn matches(&self, f: &CheckovFinding) -> bool {
        f.check_id == self.check_id
            && match self.resource.strip_suffix(".*") {
                Some(resource_type) => f.resource.split_once('.').is_some_and(|(t, _)| t == resource_type),
                None => f.resource == self.resource,
            }
    }
}

/// The rows of the table under "## checkov findings we accept".
fn accepted() -> Vec<Accepted> {
    let text = std::fs::read_to_string(support::workspace().join("SECURITY.md")).expect("SECURITY.md");
    let section = text
        .split_once("## checkov findings we accept")
        .map(|(_, s)| s)
        .expect("SECURITY.md has the section of accepted checkov findings");
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| CKV_"))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert!(
                cells.len() >= 3 && !cells[2].is_empty(),
                "SECURITY.md: a row needs a check, a resource and a reason: {row}"
            );
            Accepted {
                check_id: format!("CKV_{}", cells[0]),
                resource: cells[1].to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_checkov_finding_is_an_accepted_one_and_every_acceptance_is_used() {
    let (seed_dir, seed) = support::synth(app::build);
    let (examples_dir, examples) = support::synth_with(&[("examples", serde_json::json!(true))], app::build);
    let (data_dir, _) = support::synth(|app| crate::data_services::order_export(app, crate::data_services::STACK));
    assert_eq!(seed.synthesis.stacks.len(), 4);
    assert_eq!(examples.synthesis.stacks.len(), 4);
    let Some(mut findings) = support::checkov(&seed_dir.path().join("cdk.out")) else {
        return;
    };
    findings.extend(support::checkov(&examples_dir.path().join("cdk.out")).unwrap_or_default());
    findings.extend(support::checkov(&data_dir.path().join("cdk.out")).unwrap_or_default());
    let accepted = accepted();
    assert!(!accepted.is_empty(), "SECURITY.md lists no accepted findings");

    let unaccepted: Vec<String> = findings
        .iter()
        .filter(|f| !accepted.iter().any(|a| a.matches(f)))
        .map(|f| format!("{} {} in {}: {}", f.check_id, f.resource, f.template, f.check_name))
        .collect();
    assert!(
        unaccepted.is_empty(),
        "checkov findings not accepted in SECURITY.md (fix them, or add a row with the reason):\n  {}",
        unaccepted.join("\n  ")
    );
    let stale: Vec<String> = accepted
        .iter()
        .filter(|a| !findings.iter().any(|f| a.matches(f)))
        .map(|a| format!("{} {}", a.check_id, a.resource))
        .collect();
    assert!(
        stale.is_empty(),
        "SECURITY.md accepts findings checkov no longer reports (remove the rows):\n  {}",
        stale.join("\n  ")
    );
    let checks: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.check_id.as_str()).collect();
    eprintln!(
        "measure: checkov: {} failed checks ({} distinct), all accepted in SECURITY.md",
        findings.len(),
        checks.len()
    );
}

#[test]
fn an_unaccepted_finding_is_caught() {
    // The matcher itself: a type-wide row matches only its type, a named row only its resource.
    let finding = |check: &str, resource: &str| CheckovFinding {
        check_id: check.into(),
        template: "T.template.json".into(),
        resource: resource.into(),
        check_name: String::new(),
    };
    let rows = accepted();
    let any = |f: &CheckovFinding| rows.iter().any(|a| a.matches(f));
    assert!(any(&finding("CKV_AWS_158", "AWS::Logs::LogGroup.Anything")));
    assert!(!any(&finding("CKV_AWS_158", "AWS::Logs::LogGroupX.Anything")));
    assert!(any(&finding(
        "CKV_AWS_21",
        "AWS::S3::Bucket.AlbAccessLogBucket2FC90506"
    )));
    assert!(!any(&finding("CKV_AWS_21", "AWS::S3::Bucket.SomeOtherBucket")));
    assert!(!any(&finding(
        "CKV_AWS_19",
        "AWS::S3::Bucket.AlbAccessLogBucket2FC90506"
    )));
}
