//! Amazon EC2: start, stop and describe instances, and their status checks.

use std::future::Future;

use aws_sdk_ec2::operation::describe_instance_status::DescribeInstanceStatusOutput;
use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::start_instances::StartInstancesOutput;
use aws_sdk_ec2::operation::stop_instances::StopInstancesOutput;
use aws_sdk_ec2::types as sdk;
use serde::{Deserialize, Serialize};

use super::{text, timestamp, Filter};
use crate::error::HandlerError;

/// The EC2 calls the handlers make.
pub trait Ec2Api {
    /// `StopInstances`.
    fn stop_instances(
        &self,
        request: StopInstancesRequest,
    ) -> impl Future<Output = Result<StopInstancesOutput, HandlerError>> + Send;
    /// `StartInstances`.
    fn start_instances(
        &self,
        request: StartInstancesRequest,
    ) -> impl Future<Output = Result<StartInstancesOutput, HandlerError>> + Send;
    /// `DescribeInstances` (one page).
    fn describe_instances(
        &self,
        request: DescribeInstancesRequest,
    ) -> impl Future<Output = Result<DescribeInstancesOutput, HandlerError>> + Send;
    /// `DescribeInstanceStatus` (one page).
    fn describe_instance_status(
        &self,
        request: DescribeInstanceStatusRequest,
    ) -> impl Future<Output = Result<DescribeInstanceStatusOutput, HandlerError>> + Send;
}

/// The `StopInstances` request: `{"InstanceIds": ["i-..."], "Force": false, "Hibernate": false}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StopInstancesRequest {
    /// The instances to stop.
    pub instance_ids: Vec<String>,
    /// Stop without flushing caches or checking file systems. Default: false.
    #[serde(default)]
    pub force: Option<bool>,
    /// Hibernate instead of stopping (the instance must be enabled for it). Default: false.
    #[serde(default)]
    pub hibernate: Option<bool>,
}

/// The `StartInstances` request: `{"InstanceIds": ["i-..."]}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StartInstancesRequest {
    /// The instances to start.
    pub instance_ids: Vec<String>,
}

/// The `DescribeInstances` request: `{"InstanceIds": ["i-..."]}` and/or `Filters`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DescribeInstancesRequest {
    /// The instances; all of them when absent.
    #[serde(default)]
    pub instance_ids: Option<Vec<String>>,
    /// Filters.
    #[serde(default)]
    pub filters: Option<Vec<Filter>>,
    /// Results per page.
    #[serde(default)]
    pub max_results: Option<i32>,
    /// The page to read, from a previous result's `NextToken`.
    #[serde(default)]
    pub next_token: Option<String>,
}

/// The `DescribeInstanceStatus` request: `{"InstanceIds": ["i-..."]}`.
///
/// Unlike the API, `IncludeAllInstances` defaults to **true**, so an instance
/// that is still `pending` (or `stopped`) is listed with its state instead of
/// missing: the seed's start job net reads `InstanceStatuses[0].InstanceState.Code`
/// right after `StartInstances`, and a missing element fails its Choice state.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DescribeInstanceStatusRequest {
    /// The instances; all of them when absent.
    #[serde(default)]
    pub instance_ids: Option<Vec<String>>,
    /// Filters.
    #[serde(default)]
    pub filters: Option<Vec<Filter>>,
    /// List instances that are not running too. Default: true (see above).
    #[serde(default = "yes")]
    pub include_all_instances: bool,
    /// Results per page.
    #[serde(default)]
    pub max_results: Option<i32>,
    /// The page to read, from a previous result's `NextToken`.
    #[serde(default)]
    pub next_token: Option<String>,
}

fn yes() -> bool {
    true
}

/// An instance's state: `{"Code": 16, "Name": "running"}` (0 pending, 16
/// running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceState {
    /// The state's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// The state's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<sdk::InstanceState> for InstanceState {
    fn from(s: sdk::InstanceState) -> Self {
        InstanceState {
            code: s.code,
            name: text(s.name),
        }
    }
}

/// One instance's change of state, as `StopInstances` and `StartInstances` report it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceStateChange {
    /// The instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The state now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<InstanceState>,
    /// The state before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<InstanceState>,
}

impl From<sdk::InstanceStateChange> for InstanceStateChange {
    fn from(c: sdk::InstanceStateChange) -> Self {
        InstanceStateChange {
            instance_id: c.instance_id,
            current_state: c.current_state.map(Into::into),
            previous_state: c.previous_state.map(Into::into),
        }
    }
}

/// The result of `StopInstances`: `{"StoppingInstances": [...]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StopInstancesResult {
    /// Each instance's change of state.
    pub stopping_instances: Vec<InstanceStateChange>,
}

impl From<StopInstancesOutput> for StopInstancesResult {
    fn from(o: StopInstancesOutput) -> Self {
        StopInstancesResult {
            stopping_instances: o
                .stopping_instances
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}

/// The result of `StartInstances`: `{"StartingInstances": [...]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StartInstancesResult {
    /// Each instance's change of state.
    pub starting_instances: Vec<InstanceStateChange>,
}

impl From<StartInstancesOutput> for StartInstancesResult {
    fn from(o: StartInstancesOutput) -> Self {
        StartInstancesResult {
            starting_instances: o
                .starting_instances
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}

/// A tag: `{"Key": "Name", "Value": "web-1"}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Why an instance last changed state: `{"Code": "Client.UserInitiatedShutdown", "Message": ...}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StateReason {
    /// The reason's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The reason's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Where an instance runs.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    /// The Availability Zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// An instance, as `DescribeInstances` reports it (the fields job nets read).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    /// The instance's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The instance type, e.g. `t3.micro`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// The AMI it was launched from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Its state (`State.Code` 80 is stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<InstanceState>,
    /// Why it last changed state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<StateReason>,
    /// The reason for the last transition, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_transition_reason: Option<String>,
    /// When it was launched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_time: Option<String>,
    /// Its Availability Zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// Its private IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    /// Its public IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_ip_address: Option<String>,
    /// Its subnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Its VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Its tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

impl From<sdk::Instance> for Instance {
    fn from(i: sdk::Instance) -> Self {
        Instance {
            instance_id: i.instance_id,
            instance_type: text(i.instance_type),
            image_id: i.image_id,
            state: i.state.map(Into::into),
            state_reason: i.state_reason.map(|r| StateReason {
                code: r.code,
                message: r.message,
            }),
            state_transition_reason: i.state_transition_reason,
            launch_time: timestamp(i.launch_time),
            placement: i.placement.map(|p| Placement {
                availability_zone: p.availability_zone,
            }),
            private_ip_address: i.private_ip_address,
            public_ip_address: i.public_ip_address,
            subnet_id: i.subnet_id,
            vpc_id: i.vpc_id,
            tags: i.tags.map(|tags| {
                tags.into_iter()
                    .map(|t| Tag {
                        key: t.key,
                        value: t.value,
                    })
                    .collect()
            }),
        }
    }
}

/// A reservation: the instances launched together.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Reservation {
    /// The reservation's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<String>,
    /// The account that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Its instances.
    pub instances: Vec<Instance>,
}

/// The result of `DescribeInstances`: `{"Reservations": [{"Instances": [...]}]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstancesResult {
    /// The reservations.
    pub reservations: Vec<Reservation>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl From<DescribeInstancesOutput> for DescribeInstancesResult {
    fn from(o: DescribeInstancesOutput) -> Self {
        DescribeInstancesResult {
            reservations: o
                .reservations
                .unwrap_or_default()
                .into_iter()
                .map(|r| Reservation {
                    reservation_id: r.reservation_id,
                    owner_id: r.owner_id,
                    instances: r.instances.unwrap_or_default().into_iter().map(Into::into).collect(),
                })
                .collect(),
            next_token: o.next_token,
        }
    }
}

/// One check of a status summary: `{"Name": "reachability", "Status": "passed"}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StatusDetail {
    /// The check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `passed`, `failed`, `insufficient-data` or `initializing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Since when the check has failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impaired_since: Option<String>,
}

/// A status check summary: `{"Status": "ok", "Details": [...]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StatusSummary {
    /// `ok`, `impaired`, `initializing`, `insufficient-data` or `not-applicable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The checks.
    pub details: Vec<StatusDetail>,
}

impl From<sdk::InstanceStatusSummary> for StatusSummary {
    fn from(s: sdk::InstanceStatusSummary) -> Self {
        StatusSummary {
            status: text(s.status),
            details: s
                .details
                .unwrap_or_default()
                .into_iter()
                .map(|d| StatusDetail {
                    name: text(d.name),
                    status: text(d.status),
                    impaired_since: timestamp(d.impaired_since),
                })
                .collect(),
        }
    }
}

/// An instance's status, as `DescribeInstanceStatus` reports it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceStatus {
    /// The instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Its Availability Zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// Its state (`InstanceState.Code` 16 is running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_state: Option<InstanceState>,
    /// The instance status check (`InstanceStatus.Status` `ok` when it passed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_status: Option<StatusSummary>,
    /// The system status check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_status: Option<StatusSummary>,
}

/// The result of `DescribeInstanceStatus`: `{"InstanceStatuses": [...]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstanceStatusResult {
    /// The instances' statuses.
    pub instance_statuses: Vec<InstanceStatus>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl From<DescribeInstanceStatusOutput> for DescribeInstanceStatusResult {
    fn from(o: DescribeInstanceStatusOutput) -> Self {
        DescribeInstanceStatusResult {
            instance_statuses: o
                .instance_statuses
                .unwrap_or_default()
                .into_iter()
                .map(|s| InstanceStatus {
                    instance_id: s.instance_id,
                    availability_zone: s.availability_zone,
                    instance_state: s.instance_state.map(Into::into),
                    instance_status: s.instance_status.map(Into::into),
                    system_status: s.system_status.map(Into::into),
                })
                .collect(),
            next_token: o.next_token,
        }
    }
}

fn sdk_filters(filters: Option<Vec<Filter>>) -> Option<Vec<sdk::Filter>> {
    filters.map(|fs| {
        fs.into_iter()
            .map(|f| sdk::Filter::builder().name(f.name).set_values(Some(f.values)).build())
            .collect()
    })
}

impl Ec2Api for aws_sdk_ec2::Client {
    async fn stop_instances(&self, r: StopInstancesRequest) -> Result<StopInstancesOutput, HandlerError> {
        aws_sdk_ec2::Client::stop_instances(self)
            .set_instance_ids(Some(r.instance_ids))
            .set_force(r.force)
            .set_hibernate(r.hibernate)
            .send()
            .await
            .map_err(|e| HandlerError::aws("StopInstances", e))
    }

    async fn start_instances(&self, r: StartInstancesRequest) -> Result<StartInstancesOutput, HandlerError> {
        aws_sdk_ec2::Client::start_instances(self)
            .set_instance_ids(Some(r.instance_ids))
            .send()
            .await
            .map_err(|e| HandlerError::aws("StartInstances", e))
    }

    async fn describe_instances(&self, r: DescribeInstancesRequest) -> Result<DescribeInstancesOutput, HandlerError> {
        aws_sdk_ec2::Client::describe_instances(self)
            .set_instance_ids(r.instance_ids)
            .set_filters(sdk_filters(r.filters))
            .set_max_results(r.max_results)
            .set_next_token(r.next_token)
            .send()
            .await
            .map_err(|e| HandlerError::aws("DescribeInstances", e))
    }

    async fn describe_instance_status(
        &self,
        r: DescribeInstanceStatusRequest,
    ) -> Result<DescribeInstanceStatusOutput, HandlerError> {
        aws_sdk_ec2::Client::describe_instance_status(self)
            .set_instance_ids(r.instance_ids)
            .set_filters(sdk_filters(r.filters))
            .include_all_instances(r.include_all_instances)
            .set_max_results(r.max_results)
            .set_next_token(r.next_token)
            .send()
            .await
            .map_err(|e| HandlerError::aws("DescribeInstanceStatus", e))
    }
}
