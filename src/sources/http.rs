//! HTTP pieces every source shares: the client (timeouts, user agent, TLS provider), error
//! texts that say what went wrong, and a bounded read of a text page.

use std::time::Duration;

/// An HTTP client with a timeout below `interval`, so one slow endpoint cannot stall a
/// polling loop.
pub fn client(interval: Duration) -> Result<reqwest::Client, String> {
    // reqwest is built with `rustls-no-provider` and panics on build without a provider;
    // when one is installed already this is a no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(interval.clamp(Duration::from_millis(500), Duration::from_secs(10)))
        .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))
}

/// An error with its causes on one line: reqwest's top-level text alone ("error sending
/// request") does not say what went wrong. Credentials a cause may quote are redacted.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    crate::secret::redact(&text).into_owned()
}

/// GETs a Prometheus text page. A transport error, a non-2xx status, a body over
/// `max_bytes` (read in chunks, so a runaway exporter cannot make us buffer without
/// bound) or a body that is not UTF-8 is an error text for the pane.
pub async fn fetch_metrics_text(
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
) -> Result<String, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "text/plain;version=0.0.4")
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("GET {url}: reading the body: {}", error_chain(&e)))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(format!(
                "GET {url}: page larger than {} MiB, not read",
                max_bytes >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|e| {
        format!(
            "GET {url}: metrics text is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}
