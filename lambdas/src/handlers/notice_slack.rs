//! `notice-slack`: tells Slack how a Step Functions execution ended.
//!
//! Input: the EventBridge event `Step Functions Execution Status Change`
//! (`{"detail": {"executionArn", "stateMachineArn", "name", "status",
//! "startDate", "stopDate", "input", "output", "error", "cause"}}`). The
//! message mentions `<@SLACK_USER_ID>`, gives the status and then, for a
//! success, the `Output.Payload` of the execution's result (of each result
//! when the output is a list), or for any other status the error and its
//! cause. That text is cut to 2,000 characters (Slack refuses long sections,
//! and nobody reads them): a cut code block is closed again, so the rest of
//! the message does not turn into code.
//!
//! Environment: `HOOK_URL_PARAMETER_NAME`, the name of the SSM SecureString
//! parameter holding the webhook URL (read at the first invocation with
//! `GetParameter` `WithDecryption` and kept for the next ones; the URL is
//! never logged), and `SLACK_USER_ID` (optional: without it the message
//! mentions nobody). Output: `{"Posted": true}`. IAM: `ssm:GetParameter` on
//! that parameter (and `kms:Decrypt` on its key when it is not the default
//! `alias/aws/ssm`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::HandlerError;
use crate::input::{parse, Env};
use crate::services::slack::Webhook;
use crate::services::ssm::ParameterStore;

/// The environment variable naming the parameter that holds the webhook URL.
pub const HOOK_URL_PARAMETER_NAME_ENV: &str = "HOOK_URL_PARAMETER_NAME";
/// The environment variable holding the Slack member id to mention.
pub const SLACK_USER_ID_ENV: &str = "SLACK_USER_ID";
/// The most characters of the result section (the seed's limit).
pub const CHARACTER_LIMIT: usize = 2000;
/// What follows a cut text.
pub const OMITTED: &str = "\n\n~~~The following is omitted~~~";

const FENCE: &str = "```";

/// The event EventBridge sends.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ExecutionStatusChange {
    /// The execution.
    pub detail: ExecutionDetail,
}

/// The `detail` of a `Step Functions Execution Status Change` event.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetail {
    /// The execution's ARN.
    #[serde(default)]
    pub execution_arn: Option<String>,
    /// The state machine's ARN.
    #[serde(default)]
    pub state_machine_arn: Option<String>,
    /// The execution's name.
    #[serde(default)]
    pub name: Option<String>,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// When it started, in milliseconds since the epoch.
    #[serde(default)]
    pub start_date: Option<i64>,
    /// When it stopped, in milliseconds since the epoch.
    #[serde(default)]
    pub stop_date: Option<i64>,
    /// Its input, as JSON text.
    #[serde(default)]
    pub input: Option<String>,
    /// Its output, as JSON text (absent unless it succeeded, or when too large).
    #[serde(default)]
    pub output: Option<String>,
    /// The error it failed with.
    #[serde(default)]
    pub error: Option<String>,
    /// The error's cause.
    #[serde(default)]
    pub cause: Option<String>,
}

/// What the function returns once Slack took the message.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Posted {
    /// Always true.
    pub posted: bool,
}

/// Text for Slack: `&`, `<` and `>` escaped, so a payload or a cause can
/// neither mention (`<!channel>`) nor link (`<http://...|...>`).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn millis_to_text(millis: Option<i64>) -> Option<String> {
    crate::services::timestamp(millis.map(aws_sdk_ssm::primitives::DateTime::from_millis))
}

/// The status section: the status in bold, then what ran and when.
pub fn status_text(detail: &ExecutionDetail) -> String {
    let mut text = format!("status: *{}*\n", escape(&detail.status));
    if let Some(machine) = detail.state_machine_arn.as_deref() {
        let name = machine.rsplit(':').next().unwrap_or(machine);
        text.push_str(&format!("state machine: `{}`\n", escape(name)));
    }
    if let Some(name) = detail.name.as_deref() {
        text.push_str(&format!("execution: `{}`\n", escape(name)));
    }
    match (millis_to_text(detail.start_date), millis_to_text(detail.stop_date)) {
        (Some(start), Some(stop)) => text.push_str(&format!("started: {start}, stopped: {stop}\n")),
        (Some(start), None) => text.push_str(&format!("started: {start}\n")),
        _ => {}
    }
    text
}

/// The result shown for one item of the output: its `Output.Payload` (what
/// the last Lambda task returned), else the item itself.
fn payload(item: &Value) -> String {
    let shown = item.pointer("/Output/Payload").unwrap_or(item);
    escape(&serde_json::to_string_pretty(shown).unwrap_or_else(|_| shown.to_string()))
}

/// The result section before it is cut: the payloads of a success, or the
/// error and cause of anything else.
pub fn result_text(detail: &ExecutionDetail) -> String {
    if detail.status == "SUCCEEDED" {
        let Some(output) = detail.output.as_deref() else {
            return "result: (the output is not in the event)".to_owned();
        };
        return match serde_json::from_str::<Value>(output) {
            Ok(Value::Array(items)) if items.len() > 1 => items
                .iter()
                .enumerate()
                .map(|(i, item)| format!("result {}:\n{FENCE}{}{FENCE}\n", i + 1, payload(item)))
                .collect(),
            Ok(Value::Array(items)) if items.len() == 1 => format!("result:\n{FENCE}{}{FENCE}", payload(&items[0])),
            Ok(value) => format!("result:\n{FENCE}{}{FENCE}", payload(&value)),
            Err(_) => format!("result:\n{FENCE}{}{FENCE}", escape(output)),
        };
    }
    let mut text = String::new();
    if let Some(arn) = detail.execution_arn.as_deref() {
        text.push_str(&format!("execution: {FENCE}{}{FENCE}\n", escape(arn)));
    }
    if let Some(error) = detail.error.as_deref().filter(|e| !e.is_empty()) {
        text.push_str(&format!("error: *{}*\n", escape(error)));
    }
    if let Some(cause) = detail.cause.as_deref().filter(|c| !c.is_empty()) {
        let cause = match serde_json::from_str::<Value>(cause) {
            Ok(value @ Value::Object(_)) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| cause.to_owned()),
            _ => cause.to_owned(),
        };
        text.push_str(&format!("cause:\n{FENCE}{}{FENCE}\n", escape(&cause)));
    }
    if text.is_empty() {
        text.push_str("(no error in the event)");
    }
    text
}

/// `text` cut to at most `limit` characters (not bytes: a character is never
/// split), followed by [`OMITTED`] when it was cut. A code block the cut left
/// open is closed, a fence or an escape (`&lt;`) the cut split is dropped,
/// and the whole still fits in `limit`.
pub fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let closing = format!("\n{FENCE}");
    let keep = limit.saturating_sub(OMITTED.chars().count() + closing.chars().count());
    let mut head: String = text.chars().take(keep).collect();
    // A cut through an escape (`&lt;`) leaves a partial entity: drop it.
    if let Some(amp) = head.rfind('&') {
        if !head[amp..].contains(';') && head.len() - amp < "&amp;".len() {
            head.truncate(amp);
        }
    }
    // A cut through a run of backticks leaves a partial fence: drop it.
    while head.ends_with('`') {
        head.pop();
    }
    if head.matches(FENCE).count() % 2 == 1 {
        head.push_str(&closing);
    }
    head.push_str(OMITTED);
    head
}

/// The Slack message (Block Kit), mentioning `user` when there is one.
pub fn message(detail: &ExecutionDetail, user: Option<&str>) -> Value {
    let section = |text: String| json!({"type": "section", "text": {"type": "mrkdwn", "text": text}});
    let mut blocks = Vec::new();
    if let Some(user) = user {
        blocks.push(section(format!("<@{user}>")));
        blocks.push(json!({"type": "divider"}));
    }
    blocks.push(section(status_text(detail)));
    blocks.push(section(truncate(&result_text(detail), CHARACTER_LIMIT)));
    let machine = detail
        .state_machine_arn
        .as_deref()
        .and_then(|arn| arn.rsplit(':').next())
        .unwrap_or("Step Functions");
    let mention = user.map(|u| format!("<@{u}> ")).unwrap_or_default();
    json!({
        "text": format!("{mention}{machine}: {}", detail.status),
        "blocks": blocks,
    })
}

/// The member id to mention: letters and digits (`U0123ABCD`), or none.
pub fn slack_user(env: &impl Env) -> Result<Option<String>, HandlerError> {
    match env.var(SLACK_USER_ID_ENV).map(|u| u.trim().to_owned()) {
        None => Ok(None),
        Some(user) if user.is_empty() => Ok(None),
        Some(user) if user.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(Some(user)),
        Some(_) => Err(HandlerError::Configuration {
            name: SLACK_USER_ID_ENV,
            problem: "is not a Slack member id (letters and digits, e.g. U0123ABCD)".to_owned(),
        }),
    }
}

/// The function: the parameter store and the webhook client, and the
/// webhook URL once it has been read.
#[derive(Debug)]
pub struct NoticeSlack<P, W> {
    parameters: P,
    webhook: W,
    hook_url: OnceLock<String>,
}

impl<P: ParameterStore, W: Webhook> NoticeSlack<P, W> {
    /// A function reading the URL through `parameters` and posting through `webhook`.
    pub fn new(parameters: P, webhook: W) -> Self {
        NoticeSlack {
            parameters,
            webhook,
            hook_url: OnceLock::new(),
        }
    }

    /// The webhook URL: read from the parameter once, then kept.
    async fn hook_url(&self, env: &impl Env) -> Result<&str, HandlerError> {
        if let Some(url) = self.hook_url.get() {
            return Ok(url);
        }
        let name = env.required(HOOK_URL_PARAMETER_NAME_ENV)?;
        let url = self.parameters.secure_string(&name).await?;
        let url = url.trim();
        if !url.starts_with("https://") {
            // Say which parameter, never what it holds.
            return Err(HandlerError::Configuration {
                name: HOOK_URL_PARAMETER_NAME_ENV,
                problem: format!("names the parameter {name}, which does not hold an https:// webhook URL"),
            });
        }
        Ok(self.hook_url.get_or_init(|| url.to_owned()))
    }

    /// Posts the notice of the execution in `event`.
    pub async fn handle(&self, env: &impl Env, event: Value) -> Result<Posted, HandlerError> {
        let event: ExecutionStatusChange = parse(event)?;
        let user = slack_user(env)?;
        let url = self.hook_url(env).await?;
        let body = message(&event.detail, user.as_deref()).to_string();
        self.webhook.post_json(url, body).await?;
        Ok(Posted { posted: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::env;
    use crate::services::fakes::{Answer, Call, Fake};
    use std::sync::Mutex;

    const MACHINE: &str = "arn:aws:states:ap-northeast-1:123456789012:stateMachine:SystemStopStateMachine";
    const EXECUTION: &str = "arn:aws:states:ap-northeast-1:123456789012:execution:SystemStopStateMachine:nightly";

    fn detail(status: &str) -> ExecutionDetail {
        ExecutionDetail {
            execution_arn: Some(EXECUTION.into()),
            state_machine_arn: Some(MACHINE.into()),
            name: Some("nightly".into()),
            status: status.into(),
            start_date: Some(1_621_504_800_000),
            stop_date: Some(1_621_505_100_000),
            ..Default::default()
        }
    }

    fn succeeded(output: Value) -> ExecutionDetail {
        ExecutionDetail {
            output: Some(output.to_string()),
            ..detail("SUCCEEDED")
        }
    }

    fn fences(text: &str) -> usize {
        text.matches(FENCE).count()
    }

    #[test]
    fn result_texts() {
        let payload = json!({"DBClusters": [{"Status": "stopped"}]});
        let pretty = serde_json::to_string_pretty(&payload).expect("json");
        let cases: Vec<(&str, ExecutionDetail, String)> = vec![
            (
                "one result",
                succeeded(json!({"Output": {"Payload": payload, "StatusCode": 200}})),
                format!("result:\n```{pretty}```"),
            ),
            (
                "a list of one result",
                succeeded(json!([{"Output": {"Payload": payload}}])),
                format!("result:\n```{pretty}```"),
            ),
            (
                "many results",
                succeeded(json!([{"Output": {"Payload": {"a": 1}}}, {"Output": {"Payload": {"b": 2}}}])),
                "result 1:\n```{\n  \"a\": 1\n}```\nresult 2:\n```{\n  \"b\": 2\n}```\n".to_owned(),
            ),
            (
                "an output without a payload is shown whole",
                succeeded(json!({"done": true})),
                "result:\n```{\n  \"done\": true\n}```".to_owned(),
            ),
            (
                "no output in the event",
                detail("SUCCEEDED"),
                "result: (the output is not in the event)".to_owned(),
            ),
            (
                "a failure: error and cause (JSON causes pretty)",
                ExecutionDetail {
                    error: Some("States.TaskFailed".into()),
                    cause: Some(r#"{"errorType":"AwsApiError","errorMessage":"StopDBCluster failed"}"#.into()),
                    ..detail("FAILED")
                },
                format!(
                    "execution: ```{EXECUTION}```\nerror: *States.TaskFailed*\ncause:\n```{{\n  \"errorType\": \"AwsApiError\",\n  \"errorMessage\": \"StopDBCluster failed\"\n}}```\n"
                ),
            ),
            (
                "a timeout without a cause",
                ExecutionDetail {
                    error: Some("States.Timeout".into()),
                    ..detail("TIMED_OUT")
                },
                format!("execution: ```{EXECUTION}```\nerror: *States.Timeout*\n"),
            ),
        ];
        for (name, detail, expected) in cases {
            assert_eq!(result_text(&detail), expected, "{name}");
        }
    }

    #[test]
    fn text_from_the_execution_cannot_mention_or_link() {
        let detail = ExecutionDetail {
            error: Some("<!channel>".into()),
            cause: Some("see <http://evil.example|the docs> & retry".into()),
            ..detail("FAILED")
        };
        let text = result_text(&detail);
        assert!(text.contains("error: *&lt;!channel&gt;*"), "{text}");
        assert!(
            text.contains("see &lt;http://evil.example|the docs&gt; &amp; retry"),
            "{text}"
        );
        let text = result_text(&succeeded(
            json!({"Output": {"Payload": {"Body": "<b>maintenance</b>"}}}),
        ));
        assert!(text.contains("&lt;b&gt;maintenance&lt;/b&gt;"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }

    #[test]
    fn a_cut_through_an_escape_drops_the_partial_entity() {
        for pad in 0..6 {
            let text = format!("{}{}", "a".repeat(1960 + pad), "&lt;".repeat(100));
            let cut = truncate(&text, CHARACTER_LIMIT);
            let body = cut.trim_end_matches(OMITTED);
            assert!(
                body.ends_with("&lt;") || body.ends_with('a'),
                "pad {pad}: {:?}",
                &body[body.len() - 8..]
            );
        }
    }

    #[test]
    fn the_status_section_says_what_ran_and_when() {
        assert_eq!(
            status_text(&detail("FAILED")),
            "status: *FAILED*\nstate machine: `SystemStopStateMachine`\nexecution: `nightly`\nstarted: 2021-05-20T10:00:00Z, stopped: 2021-05-20T10:05:00Z\n"
        );
    }

    #[test]
    fn truncation() {
        let cases: Vec<(&str, String)> = vec![
            ("plain text", "a".repeat(2500)),
            ("an open code block", format!("result:\n```{}", "x".repeat(3000))),
            (
                "a closed block then text",
                format!("result:\n```{}```\n{}", "x".repeat(100), "y".repeat(3000)),
            ),
            (
                "many results, cut in the third",
                "result 1:\n```{\"a\": 1}```\n".repeat(200),
            ),
            (
                "multibyte text",
                format!("結果:\n```{}```", "メンテナンス中です。".repeat(400)),
            ),
            ("emoji", format!("```{}", "🚀".repeat(2500))),
        ];
        for (name, text) in cases {
            let cut = truncate(&text, CHARACTER_LIMIT);
            assert!(
                cut.chars().count() <= CHARACTER_LIMIT,
                "{name}: {} chars",
                cut.chars().count()
            );
            assert!(cut.ends_with(OMITTED), "{name}");
            assert_eq!(fences(&cut) % 2, 0, "{name}: a code block is left open");
            let body = cut.trim_end_matches(OMITTED).trim_end_matches("\n```");
            assert!(text.starts_with(body), "{name}: the kept text is the start of the text");
        }
        // Short enough: unchanged, fences and all (even an odd number: not ours to fix).
        let exact = format!("```{}", "あ".repeat(CHARACTER_LIMIT - 3));
        assert_eq!(truncate(&exact, CHARACTER_LIMIT), exact);
    }

    #[test]
    fn a_cut_through_a_fence_drops_the_partial_fence() {
        // Every cut position around a fence: the result never ends in a stray backtick run.
        for pad in 0..8 {
            let text = format!("{}```{}```{}", "a".repeat(1960 + pad), "b".repeat(10), "c".repeat(100));
            let cut = truncate(&text, CHARACTER_LIMIT);
            let body = cut.trim_end_matches(OMITTED);
            assert!(cut.chars().count() <= CHARACTER_LIMIT, "pad {pad}");
            assert_eq!(fences(body) % 2, 0, "pad {pad}: {body:?}");
            let tail = body.trim_end_matches("\n```");
            assert!(!tail.ends_with('`'), "pad {pad}: {tail:?}");
        }
    }

    #[test]
    fn the_seeds_blocks_with_the_mention() {
        let m = message(&succeeded(json!({"Output": {"Payload": {}}})), Some("U0123ABCD"));
        assert_eq!(m["text"], "<@U0123ABCD> SystemStopStateMachine: SUCCEEDED");
        assert_eq!(
            m["blocks"][0],
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "<@U0123ABCD>"}})
        );
        assert_eq!(m["blocks"][1], json!({"type": "divider"}));
        assert_eq!(
            m["blocks"][2]["text"]["text"]
                .as_str()
                .map(|t| t.starts_with("status: *SUCCEEDED*\n")),
            Some(true)
        );
        assert_eq!(m["blocks"][3]["text"]["text"], "result:\n```{}```");
        let m = message(&detail("ABORTED"), None);
        assert_eq!(m["blocks"].as_array().map(Vec::len), Some(2), "no mention, no divider");
    }

    #[derive(Default)]
    struct FakeWebhook {
        posts: Mutex<Vec<(String, Value)>>,
        answer: Option<HandlerError>,
    }

    impl Webhook for FakeWebhook {
        async fn post_json(&self, url: &str, body: String) -> Result<(), HandlerError> {
            let body = serde_json::from_str(&body).map_err(|e| HandlerError::SlackPost(e.to_string()))?;
            if let Ok(mut posts) = self.posts.lock() {
                posts.push((url.to_owned(), body));
            }
            self.answer.clone().map_or(Ok(()), Err)
        }
    }

    const URL: &str = "https://hooks.slack.com/services/T000/B000/XXXXXXXX";

    fn event(detail: Value) -> Value {
        json!({
            "version": "0",
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "resources": [EXECUTION],
            "detail": detail
        })
    }

    #[tokio::test]
    async fn posts_the_notice_and_reads_the_url_once() {
        let parameters = Fake::answering([Answer::Parameter(URL.into())]);
        let notice = NoticeSlack::new(parameters, FakeWebhook::default());
        let env = env(&[
            ("HOOK_URL_PARAMETER_NAME", "/webapp/slack/hook-url"),
            ("SLACK_USER_ID", "U0123ABCD"),
        ]);
        let failed = event(json!({
            "executionArn": EXECUTION, "stateMachineArn": MACHINE, "name": "nightly",
            "status": "FAILED", "startDate": 1_621_504_800_000_i64, "stopDate": null,
            "input": "{}", "output": null, "error": "States.TaskFailed", "cause": "boom"
        }));
        for _ in 0..2 {
            let posted = notice.handle(&env, failed.clone()).await.expect("posted");
            assert_eq!(serde_json::to_value(posted).expect("json"), json!({"Posted": true}));
        }
        assert_eq!(
            notice.parameters.calls(),
            [Call::GetParameter("/webapp/slack/hook-url".into())]
        );
        let posts = notice.webhook.posts.lock().map(|p| p.clone()).unwrap_or_default();
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].0, URL);
        assert_eq!(posts[0].1["blocks"][0]["text"]["text"], "<@U0123ABCD>");
        assert!(posts[0].1["blocks"][3]["text"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("*States.TaskFailed*")));
    }

    #[tokio::test]
    async fn configuration_errors_never_show_the_url() {
        let env = env(&[("HOOK_URL_PARAMETER_NAME", "/webapp/slack/hook-url")]);
        let secret = "http://hooks.slack.com/services/T000/B000/secret";
        let notice = NoticeSlack::new(
            Fake::answering([Answer::Parameter(secret.into())]),
            FakeWebhook::default(),
        );
        let err = notice
            .handle(&env, event(json!({"status": "SUCCEEDED"})))
            .await
            .expect_err("not https");
        assert_eq!(err.error_type(), "ConfigurationError");
        assert!(err.to_string().contains("/webapp/slack/hook-url"), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");

        let notice = NoticeSlack::new(Fake::default(), FakeWebhook::default());
        let err = notice
            .handle(
                &crate::input::test_support::env(&[]),
                event(json!({"status": "FAILED"})),
            )
            .await
            .expect_err("no name");
        assert!(err.to_string().contains("HOOK_URL_PARAMETER_NAME is not set"), "{err}");
        let bad_user =
            crate::input::test_support::env(&[("HOOK_URL_PARAMETER_NAME", "/p"), ("SLACK_USER_ID", "U1> @here")]);
        let err = notice
            .handle(&bad_user, event(json!({"status": "FAILED"})))
            .await
            .expect_err("bad user");
        assert!(err.to_string().contains("SLACK_USER_ID"), "{err}");
    }

    #[tokio::test]
    async fn a_refused_post_is_a_slack_post_error_and_bad_events_are_invalid_input() {
        let env = env(&[("HOOK_URL_PARAMETER_NAME", "/p")]);
        let webhook = FakeWebhook {
            answer: Some(HandlerError::SlackPost("HTTP 404: no_service".into())),
            ..Default::default()
        };
        let notice = NoticeSlack::new(Fake::answering([Answer::Parameter(URL.into())]), webhook);
        let err = notice
            .handle(&env, event(json!({"status": "SUCCEEDED"})))
            .await
            .expect_err("refused");
        assert_eq!(err.error_type(), "SlackPostError");
        let err = notice.handle(&env, json!({"detail": {}})).await.expect_err("no status");
        assert_eq!(err.to_string(), "input field detail: missing field `status`");
        let err = notice
            .handle(&env, json!({"detail": {"status": "FAILED", "startDate": "yesterday"}}))
            .await
            .expect_err("bad date");
        assert!(
            err.to_string()
                .starts_with("input field detail.startDate: invalid type: string"),
            "{err}"
        );
    }
}
