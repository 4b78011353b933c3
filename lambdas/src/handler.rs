//! The handler names: the function's `Handler` property, which the
//! `provided` runtimes pass to the binary in `_HANDLER`.

use std::fmt;
use std::str::FromStr;

use crate::input::Env;

/// The environment variable the `provided` runtimes set from the function's `Handler`.
pub const HANDLER_ENV: &str = "_HANDLER";

/// Every handler name the binary serves, in [`Handler::ALL`]'s order.
pub const HANDLER_NAMES: [&str; 17] = [
    "stop-ec2-instance",
    "start-ec2-instance",
    "describe-ec2-instance",
    "describe-status-ec2-instance",
    "stop-db-cluster",
    "start-db-cluster",
    "describe-db-cluster",
    "run-command",
    "describe-run-command-result",
    "create-alb-rule",
    "delete-alb-rule",
    "describe-target-health",
    "start-backup-job",
    "notice-slack",
    "send-command-by-tag",
    "send-command-to-instance",
    "wait-for-command",
];

/// A function the binary serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handler {
    /// `stop-ec2-instance`: `StopInstances`.
    StopEc2Instance,
    /// `start-ec2-instance`: `StartInstances`.
    StartEc2Instance,
    /// `describe-ec2-instance`: `DescribeInstances`.
    DescribeEc2Instance,
    /// `describe-status-ec2-instance`: `DescribeInstanceStatus`.
    DescribeStatusEc2Instance,
    /// `stop-db-cluster`: `StopDBCluster`.
    StopDbCluster,
    /// `start-db-cluster`: `StartDBCluster`.
    StartDbCluster,
    /// `describe-db-cluster`: `DescribeDBClusters`.
    DescribeDbCluster,
    /// `run-command`: `SendCommand` of `AWS-RunShellScript` to named instances.
    RunCommand,
    /// `describe-run-command-result`: `ListCommandInvocations` with details.
    DescribeRunCommandResult,
    /// `create-alb-rule`: `CreateRule`.
    CreateAlbRule,
    /// `delete-alb-rule`: `DeleteRule`.
    DeleteAlbRule,
    /// `describe-target-health`: `DescribeTargetHealth`.
    DescribeTargetHealth,
    /// `start-backup-job`: `StartBackupJob`.
    StartBackupJob,
    /// `notice-slack`: posts an execution's end to Slack.
    NoticeSlack,
    /// `send-command-by-tag`: the configured command to the tagged instances.
    SendCommandByTag,
    /// `send-command-to-instance`: the configured command to one instance.
    SendCommandToInstance,
    /// `wait-for-command`: fails with `CommandNotYetCompleteError` until a command is final.
    WaitForCommand,
}

impl Handler {
    /// Every handler, in [`HANDLER_NAMES`]' order.
    pub const ALL: [Handler; 17] = [
        Handler::StopEc2Instance,
        Handler::StartEc2Instance,
        Handler::DescribeEc2Instance,
        Handler::DescribeStatusEc2Instance,
        Handler::StopDbCluster,
        Handler::StartDbCluster,
        Handler::DescribeDbCluster,
        Handler::RunCommand,
        Handler::DescribeRunCommandResult,
        Handler::CreateAlbRule,
        Handler::DeleteAlbRule,
        Handler::DescribeTargetHealth,
        Handler::StartBackupJob,
        Handler::NoticeSlack,
        Handler::SendCommandByTag,
        Handler::SendCommandToInstance,
        Handler::WaitForCommand,
    ];

    /// The name the function's `Handler` property gives.
    pub const fn name(self) -> &'static str {
        HANDLER_NAMES[self as usize]
    }

    /// The handler named by `_HANDLER`.
    pub fn from_env(env: &impl Env) -> Result<Handler, UnknownHandler> {
        match env.var(HANDLER_ENV) {
            Some(name) => name.parse(),
            None => Err(UnknownHandler(None)),
        }
    }
}

impl fmt::Display for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Handler {
    type Err = UnknownHandler;

    fn from_str(name: &str) -> Result<Handler, UnknownHandler> {
        Handler::ALL
            .into_iter()
            .find(|h| h.name() == name)
            .ok_or_else(|| UnknownHandler(Some(name.to_owned())))
    }
}

/// `_HANDLER` is not set or names no handler of this binary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct UnknownHandler(pub Option<String>);

impl fmt::Display for UnknownHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(name) => write!(f, "unknown handler '{name}' (the function's Handler, in {HANDLER_ENV})")?,
            None => write!(
                f,
                "{HANDLER_ENV} is not set (the provided runtimes set it from the function's Handler)"
            )?,
        }
        write!(f, "; the valid handlers are: {}", HANDLER_NAMES.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::env;

    #[test]
    fn names_and_handlers_match_one_to_one() {
        let names: Vec<&str> = Handler::ALL.iter().map(|h| h.name()).collect();
        assert_eq!(names, HANDLER_NAMES);
        for name in HANDLER_NAMES {
            assert_eq!(name.parse::<Handler>().map(Handler::name), Ok(name));
        }
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn an_unknown_handler_lists_the_valid_ones() {
        let err = Handler::from_env(&env(&[("_HANDLER", "index.handler")])).expect_err("the seed's");
        let message = err.to_string();
        assert!(
            message.starts_with("unknown handler 'index.handler' (the function's Handler, in _HANDLER)"),
            "{message}"
        );
        for name in HANDLER_NAMES {
            assert!(message.contains(name), "{message}");
        }
        let err = Handler::from_env(&env(&[])).expect_err("unset");
        assert!(err.to_string().starts_with("_HANDLER is not set"), "{err}");
        assert_eq!(
            Handler::from_env(&env(&[("_HANDLER", "wait-for-command")])),
            Ok(Handler::WaitForCommand)
        );
    }
}
