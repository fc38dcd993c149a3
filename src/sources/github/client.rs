//! The REST client: required headers, the token (never printed), conditional requests with
//! ETags, rate-limit bookkeeping and `link` paging.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::model::ApiMessage;
pub use super::model::{RateInfo, RequestCounts};

pub const API_VERSION: &str = "2022-11-28";
pub const USER_AGENT: &str = concat!("flightdeck/", env!("CARGO_PKG_VERSION"));
const TIMEOUT: Duration = Duration::from_secs(15);
/// Safety cap on `link` paging.
const MAX_PAGES: usize = 10;

pub use crate::secret::Token;

/// The `Authorization` header for a token, marked sensitive so it never reaches a log.
fn auth_header(token: &Token) -> Option<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
    v.set_sensitive(true);
    Some(v)
}

/// Where the token came from, for the pane's hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Env(String),
    GhCli,
    None,
}

/// How long `gh auth token` may take (it can hang on a keyring prompt).
pub const GH_TIMEOUT: Duration = Duration::from_secs(5);

/// The token from the env var named in config, else `gh auth token` when `gh` is installed.
/// `gh` runs in a process group of its own, bounded by [`GH_TIMEOUT`]: past it, or when the
/// caller stops waiting (the console quits), the whole group is killed and nothing of it
/// is left waiting — no thread of ours blocks on it.
pub async fn resolve_token(env_var: &str) -> (Option<Token>, TokenSource) {
    if let Some(t) = std::env::var(env_var).ok().and_then(Token::new) {
        return (Some(t), TokenSource::Env(env_var.to_owned()));
    }
    if let Some(t) = gh_auth_token(GH_TIMEOUT).await {
        return (Some(t), TokenSource::GhCli);
    }
    (None, TokenSource::None)
}

async fn gh_auth_token(bound: Duration) -> Option<Token> {
    let child = tokio::process::Command::new("gh")
        .args(["auth", "token"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    // kill_on_drop ends only `gh` itself; this ends what it started (a keyring helper)
    let mut group = crate::sources::group::KillOnDrop::new(&child);
    let out = tokio::time::timeout(bound, child.wait_with_output())
        .await
        .ok()?
        .ok()?;
    group.disarm();
    if !out.status.success() {
        return None;
    }
    Token::new(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GhError {
    /// Rate limited: nothing is sent before `until`.
    #[error("GitHub rate limit reached; waiting until {until}")]
    RateLimited { until: Timestamp },
    #[error("{repo}: GitHub rejected the credentials (401): {message}. {hint}")]
    Unauthorized {
        repo: String,
        message: String,
        hint: String,
    },
    #[error("{repo}: forbidden (403): {message}. {hint}")]
    Forbidden {
        repo: String,
        message: String,
        hint: String,
    },
    #[error("{repo}: not found (404) at {path}. {hint}")]
    NotFound {
        repo: String,
        path: String,
        hint: String,
    },
    /// Any other 4xx; `message` is GitHub's own (422 on a refused approval, 409 …).
    #[error("GitHub answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("GitHub server error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("cannot reach GitHub: {0}")]
    Transport(String),
    #[error("malformed JSON from GitHub ({path}): {error}")]
    Decode { path: String, error: String },
}

impl GhError {
    /// Worth retrying later with backoff (the data shown goes stale meanwhile).
    pub fn is_transient(&self) -> bool {
        matches!(self, GhError::Server { .. } | GhError::Transport(_))
    }
}

/// A GET answer: `changed` is false when GitHub said 304 and the cached body was reused.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    pub value: T,
    pub changed: bool,
}

struct CacheEntry {
    etag: String,
    body: Vec<u8>,
    link_next: Option<String>,
}

pub struct GithubClient {
    http: reqwest::Client,
    api_url: String,
    repo: String,
    token: Option<Token>,
    cache: HashMap<String, CacheEntry>,
    blocked_until: Option<Timestamp>,
    pub rate: RateInfo,
    pub counts: RequestCounts,
}

impl fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubClient")
            .field("api_url", &self.api_url)
            .field("repo", &self.repo)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl GithubClient {
    pub fn new(api_url: &str, repo: &str, token: Option<Token>) -> Result<GithubClient, GhError> {
        if token.as_ref().is_some_and(|t| auth_header(t).is_none()) {
            // never fall back to anonymous silently
            return Err(GhError::Transport(
                "the GitHub token holds characters an HTTP header cannot carry; check the token variable".into(),
            ));
        }
        // reqwest is built without a default provider and wants one even for plain http
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "X-GitHub-Api-Version",
            HeaderValue::from_static(API_VERSION),
        );
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| GhError::Transport(e.to_string()))?;
        Ok(GithubClient {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            repo: repo.to_owned(),
            token,
            cache: HashMap::new(),
            blocked_until: None,
            rate: RateInfo::default(),
            counts: RequestCounts::default(),
        })
    }

    pub fn repo(&self) -> &str {
        &self.repo
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn blocked_until(&self) -> Option<Timestamp> {
        self.blocked_until
    }

    /// The token's login (`GET /user`), for the audit log.
    pub async fn login(&mut self) -> Result<String, GhError> {
        #[derive(serde::Deserialize)]
        struct User {
            login: String,
        }
        let url = format!("{}/user", self.api_url);
        Ok(self.get::<User>(&url).await?.value.login)
    }

    /// `/repos/{owner}/{name}{rest}` under the API base.
    pub fn repo_url(&self, rest: &str) -> String {
        format!("{}/repos/{}{}", self.api_url, self.repo, rest)
    }

    fn check_rate(&mut self) -> Result<(), GhError> {
        if let Some(until) = self.blocked_until {
            if Timestamp::now() < until {
                return Err(GhError::RateLimited { until });
            }
            self.blocked_until = None;
        }
        Ok(())
    }

    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, url);
        if let Some(h) = self.token.as_ref().and_then(auth_header) {
            rb = rb.header(header::AUTHORIZATION, h);
        }
        rb
    }

    fn note_rate(&mut self, h: &HeaderMap, status: StatusCode) {
        let num = |k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let limit = num("x-ratelimit-limit");
        let remaining = num("x-ratelimit-remaining");
        let reset = num("x-ratelimit-reset")
            .and_then(|s| i64::try_from(s).ok())
            .and_then(|s| Timestamp::from_second(s).ok());
        if limit.is_some() || remaining.is_some() || reset.is_some() {
            self.rate = RateInfo {
                limit,
                remaining,
                reset,
            };
        }
        let retry_after = num("retry-after");
        let now = Timestamp::now();
        let limited_status =
            status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS;
        let until = if let Some(secs) = retry_after {
            Some(now + Duration::from_secs(secs.min(3600)))
        } else if remaining == Some(0) {
            // wait until the reset; if GitHub sent none, back off a minute
            Some(
                reset
                    .filter(|r| *r > now)
                    .unwrap_or(now + Duration::from_secs(60)),
            )
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            Some(now + Duration::from_secs(60))
        } else {
            None
        };
        if let Some(u) = until
            && (limited_status || remaining == Some(0))
        {
            self.blocked_until = Some(self.blocked_until.map_or(u, |b| b.max(u)));
        }
    }

    /// The error for a refused request, its hint worded by what was refused: a write
    /// (re-run, cancel, review) refused is a permission the token lacks for writing; a read
    /// refused names the read permission; a 404 blames `[github] repo`/`api_url` only for
    /// the repository's own lists, not for one run or deployment that is gone.
    fn error_for(&self, status: StatusCode, path: &str, body: &[u8], write: bool) -> GhError {
        // a server (or a proxy in front of it) may echo the credentials it was sent: they
        // are cut out before the message is shortened, so no part of the token survives
        let message = serde_json::from_slice::<ApiMessage>(body)
            .ok()
            .and_then(|m| m.message)
            .map(|m| self.redact(&m))
            .unwrap_or_else(|| {
                self.redact(&String::from_utf8_lossy(body))
                    .chars()
                    .take(200)
                    .collect()
            });
        let message = crate::text::sanitize(&message);
        let repo = self.repo.clone();
        let auth = if self.token.is_some() {
            "the token"
        } else {
            "anonymous access (no token)"
        };
        match status.as_u16() {
            401 => GhError::Unauthorized {
                repo,
                message,
                hint: "set GITHUB_TOKEN (or `token_env`) to a valid token, or run `gh auth login`"
                    .into(),
            },
            403 if write => GhError::Forbidden {
                repo,
                message,
                hint: format!(
                    "{auth} may read but not do this: it lacks write permission (re-run and cancel need actions:write, classic `repo` scope, and write access to the repository; approving needs a required reviewer of the environment)"
                ),
            },
            403 => GhError::Forbidden {
                repo,
                message,
                hint: format!("{auth} needs read access: {}", read_permission(path)),
            },
            404 if repo_level(path, &self.repo) => GhError::NotFound {
                repo,
                path: path.to_owned(),
                hint: format!(
                    "check [github] repo and api_url; a private repo answers 404 to {auth} without the `repo` scope (fine-grained: actions:read)"
                ),
            },
            404 => GhError::NotFound {
                repo,
                path: path.to_owned(),
                hint: "it is gone (deleted or expired) or hidden from this token; only what it feeds is left out".into(),
            },
            s @ 500..=599 => GhError::Server { status: s, message },
            s => GhError::Refused { status: s, message },
        }
    }

    /// `text` with every occurrence of the token replaced by `<redacted>`, and anything
    /// else that looks like a credential too (`secret::redact`).
    fn redact(&self, text: &str) -> String {
        let own = match &self.token {
            Some(t) if !t.expose().is_empty() => text.replace(t.expose(), "<redacted>"),
            _ => text.to_owned(),
        };
        crate::secret::redact(&own).into_owned()
    }

    fn path_of<'a>(&self, url: &'a str) -> &'a str {
        url.strip_prefix(&self.api_url).unwrap_or(url)
    }

    /// One conditional GET of an absolute URL: the body and the `link` next page.
    async fn get_raw(&mut self, url: &str) -> Result<(Vec<u8>, Option<String>, bool), GhError> {
        self.check_rate()?;
        let mut rb = self.request(Method::GET, url);
        if let Some(c) = self.cache.get(url) {
            rb = rb.header(header::IF_NONE_MATCH, c.etag.clone());
        }
        self.counts.sent += 1;
        let resp = rb.send().await.map_err(|e| transport(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        self.note_rate(&headers, status);
        if status == StatusCode::NOT_MODIFIED {
            self.counts.not_modified += 1;
            if let Some(c) = self.cache.get(url) {
                return Ok((c.body.clone(), c.link_next.clone(), false));
            }
            return Err(GhError::Refused {
                status: 304,
                message: "304 for a request we had no cached body for".into(),
            });
        }
        let body = resp.bytes().await.map_err(|e| transport(&e))?.to_vec();
        if !status.is_success() {
            if let Some(until) = self.blocked_until
                && (status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS)
            {
                return Err(GhError::RateLimited { until });
            }
            return Err(self.error_for(status, self.path_of(url), &body, false));
        }
        let next = headers
            .get(header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        if let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
            self.cache.insert(
                url.to_owned(),
                CacheEntry {
                    etag: etag.to_owned(),
                    body: body.clone(),
                    link_next: next.clone(),
                },
            );
        }
        Ok((body, next, true))
    }

    /// Drops cached bodies whose URL `keep` rejects (runs and deployments no longer listed),
    /// so a console left running for weeks does not grow.
    pub fn retain_cache(&mut self, keep: impl Fn(&str) -> bool) {
        self.cache.retain(|url, _| keep(url));
    }

    /// A conditional GET of `url`, decoded.
    pub async fn get<T: DeserializeOwned>(&mut self, url: &str) -> Result<Fetched<T>, GhError> {
        let (body, _, changed) = self.get_raw(url).await?;
        let value = decode(self.path_of(url), &body)?;
        Ok(Fetched { value, changed })
    }

    /// One conditional GET of `url`, decoded, with its `link` next page.
    pub async fn get_page<T: DeserializeOwned>(
        &mut self,
        url: &str,
    ) -> Result<(T, Option<String>), GhError> {
        let (body, next, _) = self.get_raw(url).await?;
        Ok((decode(self.path_of(url), &body)?, next))
    }

    /// GET every page by following `link: <…>; rel="next"` (at most `MAX_PAGES`), each page
    /// conditional; `items` picks the array out of a page.
    pub async fn get_pages<P: DeserializeOwned, T>(
        &mut self,
        url: &str,
        max_pages: usize,
        items: impl Fn(P) -> Vec<T>,
    ) -> Result<Fetched<Vec<T>>, GhError> {
        let mut out = Vec::new();
        let mut changed = false;
        let mut next = Some(url.to_owned());
        let mut pages = 0;
        while let Some(u) = next.take() {
            let (body, link_next, c) = self.get_raw(&u).await?;
            changed |= c;
            let page: P = decode(self.path_of(&u), &body)?;
            out.extend(items(page));
            pages += 1;
            if pages < max_pages.min(MAX_PAGES) {
                next = link_next;
            }
        }
        Ok(Fetched {
            value: out,
            changed,
        })
    }

    /// A POST; answers GitHub's own message on refusal.
    pub async fn post(
        &mut self,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, GhError> {
        self.check_rate()?;
        let mut rb = self.request(Method::POST, url);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        self.counts.sent += 1;
        let resp = rb.send().await.map_err(|e| transport(&e))?;
        let status = resp.status();
        self.note_rate(resp.headers(), status);
        let bytes = resp.bytes().await.map_err(|e| transport(&e))?.to_vec();
        if status.is_success() {
            Ok(bytes)
        } else {
            Err(self.error_for(status, self.path_of(url), &bytes, true))
        }
    }
}

/// A request for the repository's own lists (runs, deployments, environments), whose 404
/// means the repository itself is not there or not visible.
fn repo_level(path: &str, repo: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let Some(rest) = path.strip_prefix(&format!("/repos/{repo}")) else {
        return false;
    };
    matches!(
        rest,
        "" | "/" | "/actions/runs" | "/deployments" | "/environments"
    )
}

/// The permission a read of `path` needs, for a 403's hint.
fn read_permission(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or(path);
    if path.ends_with("/environments") {
        "listing environments (classic: `repo` scope; fine-grained: environments:read, or actions:read on some plans)"
    } else if path.contains("/deployments") {
        "deployments (classic: `repo` scope; fine-grained: deployments:read)"
    } else {
        "Actions (classic: `repo` scope; fine-grained: actions:read)"
    }
}

fn transport(e: &reqwest::Error) -> GhError {
    // reqwest's Display names the URL, never headers: the token stays out of it
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let url = e
        .url()
        .map(|u| format!(" ({}{})", u.host_str().unwrap_or(""), u.path()))
        .unwrap_or_default();
    GhError::Transport(format!("{kind}{url}"))
}

fn decode<T: DeserializeOwned>(path: &str, body: &[u8]) -> Result<T, GhError> {
    serde_json::from_slice(body).map_err(|e| GhError::Decode {
        path: path.to_owned(),
        error: e.to_string(),
    })
}

/// The `rel="next"` target of a `link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found() {
        let l = r#"<http://x/a?page=1>; rel="prev", <http://x/a?page=3>; rel="next", <http://x/a?page=9>; rel="last""#;
        assert_eq!(next_link(l).as_deref(), Some("http://x/a?page=3"));
        assert_eq!(next_link(r#"<http://x/a?page=1>; rel="prev""#), None);
    }
}
