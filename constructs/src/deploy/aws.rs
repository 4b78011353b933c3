//! AWS clients from aws-config's standard chain, and a counter of the API calls they make.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::config::{ConfigBag, ProvideCredentials, RuntimeComponents, SharedCredentialsProvider};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use super::error::{causes, tried_providers, DeployError};

/// How to reach AWS. Everything not set here comes from aws-config's standard
/// chain: `AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL` (and
/// `AWS_ENDPOINT_URL_<SERVICE>`), credentials from the environment, the
/// profile, SSO or the instance role.
///
/// The deploy assumes the CDK bootstrap's deploy role a stack names
/// (`assumeRoleArn`) with these credentials, and falls back to them when it
/// cannot; assets are published with them.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// The named profile. Default: `AWS_PROFILE`, else `default`.
    pub profile: Option<String>,
    /// The region. Default: `AWS_REGION`, else the profile's.
    pub region: Option<String>,
    /// The endpoint of every service (e.g. a local AWS). Default: `AWS_ENDPOINT_URL`, else AWS.
    /// With an endpoint, S3 uses path-style addressing.
    pub endpoint_url: Option<String>,
    /// How often to poll CloudFormation while waiting. Default: `CONSTRUCTS_POLL_MS`
    /// milliseconds, else 1 s.
    pub poll_interval: Option<Duration>,
    /// The bootstrap stack's name (the CDK's `--toolkit-stack-name`), e.g. for
    /// a second bootstrap with another qualifier in one environment. Default:
    /// `CDKToolkit`.
    pub toolkit_stack_name: Option<String>,
}

/// A thread-safe tally of the AWS API calls made, by `Service.Operation`.
#[derive(Clone, Debug, Default)]
pub(crate) struct ApiCalls(Arc<Mutex<BTreeMap<String, u64>>>);

impl ApiCalls {
    /// The counts so far.
    pub fn snapshot(&self) -> ApiCallCounts {
        ApiCallCounts(self.0.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }

    pub(crate) fn record(&self, operation: String) {
        *self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(operation)
            .or_default() += 1;
    }
}

/// API call counts by `Service.Operation` (e.g. `CloudFormation.CreateChangeSet`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiCallCounts(pub BTreeMap<String, u64>);

impl ApiCallCounts {
    /// All calls.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// The calls of one operation, e.g. `get("S3.PutObject")`.
    pub fn get(&self, operation: &str) -> u64 {
        self.0.get(operation).copied().unwrap_or(0)
    }

    /// The calls made since `earlier` (a snapshot of the same counter).
    pub fn since(&self, earlier: &ApiCallCounts) -> ApiCallCounts {
        ApiCallCounts(
            self.0
                .iter()
                .filter_map(|(k, v)| {
                    let d = v.saturating_sub(earlier.get(k));
                    (d > 0).then(|| (k.clone(), d))
                })
                .collect(),
        )
    }
}

impl fmt::Display for ApiCallCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.total())?;
        if !self.0.is_empty() {
            let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k} {v}")).collect();
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

/// Counts each operation once, before it is serialized (retries are not counted).
/// Not in `read_before_execution`: client interceptors see that before the
/// operation's configuration, which holds its name, is applied.
#[derive(Clone, Debug)]
struct CountCalls(ApiCalls);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map(|m| format!("{}.{}", m.service(), m.name()))
            .unwrap_or_else(|| "unknown".to_owned());
        self.0.record(name);
        Ok(())
    }
}

/// The clients the engine uses, all counting into one [`ApiCalls`].
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    pub calls: ApiCalls,
    pub region: String,
    pub poll: Duration,
    /// S3 is reached over plain HTTP (a local AWS), where a TLS-only bucket policy would lock us out.
    pub plain_http_s3: bool,
    pub(crate) sdk: SdkConfig,
    path_style: bool,
}

/// The HTTPS client every AWS call of the deploy engine uses: hyper 1 with
/// rustls on `ring` and the system's root certificates.
///
/// The SDK's default client (rustls on aws-lc-rs) is off in this workspace:
/// building aws-lc-sys is a long C build, and `ring` serves TLS to AWS as well.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// `aws_config::defaults` with the latest behavior version and [`https_client`]:
/// the standard credential and region chain (environment, profile, SSO, web
/// identity, container and instance metadata).
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

impl Clients {
    /// Loads the configuration and builds the clients.
    pub async fn connect(options: &ConnectOptions) -> Result<Clients, DeployError> {
        let mut loader = config_loader();
        if let Some(p) = &options.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &options.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(e) = &options.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let sdk = loader.load().await;
        let region = sdk.region().map(|r| r.to_string()).ok_or(DeployError::NoRegion)?;
        // Fail before any work, in one line, when there are no credentials (the SDK would
        // fail each call with a dispatch failure).
        let Some(provider) = sdk.credentials_provider() else {
            return Err(DeployError::NoCredentials {
                reason: "no credential provider is configured".to_owned(),
            });
        };
        if let Err(e) = provider.provide_credentials().await {
            return Err(DeployError::NoCredentials {
                reason: tried_providers(&causes(&e)),
            });
        }
        let path_style = options.endpoint_url.is_some()
            || sdk.endpoint_url().is_some()
            || env_set("AWS_ENDPOINT_URL")
            || env_set("AWS_ENDPOINT_URL_S3");
        let s3_endpoint = options
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok().filter(|v| !v.is_empty()))
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()));
        let plain_http_s3 = s3_endpoint.is_some_and(|e| e.starts_with("http://"));
        let poll = options.poll_interval.unwrap_or_else(|| {
            std::env::var("CONSTRUCTS_POLL_MS")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(Duration::from_secs(1), Duration::from_millis)
        });
        Ok(Clients::build(
            sdk,
            ApiCalls::default(),
            region,
            poll,
            plain_http_s3,
            path_style,
        ))
    }

    fn build(
        sdk: SdkConfig,
        calls: ApiCalls,
        region: String,
        poll: Duration,
        plain_http_s3: bool,
        path_style: bool,
    ) -> Clients {
        let counter = CountCalls(calls.clone());
        let cfn = aws_sdk_cloudformation::Client::from_conf(
            aws_sdk_cloudformation::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk)
                .interceptor(counter.clone())
                .build(),
        );
        let mut clients = Clients {
            cfn,
            s3: aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).build()),
            sts,
            calls,
            region,
            poll,
            plain_http_s3,
            sdk,
            path_style,
        };
        clients.s3 = clients.s3_for(None);
        clients
    }

    /// The same clients acting as `role_arn`, assumed with the current
    /// credentials (and `external_id`); the reason when it cannot be assumed.
    pub async fn assume(&self, role_arn: &str, external_id: Option<&str>) -> Result<Clients, String> {
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("constructs-deploy")
            .configure(&self.sdk);
        if let Some(id) = external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        provider.provide_credentials().await.map_err(|e| causes(&e))?;
        let sdk = self
            .sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        Ok(Clients::build(
            sdk,
            self.calls.clone(),
            self.region.clone(),
            self.poll,
            self.plain_http_s3,
            self.path_style,
        ))
    }

    /// An S3 client for `region` (the configured one when `None`).
    pub fn s3_for(&self, region: Option<&str>) -> aws_sdk_s3::Client {
        let mut b = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(self.path_style)
            .interceptor(CountCalls(self.calls.clone()));
        if let Some(r) = region {
            b = b.region(Region::new(r.to_owned()));
        }
        aws_sdk_s3::Client::from_conf(b.build())
    }

    /// The partition of the region (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }
}

/// The partition of a region.
pub(crate) fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// The domain suffix of a region's endpoints.
pub(crate) fn url_suffix_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_subtract_and_render() {
        let calls = ApiCalls::default();
        calls.record("CloudFormation.DescribeStacks".into());
        let before = calls.snapshot();
        calls.record("CloudFormation.DescribeStacks".into());
        calls.record("S3.PutObject".into());
        let d = calls.snapshot().since(&before);
        assert_eq!(d.total(), 2);
        assert_eq!(d.get("S3.PutObject"), 1);
        assert_eq!(d.to_string(), "2 (CloudFormation.DescribeStacks 1, S3.PutObject 1)");
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("eu-west-1"), "aws");
        assert_eq!(url_suffix_of("cn-north-1"), "amazonaws.com.cn");
    }
}
