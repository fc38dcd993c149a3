//! The health source's plain data: one check's result ([`HealthSample`]).

use std::time::Duration;

use jiff::Timestamp;

/// One check of one `[[health]]` endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSample {
    /// The `[[health]]` name.
    pub name: String,
    pub at: Timestamp,
    /// From sending the request to the end of the body (none after a timeout).
    pub latency: Option<Duration>,
    pub result: Result<u16, HealthFailure>,
}

/// Why a check failed, named as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthFailure {
    /// Answered, but not with the expected status.
    Status { status: u16, expected: u16 },
    /// A redirect (never followed: a health endpoint that redirects is misconfigured, or
    /// a login page answers instead of the service).
    Redirect { status: u16, location: String },
    /// The expected status, but the body lacks the configured text.
    Body { status: u16, missing: String },
    /// No answer within the timeout.
    Timeout { secs: u64 },
    /// The TLS handshake or certificate failed.
    Tls(String),
    /// No connection (refused, DNS, unreachable).
    Connect(String),
    /// Anything else (the body broke off …).
    Other(String),
}

impl HealthFailure {
    /// The last status the endpoint answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HealthFailure::Status { status, .. }
            | HealthFailure::Redirect { status, .. }
            | HealthFailure::Body { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl std::fmt::Display for HealthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HealthFailure::Status { status, expected } => {
                write!(f, "HTTP {status} (expected {expected})")
            }
            HealthFailure::Redirect { status, location } => {
                write!(f, "redirect: HTTP {status} to {location} (not followed)")
            }
            HealthFailure::Body { status, missing } => {
                write!(f, "HTTP {status} but the body lacks `{missing}`")
            }
            HealthFailure::Timeout { secs } => write!(f, "timeout: no answer in {secs}s"),
            HealthFailure::Tls(e) => write!(f, "TLS error: {e}"),
            HealthFailure::Connect(e) => write!(f, "cannot connect: {e}"),
            HealthFailure::Other(e) => write!(f, "{e}"),
        }
    }
}
