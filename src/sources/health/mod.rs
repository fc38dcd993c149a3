//! Health checks: each `[[health]]` endpoint is asked every interval, redirects are not
//! followed, and the answer is classified (expected status, redirect, body, timeout, TLS,
//! connection). Consecutive failures are counted by the pane (`app::panes::hosts`).

pub mod model;

pub use model::{HealthFailure, HealthSample};

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::config::HealthCheck;
use crate::sources::http::{BodyError, error_chain, over_limit, read_limited};

/// The most of a health answer's body that is read (to look for `body_contains`).
pub const MAX_BODY: usize = 256 << 10;

/// Where health samples go; `false`: nobody listens, stop.
pub type Sink = Arc<dyn Fn(HealthSample) -> bool + Send + Sync>;

/// A client for health checks: no redirects followed, the check's timeout.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))
}

/// One check of `check`, classified.
pub async fn check_once(client: &reqwest::Client, check: &HealthCheck) -> HealthSample {
    let started = Instant::now();
    let limit = Duration::from_secs(check.timeout_secs.max(1));
    let asked = async {
        let response = client.get(&check.url).send().await?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
        let body = if check.body_contains.is_some() && status == check.expect_status {
            Some(read_limited(response, MAX_BODY).await)
        } else {
            None
        };
        Ok::<_, reqwest::Error>((status, location, body))
    };
    // the client's own timeout covers the request; this one also covers a slow body
    let answer = tokio::time::timeout(limit + Duration::from_millis(200), asked).await;
    let latency = started.elapsed();
    let timeout = HealthFailure::Timeout {
        secs: check.timeout_secs,
    };
    let (latency, result) = match answer {
        Err(_) => (None, Err(timeout)),
        Ok(Err(e)) => {
            if e.is_timeout() {
                (None, Err(timeout))
            } else {
                (Some(latency), Err(classify(&e)))
            }
        }
        // the body broke off: a timeout or a transport error, never "the body lacks …"
        Ok(Ok((_, _, Some(Err(BodyError::TimedOut(_)))))) => (None, Err(timeout)),
        Ok(Ok((status, _, Some(Err(BodyError::Read(e)))))) => (
            Some(latency),
            Err(HealthFailure::Other(format!(
                "HTTP {status} but reading the body failed: {e}"
            ))),
        ),
        Ok(Ok((status, _, Some(Err(BodyError::TooLarge))))) => (
            Some(latency),
            Err(HealthFailure::Other(format!(
                "HTTP {status} but the {}",
                over_limit("body", MAX_BODY, None)
            ))),
        ),
        Ok(Ok((status, location, body))) => (
            Some(latency),
            judge(check, status, location, body.and_then(Result::ok)),
        ),
    };
    HealthSample {
        name: check.name.clone(),
        at: Timestamp::now(),
        latency,
        result,
    }
}

fn judge(
    check: &HealthCheck,
    status: u16,
    location: Option<String>,
    body: Option<Vec<u8>>,
) -> Result<u16, HealthFailure> {
    if (300..400).contains(&status) && status != check.expect_status {
        return Err(HealthFailure::Redirect {
            status,
            location: crate::secret::redact(&location.unwrap_or_else(|| "(no Location)".into()))
                .into_owned(),
        });
    }
    if status != check.expect_status {
        return Err(HealthFailure::Status {
            status,
            expected: check.expect_status,
        });
    }
    if let Some(want) = &check.body_contains {
        let found = match body {
            Some(b) => String::from_utf8_lossy(&b).contains(want.as_str()),
            None => false,
        };
        if !found {
            return Err(HealthFailure::Body {
                status,
                missing: want.clone(),
            });
        }
    }
    Ok(status)
}

/// A transport error named for what it is: TLS, connection, or other.
fn classify(e: &reqwest::Error) -> HealthFailure {
    let text = error_chain(e);
    let lower = text.to_lowercase();
    if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalid peer")
    {
        HealthFailure::Tls(text)
    } else if e.is_connect() {
        HealthFailure::Connect(text)
    } else {
        HealthFailure::Other(text)
    }
}

/// Checks every endpoint on its own interval until the sink stops listening.
pub fn spawn_health(checks: Vec<HealthCheck>, sink: Sink) -> Vec<tokio::task::AbortHandle> {
    checks
        .into_iter()
        .map(|check| {
            let sink = sink.clone();
            tokio::spawn(async move {
                let client = match client(Duration::from_secs(check.timeout_secs.max(1))) {
                    Ok(c) => c,
                    Err(e) => {
                        sink(HealthSample {
                            name: check.name.clone(),
                            at: Timestamp::now(),
                            latency: None,
                            result: Err(HealthFailure::Other(e)),
                        });
                        return;
                    }
                };
                let interval = Duration::from_secs(check.interval_secs.max(1));
                loop {
                    let sample = check_once(&client, &check).await;
                    if !sink(sample) {
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            })
            .abort_handle()
        })
        .collect()
}
