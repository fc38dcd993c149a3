//! The PromQL templates API mode asks with, and how `$service` and `$window` are filled in.

/// The seed's queries, per service. `$service` is replaced by the service name, `$window`
/// by `[metrics] window` (the rate window, default 5m).
pub const DEFAULT_ERROR_RATIO: &str = crate::config::DEFAULT_ERROR_RATIO;
pub const DEFAULT_REQUEST_RATE: &str =
    r#"sum(rate(http_requests_total{service="$service"}[$window]))"#;
pub const DEFAULT_LATENCY_P95: &str = crate::config::DEFAULT_LATENCY_P95;

/// PromQL templates; `$service` is substituted (quoted for a PromQL string), and `$window`
/// by [`Queries::window`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queries {
    pub error_ratio: String,
    pub request_rate: String,
    pub latency_p95: String,
    /// The rate window, a Prometheus duration (`[metrics] window`).
    pub window: String,
    /// The environment's label matchers (`[[environment]] metrics_labels`), as
    /// `namespace="shop-staging"` pairs: added beside each `"$service"` matcher of the
    /// templates and to the per-revision query, so a service is asked for in its
    /// environment only.
    pub matchers: Vec<(String, String)>,
}

impl Default for Queries {
    fn default() -> Self {
        Self {
            error_ratio: DEFAULT_ERROR_RATIO.to_owned(),
            request_rate: DEFAULT_REQUEST_RATE.to_owned(),
            latency_p95: DEFAULT_LATENCY_P95.to_owned(),
            window: crate::config::DEFAULT_RATE_WINDOW.to_owned(),
            matchers: Vec::new(),
        }
    }
}

impl Queries {
    pub fn for_service(template: &str, service: &str) -> String {
        let quoted = service.replace('\\', "\\\\").replace('"', "\\\"");
        template.replace("$service", &quoted)
    }

    /// `template` for `service` with `$window` as this rate window, and the environment's
    /// matchers beside each `"$service"`.
    pub fn expand(&self, template: &str, service: &str) -> String {
        let template = template.replace("$window", &self.window);
        let template = match self.extra_matchers() {
            extra if extra.is_empty() => template,
            extra => template.replace("\"$service\"", &format!("\"$service\"{extra}")),
        };
        Self::for_service(&template, service)
    }

    /// `,namespace="shop-staging"` for each of [`Queries::matchers`] (empty without), the
    /// values quoted for a PromQL string.
    pub fn extra_matchers(&self) -> String {
        self.matchers
            .iter()
            .map(|(k, v)| format!(",{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect()
    }

    /// The rate window in milliseconds (5 minutes when it cannot be read).
    pub fn window_ms(&self) -> i64 {
        crate::config::parse_rate_window(&self.window)
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .unwrap_or(5 * 60_000)
    }
}
