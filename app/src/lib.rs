//! The seed application (seed 001): stop and start a web system (ALB, two EC2
//! instances, Aurora MySQL) with Step Functions and Run Command, notifying Slack.
//!
//! One module per stack; [`build`] wires them as the seed's `bin/app.ts` does.

pub mod examples;
pub mod lambda_functions_stack;
pub mod simulations;
pub mod start_state_machine_stack;
pub mod stop_state_machine_stack;
pub mod web_app_stack;

use constructs::aspects::{Hardened, HardenedProps, LambdaVpc};
use constructs::aws::ec2::SubnetSelection;
use constructs::core::{App, Aspects, Environment, Pseudo, Scope, StackProps, Tags};

use lambda_functions_stack::{LambdaFunctionsStack, LambdaFunctionsStackProps};
use start_state_machine_stack::{WebAppStartStateMachineProps, WebAppStartStateMachineStack};
use stop_state_machine_stack::{WebAppStopStateMachineProps, WebAppStopStateMachineStack};
use web_app_stack::{WebAppStack, WebAppStackProps};

/// The context key that hardens the seed app (`-c hardened=true`): the
/// [`Hardened`] aspect over every stack, with [`HARDENED_RESERVED_CONCURRENCY`]
/// and the functions in the web system's private subnets. Add
/// `-c certificate-arn=ARN` for HTTPS (see [`web_app_stack::CERTIFICATE_ARN_CONTEXT`]).
pub const HARDENED_CONTEXT: &str = "hardened";
/// The reserved concurrency of each function of the hardened app (14
/// functions: 70 of the account's pool, which must keep 100 unreserved).
pub const HARDENED_RESERVED_CONCURRENCY: u32 = 5;

/// Builds every stack of the app; with `-c examples=true`, the pattern
/// examples of [`examples`] instead; with `-c hardened=true`, hardened (see
/// [`HARDENED_CONTEXT`]).
pub fn build(app: &App) {
    if examples::selected(app) {
        examples::build(app);
        return;
    }
    let lambda_functions = LambdaFunctionsStack::new(app, "LambdaFunctionsStack", LambdaFunctionsStackProps::default());
    Tags::of(lambda_functions.stack()).add("stackId", Pseudo::StackId);
    let l = &lambda_functions;
    let web_app = WebAppStack::new(
        app,
        "WebAppStack",
        WebAppStackProps {
            stack: StackProps {
                env: web_app_environment(app),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    Tags::of(web_app.stack()).add("stackId", Pseudo::StackId);
    WebAppStartStateMachineStack::new(
        app,
        "WebAppStartStateMachineStack",
        &WebAppStartStateMachineProps {
            start_ec2_instance_function: l.start_ec2_instance_function(),
            describe_status_ec2_instance_function: l.describe_status_ec2_instance_function(),
            run_command_ec2_instance_function: l.run_command_ec2_instance_function(),
            describe_result_run_command_function: l.describe_result_run_command_function(),
            start_db_cluster_function: l.start_db_cluster_function(),
            describe_db_cluster_function: l.describe_db_cluster_function(),
            describe_health_target_function: l.describe_health_target_function(),
            delete_alb_rule_function: l.delete_alb_rule_function(),
            notice_slack_function: l.notice_slack_function(),
            web_app: &web_app,
        },
    );
    WebAppStopStateMachineStack::new(
        app,
        "WebAppStopStateMachineStack",
        &WebAppStopStateMachineProps {
            stop_ec2_instance_function: l.stop_ec2_instance_function(),
            describe_ec2_instance_function: l.describe_ec2_instance_function(),
            run_command_ec2_instance_function: l.run_command_ec2_instance_function(),
            describe_result_run_command_function: l.describe_result_run_command_function(),
            stop_db_cluster_function: l.stop_db_cluster_function(),
            describe_db_cluster_function: l.describe_db_cluster_function(),
            create_alb_rule_function: l.create_alb_rule_function(),
            start_backup_job_function: l.start_backup_job_function(),
            notice_slack_function: l.notice_slack_function(),
            web_app: &web_app,
        },
    );
    if app.node().context_bool(HARDENED_CONTEXT) == Some(true) {
        Aspects::of(app).add(Hardened::new(HardenedProps {
            lambda_reserved_concurrency: Some(HARDENED_RESERVED_CONCURRENCY),
            lambda_vpc: Some(LambdaVpc {
                vpc: web_app.vpc().clone(),
                subnets: SubnetSelection::group("Private"),
            }),
            ..Default::default()
        }));
    }
}

/// The context key pinning `WebAppStack` to an account and region,
/// `aws://ACCOUNT/REGION` (as a CDK app's `env`): its VPC then takes the AZ
/// names of the CDK's `availability-zones:account=...:region=...` context
/// (looked up by `deploy` when missing), as a CDK deployment of the seed did.
/// Default: unset, the stack deploys to any account and region.
pub const WEB_APP_ENV_CONTEXT: &str = "web-app-env";

fn web_app_environment(app: &App) -> Environment {
    let Some(uri) = app.node().context_str(WEB_APP_ENV_CONTEXT) else {
        return Environment::default();
    };
    Environment::from_uri(&uri).unwrap_or_else(|| {
        app.node().add_error(format!(
            "context value '{WEB_APP_ENV_CONTEXT}' is '{uri}', not aws://ACCOUNT/REGION: e.g. -c {WEB_APP_ENV_CONTEXT}=aws://123456789012/ap-northeast-1"
        ));
        Environment::default()
    })
}
