//! One module per function. Each takes the event as JSON, reads it into the
//! request it expects (an `InvalidInputError` naming the field otherwise),
//! calls AWS through a service trait, and returns the result in the API's
//! JSON shape.

pub mod create_alb_rule;
pub mod delete_alb_rule;
pub mod describe_db_cluster;
pub mod describe_ec2_instance;
pub mod describe_run_command_result;
pub mod describe_status_ec2_instance;
pub mod describe_target_health;
pub mod notice_slack;
pub mod run_command;
pub mod send_command_by_tag;
pub mod send_command_to_instance;
pub mod start_backup_job;
pub mod start_db_cluster;
pub mod start_ec2_instance;
pub mod stop_db_cluster;
pub mod stop_ec2_instance;
pub mod wait_for_command;
