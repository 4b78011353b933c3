//! checkov on every template the app synthesizes (the seed app and the pattern
//! examples, and the data-services stack of `data_services.rs`): each failed
//! check is one we accepted in `SECURITY.md`, and each acceptance there still
//! matches a finding. The same for the seed app hardened by the `Hardened`
//! aspect, against SECURITY.md's "Hardened" section.

use serde_json::json;

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
    accepted_in("## checkov findings we accept")
}

/// The rows of the tables of one section of SECURITY.md (up to the next `## ` heading).
fn accepted_in(heading: &str) -> Vec<Accepted> {
    let text = std::fs::read_to_string(support::workspace().join("SECURITY.md")).expect("SECURITY.md");
    let section = text
        .split_once(&format!("{heading}\n"))
        .map(|(_, s)| s.split_once("\n## ").map_or(s, |(section, _)| section))
        .unwrap_or_else(|| panic!("SECURITY.md has no section {heading}"));
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

/// The findings no row of `accepted` matches, and the rows no finding matches.
fn unaccepted_and_stale(findings: &[CheckovFinding], accepted: &[Accepted]) -> (Vec<String>, Vec<String>) {
    let unaccepted = findings
        .iter()
        .filter(|f| !accepted.iter().any(|a| a.matches(f)))
        .map(|f| format!("{} {} in {}: {}", f.check_id, f.resource, f.template, f.check_name))
        .collect();
    let stale = accepted
        .iter()
        .filter(|a| !findings.iter().any(|f| a.matches(f)))
        .map(|a| format!("{} {}", a.check_id, a.resource))
        .collect();
    (unaccepted, stale)
}

/// The context of the hardened seed app: the aspect, and a certificate for
/// the HTTPS listener (an ARN of the right form; synthesis never looks it up).
pub(crate) fn hardened_context() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (app::HARDENED_CONTEXT, json!("true")),
        (
            app::web_app_stack::CERTIFICATE_ARN_CONTEXT,
            json!("arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"),
        ),
    ]
}

#[test]
fn the_hardened_seed_app_leaves_only_the_findings_its_section_accepts() {
    let (seed_dir, _) = support::synth(app::build);
    let (hardened_dir, hardened) = support::synth_with(&hardened_context(), app::build);
    assert_eq!(hardened.synthesis.stacks.len(), 4);
    let Some(before) = support::checkov(&seed_dir.path().join("cdk.out")) else {
        return;
    };
    let after = support::checkov(&hardened_dir.path().join("cdk.out")).expect("checkov ran once already");
    let accepted = accepted_in("## Hardened");
    assert!(!accepted.is_empty(), "SECURITY.md's Hardened section lists what stays");
    let (unaccepted, stale) = unaccepted_and_stale(&after, &accepted);
    assert!(
        unaccepted.is_empty(),
        "checkov findings on the hardened seed app that SECURITY.md's Hardened section does not name:\n  {}",
        unaccepted.join("\n  ")
    );
    assert!(
        stale.is_empty(),
        "SECURITY.md's Hardened section names findings checkov no longer reports:\n  {}",
        stale.join("\n  ")
    );
    let type_wide: Vec<&Accepted> = accepted.iter().filter(|a| a.resource.ends_with(".*")).collect();
    assert!(
        type_wide.is_empty(),
        "the Hardened section names each remaining finding's resource: {type_wide:?}"
    );
    assert!(
        after.len() < before.len(),
        "{} findings before, {} after",
        before.len(),
        after.len()
    );
    eprintln!(
        "measure: checkov on the seed app: {} failed checks, hardened {}",
        before.len(),
        after.len()
    );
}

#[test]
fn the_hardened_seed_app_has_no_warning_and_without_a_certificate_one_on_its_http_listener() {
    use constructs::assertions::{Annotations, Match};
    let annotations = |context: &[(&str, serde_json::Value)]| {
        let mut all = support::app_context();
        all.extend(context.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let app = constructs::core::App::with_context(all);
        app::build(&app);
        Annotations::from_app(&app)
    };
    let hardened = annotations(&hardened_context());
    assert!(
        hardened.find_warnings("*", Match::any_value()).is_empty(),
        "{:?}",
        hardened.all()
    );
    let without_certificate = annotations(&hardened_context()[..1]);
    without_certificate.has_warning(
        "WebAppStack/Alb/Listener/Resource",
        Match::string_like_regexp("plain HTTP"),
    );
}

#[test]
fn the_hardened_seed_templates_pass_cfn_lint() {
    let (dir, assembly) = support::synth_with(&hardened_context(), app::build);
    let templates: Vec<_> = assembly
        .synthesis
        .stacks
        .iter()
        .map(|s| {
            dir.path()
                .join("cdk.out")
                .join(format!("{}.template.json", s.artifact_id))
        })
        .collect();
    assert_eq!(templates.len(), 4);
    if let Some(lint) = support::cfn_lint(&templates) {
        lint.assert_clean();
    }
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

    let (unaccepted, stale) = unaccepted_and_stale(&findings, &accepted);
    assert!(
        unaccepted.is_empty(),
        "checkov findings not accepted in SECURITY.md (fix them, or add a row with the reason):\n  {}",
        unaccepted.join("\n  ")
    );
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
