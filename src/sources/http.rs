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
    fetch_metrics_text_limited(client, url, max_bytes, None).await
}

/// [`fetch_metrics_text`], naming the config `setting` that raises the limit in the message
/// past it ("page over 4 MiB limit; raise [metrics] max_page_bytes").
pub async fn fetch_metrics_text_limited(
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
    setting: Option<&str>,
) -> Result<String, String> {
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "text/plain;version=0.0.4")
        .send()
        .await
        .map_err(|e| format!("GET {url}: {}", error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    let body = read_limited(response, max_bytes)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge => format!("GET {url}: {}", over_limit("page", max_bytes, setting)),
            BodyError::Read(e) | BodyError::TimedOut(e) => {
                format!("GET {url}: reading the body: {e}")
            }
        })?;
    String::from_utf8(body).map_err(|e| {
        format!(
            "GET {url}: metrics text is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Why [`read_limited`] gave no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit: the rest was not read.
    TooLarge,
    /// The transport failed mid-body.
    Read(String),
    /// The client's timeout passed mid-body.
    TimedOut(String),
}

/// Reads a response body of at most `max_bytes`, chunk by chunk: a declared length past
/// the limit is refused before reading, and an undeclared one stops at the first chunk that
/// would cross it, so memory stays bounded by the limit plus one chunk.
pub async fn read_limited(
    mut response: reqwest::Response,
    max_bytes: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        if e.is_timeout() {
            BodyError::TimedOut(error_chain(&e))
        } else {
            BodyError::Read(error_chain(&e))
        }
    })? {
        if body.len() + chunk.len() > max_bytes {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// "page over 4 MiB limit; raise [metrics] max_page_bytes" (the hint only with a setting).
pub fn over_limit(what: &str, max_bytes: usize, setting: Option<&str>) -> String {
    let mut text = format!("{what} over {} limit", size_text(max_bytes));
    if let Some(setting) = setting {
        text.push_str("; raise ");
        text.push_str(setting);
    }
    text
}

/// `4 MiB`, `1.5 MiB`, `512 KiB`, `100 bytes`.
pub fn size_text(bytes: usize) -> String {
    const KIB: usize = 1 << 10;
    const MIB: usize = 1 << 20;
    let scaled = |unit: usize, name: &str| {
        if bytes.is_multiple_of(unit) {
            format!("{} {name}", bytes / unit)
        } else {
            format!("{:.1} {name}", bytes as f64 / unit as f64)
        }
    };
    if bytes >= MIB {
        scaled(MIB, "MiB")
    } else if bytes >= KIB {
        scaled(KIB, "KiB")
    } else {
        crate::text::count(bytes as u64, "byte", "bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_limit_texts() {
        assert_eq!(size_text(4 << 20), "4 MiB");
        assert_eq!(size_text(3 << 19), "1.5 MiB");
        assert_eq!(size_text(512 << 10), "512 KiB");
        assert_eq!(size_text(100), "100 bytes");
        assert_eq!(
            over_limit("page", 4 << 20, Some("[metrics] max_page_bytes")),
            "page over 4 MiB limit; raise [metrics] max_page_bytes"
        );
        assert_eq!(over_limit("page", 16 << 20, None), "page over 16 MiB limit");
    }
}
