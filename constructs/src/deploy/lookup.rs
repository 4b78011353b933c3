//! Context lookups, as the CDK CLI's context providers: the values synthesis
//! reported missing (the manifest's `missing`, see
//! [`crate::core::MissingContext`]) are looked up in their account and region,
//! as the bootstrap's lookup role when it can be assumed (else the current
//! credentials, with a warning), for the CLI to save in `cdk.context.json`.
//!
//! The one provider so far, `availability-zones`, makes one EC2 Query API
//! call (`DescribeAvailabilityZones`) signed with SigV4 through the crates the
//! SDK already builds (aws-sigv4, the smithy HTTP client and XML decoder):
//! aws-sdk-ec2 for this one call would more than double the deploy feature's
//! build (its debug rlib is about 650 MB, eight times aws-sdk-cloudformation's).

use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::body::SdkBody;
use serde_json::Value as Json;

use super::aws::{partition_of, url_suffix_of, Clients};
use super::error::{causes, DeployError};
use crate::core::{MissingContext, AVAILABILITY_ZONES_PROVIDER};

/// The EC2 Query API version DescribeAvailabilityZones is called with.
const EC2_API_VERSION: &str = "2016-11-15";

/// What a lookup found: the values by key, and warnings for the user.
#[derive(Clone, Debug, Default)]
pub struct ContextLookup {
    /// `(key, value)` for each missing entry, in the order asked.
    pub values: Vec<(String, Json)>,
    /// Roles that could not be assumed (the current credentials were used).
    pub warnings: Vec<String>,
}

/// Looks up each entry; one error per entry that cannot be answered.
pub(crate) async fn look_up(clients: &Clients, missing: &[MissingContext]) -> Result<ContextLookup, DeployError> {
    let mut out = ContextLookup::default();
    for m in missing {
        let failed = |message: String| DeployError::ContextLookup {
            key: m.key.clone(),
            message,
        };
        if m.provider != AVAILABILITY_ZONES_PROVIDER {
            return Err(failed(format!(
                "the context provider '{}' is not supported",
                m.provider
            )));
        }
        let (Some(account), Some(region)) = (m.prop("account"), m.prop("region")) else {
            return Err(failed("the query names no account and region".to_owned()));
        };
        let as_role = match m.prop("lookupRoleArn") {
            Some(arn) => {
                let arn = arn.replace("${AWS::Partition}", partition_of(region));
                match clients.assume(&arn, None).await {
                    Ok(c) => Some(c),
                    Err(reason) => {
                        out.warnings.push(format!(
                            "could not assume the lookup role {arn} ({reason}); looking up {} with the current \
                             credentials",
                            m.key
                        ));
                        None
                    }
                }
            }
            None => None,
        };
        let c = as_role.as_ref().unwrap_or(clients);
        if as_role.is_none() {
            let id = c
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| DeployError::aws("STS.GetCallerIdentity", None, &e))?;
            if id.account().is_some_and(|a| a != account) {
                return Err(failed(format!(
                    "it is in account {account}, the current credentials are for account {}: bootstrap {account} \
                     with `bootstrap --trust-for-lookup {}`, or use credentials of {account}",
                    id.account().unwrap_or_default(),
                    id.account().unwrap_or_default()
                )));
            }
        }
        let names = describe_availability_zones(c, region).await.map_err(failed)?;
        if names.is_empty() {
            return Err(failed(format!("EC2 lists no available AZ in {region}")));
        }
        out.values.push((m.key.clone(), Json::from(names)));
    }
    Ok(out)
}

/// The EC2 endpoint of a region (see [`service_endpoint`]).
fn ec2_endpoint(c: &Clients, region: &str) -> String {
    service_endpoint(c, "ec2", region)
}

/// The names of the region's available AZs (`DescribeAvailabilityZones`,
/// state `available`, as the CDK's provider), in EC2's order.
async fn describe_availability_zones(c: &Clients, region: &str) -> Result<Vec<String>, String> {
    let body = format!("Action=DescribeAvailabilityZones&Version={EC2_API_VERSION}");
    let (status, text) = signed_post(
        c,
        &SignedCall {
            call: "EC2.DescribeAvailabilityZones",
            service: "ec2",
            region,
            endpoint: ec2_endpoint(c, region),
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            target: None,
            body,
        },
    )
    .await?;
    if !(200..300).contains(&status) {
        return Err(format!(
            "EC2.DescribeAvailabilityZones failed (HTTP {status}): {}",
            ec2_error(&text).unwrap_or_else(|| "no error in the answer".to_owned())
        ));
    }
    available_zone_names(&text)
}

/// One AWS API call made by hand: a POST signed with SigV4.
pub(crate) struct SignedCall<'a> {
    /// `Service.Operation`, for the API call counts and messages.
    pub call: &'a str,
    /// The signing name (`ec2`, `ssm`).
    pub service: &'a str,
    /// The signing region.
    pub region: &'a str,
    /// The service endpoint (`https://ec2.REGION.amazonaws.com`).
    pub endpoint: String,
    /// The body's content type.
    pub content_type: &'a str,
    /// The `X-Amz-Target` header of JSON protocol APIs.
    pub target: Option<&'a str>,
    /// The request body.
    pub body: String,
}

/// Makes one signed POST with the clients' credentials; returns the HTTP
/// status and the answer's text (an error only when no answer came).
pub(crate) async fn signed_post(c: &Clients, call: &SignedCall<'_>) -> Result<(u16, String), String> {
    let provider = c
        .sdk
        .credentials_provider()
        .ok_or_else(|| "no credentials are configured".to_owned())?;
    let credentials = provider.provide_credentials().await.map_err(|e| causes(&e))?;
    let identity = Identity::from(credentials);
    let endpoint = &call.endpoint;
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or_default()
        .to_owned();
    let mut headers = vec![("host", host.as_str()), ("content-type", call.content_type)];
    if let Some(target) = call.target {
        headers.push(("x-amz-target", target));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(call.region)
        .name(call.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(call.body.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _signature) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
    let mut request = aws_smithy_runtime_api::http::Request::new(SdkBody::from(call.body.clone()));
    request.set_uri(url.as_str()).map_err(|e| e.to_string())?;
    request.set_method("POST").map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert("content-type", call.content_type.to_owned());
    if let Some(target) = call.target {
        request.headers_mut().insert("x-amz-target", target.to_owned());
    }
    for (name, value) in instructions.headers() {
        request.headers_mut().insert(name.to_owned(), value.to_owned());
    }
    let connector = aws_smithy_http_client::Connector::builder()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build();
    c.calls.record(call.call.to_owned());
    let response = connector
        .call(request)
        .await
        .map_err(|e| format!("{} at {endpoint}: {}", call.call, causes(&e)))?;
    let status = response.status().as_u16();
    let bytes = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
        .collect()
        .await
        .map_err(|e| format!("{}: reading the answer: {e}", call.call))?
        .into_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// The endpoint of a service the SDK is not used for: `AWS_ENDPOINT_URL_<SERVICE>`,
/// else the configured endpoint (`AWS_ENDPOINT_URL`, a local AWS), else AWS's.
pub(crate) fn service_endpoint(c: &Clients, service: &str, region: &str) -> String {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    set(&format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase()))
        .or_else(|| c.sdk.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| format!("https://{service}.{region}.{}", url_suffix_of(region)))
}

/// The zone names of a DescribeAvailabilityZones answer whose state is `available`.
fn available_zone_names(xml: &str) -> Result<Vec<String>, String> {
    use aws_smithy_xml::decode::{try_data, Document};
    let bad = |e: aws_smithy_xml::decode::XmlDecodeError| format!("EC2's answer is not the XML expected: {e}");
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(bad)?;
    let mut names = Vec::new();
    while let Some(mut list) = root.next_tag() {
        if !list.start_el().matches("availabilityZoneInfo") {
            continue;
        }
        while let Some(mut item) = list.next_tag() {
            let (mut name, mut state) = (None, None);
            while let Some(mut field) = item.next_tag() {
                if field.start_el().matches("zoneName") {
                    name = Some(try_data(&mut field).map_err(bad)?.into_owned());
                } else if field.start_el().matches("zoneState") {
                    state = Some(try_data(&mut field).map_err(bad)?.into_owned());
                }
            }
            if let (Some(n), Some("available")) = (name, state.as_deref()) {
                names.push(n);
            }
        }
    }
    Ok(names)
}

/// `Code: Message` of an EC2 error answer (`<Response><Errors><Error>`).
fn ec2_error(xml: &str) -> Option<String> {
    let field = |tag: &str| {
        let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = xml[start..].find(&format!("</{tag}>"))? + start;
        Some(xml[start..end].to_owned())
    };
    Some(format!("{}: {}", field("Code")?, field("Message").unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::{available_zone_names, ec2_error};

    #[test]
    fn the_answer_gives_the_available_zones_in_order() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>1</requestId>
  <availabilityZoneInfo>
    <item><zoneName>ap-northeast-1a</zoneName><zoneState>available</zoneState><regionName>ap-northeast-1</regionName></item>
    <item><zoneName>ap-northeast-1b</zoneName><zoneState>impaired</zoneState></item>
    <item><zoneName>ap-northeast-1c</zoneName><zoneState>available</zoneState><messageSet/></item>
  </availabilityZoneInfo>
</DescribeAvailabilityZonesResponse>"#;
        assert_eq!(
            available_zone_names(xml).expect("parses"),
            ["ap-northeast-1a", "ap-northeast-1c"]
        );
        assert!(
            available_zone_names("not xml").is_err() || available_zone_names("not xml").is_ok_and(|v| v.is_empty())
        );
        let err = r#"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized</Message></Error></Errors></Response>"#;
        assert_eq!(
            ec2_error(err).as_deref(),
            Some("UnauthorizedOperation: You are not authorized")
        );
    }
}
