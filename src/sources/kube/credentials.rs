//! One credential per kubeconfig user: an exec plugin (`users[].user.exec`,
//! client.authentication.k8s.io) is run once, and again only when its
//! `expirationTimestamp` nears or the API server answers 401 (then once, whoever asked).
//!
//! kube runs the plugin itself while building each client (three times: TLS identity,
//! expiry, auth layer) and keeps its token per client, so the console, which builds a
//! client per source and per operation, ran it about twelve times at start, and never
//! again on a 401. Here every client built for the same plugin configuration shares one
//! [`ExecCredentials`] (a process-wide registry), and a layer on each client puts its
//! token on every request.
//!
//! `interactiveMode` is respected the way a console can: the plugin never gets the
//! terminal (the console owns it), so a plugin that must have one (`Always`) is not run
//! and the error says so; `IfAvailable` runs without one (told so in
//! `KUBERNETES_EXEC_INFO`, as kubectl does when stdin is not a terminal).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response, StatusCode};
use jiff::{SignedDuration, Timestamp};
use kube::config::{ExecConfig, ExecInteractiveMode};
use tower::{BoxError, Service};

/// The most of a token's lifetime kept back before its expiry: it is renewed this much
/// (or a tenth of its lifetime, if less) before `expirationTimestamp`.
const RENEW_AHEAD: SignedDuration = SignedDuration::from_secs(30);

/// What a plugin answered.
pub enum Credential {
    Token,
    /// A client certificate and key (PEM); kube puts them in the TLS identity.
    Certificate,
}

/// The shared credential of one plugin configuration.
pub struct ExecCredentials {
    exec: ExecConfig,
    state: tokio::sync::Mutex<Cached>,
    runs: AtomicU64,
}

#[derive(Default)]
struct Cached {
    token: Option<String>,
    /// Renew at (expiry less the margin); `None`: never expires.
    renew_at: Option<Timestamp>,
    certificate: bool,
    /// Bumped on every run: a 401 drops the token only if it is the one it was sent with.
    generation: u64,
}

static REGISTRY: LazyLock<std::sync::Mutex<HashMap<String, Arc<ExecCredentials>>>> =
    LazyLock::new(Default::default);

/// The shared credentials of `exec` (the same command, arguments, environment and
/// cluster information give the same credentials).
pub fn for_plugin(exec: &ExecConfig) -> Arc<ExecCredentials> {
    let key = serde_json::to_string(exec).unwrap_or_default();
    let mut map = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(key)
        .or_insert_with(|| {
            Arc::new(ExecCredentials {
                exec: exec.clone(),
                state: tokio::sync::Mutex::new(Cached::default()),
                runs: AtomicU64::new(0),
            })
        })
        .clone()
}

impl ExecCredentials {
    /// How many times the plugin was started.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Makes sure a credential is there (runs the plugin if needed) and says which kind.
    pub async fn ensure(&self) -> Result<Credential, String> {
        let mut cached = self.state.lock().await;
        self.refresh_if_needed(&mut cached).await?;
        Ok(if cached.certificate {
            Credential::Certificate
        } else {
            Credential::Token
        })
    }

    /// The `Authorization` value to send, and the generation it belongs to.
    async fn header(&self) -> Result<(Option<HeaderValue>, u64), String> {
        let mut cached = self.state.lock().await;
        self.refresh_if_needed(&mut cached).await?;
        let value = match &cached.token {
            Some(t) => Some(
                HeaderValue::from_str(&format!("Bearer {t}"))
                    .map(|mut v| {
                        v.set_sensitive(true);
                        v
                    })
                    .map_err(|_| {
                        "the credential plugin's token is not a valid header".to_owned()
                    })?,
            ),
            None => None,
        };
        Ok((value, cached.generation))
    }

    /// A request sent with `generation`'s token was answered 401: the next request runs
    /// the plugin (once, however many requests were refused with that token).
    async fn rejected(&self, generation: u64) {
        let mut cached = self.state.lock().await;
        if cached.generation == generation {
            cached.token = None;
            cached.renew_at = Some(Timestamp::MIN);
        }
    }

    async fn refresh_if_needed(&self, cached: &mut Cached) -> Result<(), String> {
        let fresh = cached.generation > 0 && cached.renew_at.is_none_or(|at| Timestamp::now() < at);
        if fresh {
            return Ok(());
        }
        let exec = self.exec.clone();
        self.runs.fetch_add(1, Ordering::Relaxed);
        let out = tokio::task::spawn_blocking(move || run_plugin(&exec))
            .await
            .map_err(|e| format!("the credential plugin did not finish: {e}"))??;
        cached.generation += 1;
        cached.certificate = out.certificate;
        cached.token = out.token;
        cached.renew_at = out.expires.map(|exp| {
            let left = exp.duration_since(Timestamp::now());
            let margin = RENEW_AHEAD.min(left / 10).max(SignedDuration::ZERO);
            exp - margin
        });
        Ok(())
    }
}

struct PluginOutput {
    token: Option<String>,
    expires: Option<Timestamp>,
    certificate: bool,
}

#[derive(serde::Deserialize)]
struct ExecCredential {
    status: Option<ExecStatus>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecStatus {
    token: Option<String>,
    expiration_timestamp: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// The plugin's name for messages: its command's file name.
fn plugin_name(exec: &ExecConfig) -> String {
    let cmd = exec.command.as_deref().unwrap_or("(no command)");
    std::path::Path::new(cmd)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| cmd.to_owned())
}

fn run_plugin(exec: &ExecConfig) -> Result<PluginOutput, String> {
    let name = plugin_name(exec);
    let Some(command) = exec.command.as_deref().filter(|c| !c.is_empty()) else {
        return Err("the kubeconfig's exec credential plugin has no command".to_owned());
    };
    if exec.interactive_mode == Some(ExecInteractiveMode::Always) {
        return Err(format!(
            "credential plugin {name} needs a terminal (interactiveMode: Always), and the console \
             keeps the terminal for itself: log in with it in a shell first (e.g. `kubectl version`), \
             or set interactiveMode: IfAvailable if it can run without one"
        ));
    }
    let mut cmd = std::process::Command::new(command);
    if let Some(args) = &exec.args {
        cmd.args(args);
    }
    for env in exec.env.iter().flatten() {
        if let (Some(n), Some(v)) = (env.get("name"), env.get("value")) {
            cmd.env(n, v);
        }
    }
    for n in exec.drop_env.iter().flatten() {
        cmd.env_remove(n);
    }
    let mut spec = serde_json::json!({ "interactive": false });
    if exec.provide_cluster_info
        && let Some(cluster) = &exec.cluster
    {
        spec["cluster"] = serde_json::to_value(cluster).unwrap_or_default();
    }
    let info = serde_json::json!({
        "apiVersion": exec.api_version.as_deref().unwrap_or("client.authentication.k8s.io/v1"),
        "kind": "ExecCredential",
        "spec": spec,
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string());
    cmd.stdin(std::process::Stdio::null());
    let out = cmd.output().map_err(|e| {
        let hint = exec
            .install_hint
            .as_deref()
            .map(|h| format!(" ({})", h.trim()))
            .unwrap_or_default();
        format!("cannot run credential plugin {command}: {e}{hint}")
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let tail = said[said.len().saturating_sub(3)..].join(" / ");
        let status = out
            .status
            .code()
            .map(|c| format!("exit status {c}"))
            .unwrap_or_else(|| "killed by a signal".to_owned());
        let text = if tail.is_empty() {
            format!("credential plugin {name} failed ({status})")
        } else {
            format!("credential plugin {name} failed ({status}): {tail}")
        };
        return Err(crate::text::sanitize(&crate::secret::redact(&text)));
    }
    let cred: ExecCredential = serde_saphyr::from_slice(&out.stdout).map_err(|_| {
        format!("credential plugin {name} printed no ExecCredential (JSON) on its standard output")
    })?;
    let Some(status) = cred.status else {
        return Err(format!(
            "credential plugin {name}'s ExecCredential has no status"
        ));
    };
    let expires = match status.expiration_timestamp.as_deref() {
        Some(ts) => Some(ts.parse::<Timestamp>().map_err(|_| {
            format!(
                "credential plugin {name} gave an expirationTimestamp that is not RFC 3339: {ts}"
            )
        })?),
        None => None,
    };
    let certificate = status.client_certificate_data.is_some() && status.client_key_data.is_some();
    if status.token.is_none() && !certificate {
        return Err(format!(
            "credential plugin {name} gave neither a token nor a client certificate and key"
        ));
    }
    Ok(PluginOutput {
        token: status.token.filter(|_| !certificate),
        expires,
        certificate,
    })
}

/// The layer that puts the shared credential's token on each request.
#[derive(Clone)]
pub struct ExecAuthLayer(pub Arc<ExecCredentials>);

impl<S> tower::Layer<S> for ExecAuthLayer
where
    S: Service<Request<kube::client::Body>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError> + Send + Sync + 'static,
    S::Response: Send + 'static,
{
    type Service = ExecAuth<tower::buffer::Buffer<Request<kube::client::Body>, S::Future>>;

    fn layer(&self, inner: S) -> Self::Service {
        ExecAuth {
            inner: tower::buffer::Buffer::new(inner, 1024),
            creds: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ExecAuth<S> {
    inner: S,
    creds: Arc<ExecCredentials>,
}

impl<S, B> Service<Request<kube::client::Body>> for ExecAuth<S>
where
    S: Service<Request<kube::client::Body>, Response = Response<B>, Error = BoxError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<B>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<kube::client::Body>) -> Self::Future {
        // the ready service answers this request; its clone waits for the next poll_ready
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let creds = self.creds.clone();
        Box::pin(async move {
            let (value, generation) = creds.header().await.map_err(BoxError::from)?;
            if let Some(v) = value {
                req.headers_mut().insert(http::header::AUTHORIZATION, v);
            }
            let response = inner.call(req).await?;
            if response.status() == StatusCode::UNAUTHORIZED {
                creds.rejected(generation).await;
            }
            Ok(response)
        })
    }
}
