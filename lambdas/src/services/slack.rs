//! Slack incoming webhooks: POST a JSON message.
//!
//! The client reuses the HTTP and TLS stack the AWS SDK already links (hyper
//! 1, rustls with ring, the system's root certificates), so the POST
//! adds no HTTP client of its own to the binary. The webhook URL is a secret:
//! it never appears in a log line or an error message.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::HandlerError;

/// How long a POST may take.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Posting a message to a webhook.
pub trait Webhook {
    /// POSTs `body` (JSON) to `url`; an error unless the answer is 2xx.
    fn post_json(&self, url: &str, body: String) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The webhook client: HTTPS only, HTTP/1.1, built on first use.
#[derive(Debug, Default)]
pub struct HttpsWebhook {
    client: OnceLock<HttpsClient>,
}

impl HttpsWebhook {
    fn client(&self) -> Result<&HttpsClient, HandlerError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| HandlerError::SlackPost(format!("no TLS root certificates: {e}")))?
            .https_only()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(self.client.get_or_init(|| client))
    }
}

impl Webhook for HttpsWebhook {
    async fn post_json(&self, url: &str, body: String) -> Result<(), HandlerError> {
        // Errors name neither the URL nor the parts of it a parser echoes.
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| HandlerError::SlackPost("the webhook URL is not a valid URL".to_owned()))?;
        let request = hyper::Request::post(uri)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| HandlerError::SlackPost("the webhook request could not be built".to_owned()))?;
        let client = self.client()?;
        let exchange = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| HandlerError::SlackPost(format!("no answer from the webhook: {e}")))?;
            let status = response.status();
            let answer = response
                .into_body()
                .collect()
                .await
                .map(|b| {
                    String::from_utf8_lossy(&b.to_bytes())
                        .chars()
                        .take(200)
                        .collect::<String>()
                })
                .unwrap_or_default();
            Ok::<_, HandlerError>((status, answer))
        };
        let (status, answer) = tokio::time::timeout(POST_TIMEOUT, exchange)
            .await
            .map_err(|_| HandlerError::SlackPost(format!("no answer within {} s", POST_TIMEOUT.as_secs())))??;
        if status.is_success() {
            Ok(())
        } else {
            Err(HandlerError::SlackPost(format!(
                "HTTP {}: {}",
                status.as_u16(),
                answer.trim()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn errors_never_show_the_url() {
        let secret = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";
        // Not HTTPS: refused by the connector before any connection.
        let err = HttpsWebhook::default()
            .post_json(&secret.replace("https", "http"), "{}".into())
            .await
            .expect_err("http is refused");
        assert_eq!(err.error_type(), "SlackPostError");
        assert!(!err.to_string().contains("secret"), "{err}");
        let err = HttpsWebhook::default()
            .post_json("https://hooks.slack.com/ bad secret", "{}".into())
            .await
            .expect_err("not a URL");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
