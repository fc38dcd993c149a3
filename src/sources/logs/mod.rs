//! Pod logs through the kube client: follow one pod or every pod of a selector, with a
//! tail on attach, reconnect from the last timestamp seen (duplicates dropped), new pods
//! joining and gone pods ending with a marker, backoff on errors. Lines are parsed and
//! sanitised here, off the ui task; the ui task only appends. No ratatui here.

pub mod ingest;
pub mod model;
pub mod save;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use futures::AsyncBufReadExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use tokio::task::{AbortHandle, JoinSet};

pub use model::{FollowOptions, FollowRequest, LineKind, LogLine, LogTarget, LogsMsg, ResumePoint};

/// Where the source's messages go; `false` means nobody listens any more (stop).
pub type Sink = std::sync::Arc<dyn Fn(LogsMsg) -> bool + Send + Sync>;

/// Starts following; abort the handles to stop (a new selection does).
pub fn spawn_follow(
    client: kube::Client,
    target: LogTarget,
    opts: FollowOptions,
    stream: u64,
    sink: Sink,
) -> Vec<AbortHandle> {
    let h = tokio::spawn(follow(client, target, opts, stream, sink));
    vec![h.abort_handle()]
}

struct Ctx {
    api: Api<Pod>,
    opts: FollowOptions,
    stream: u64,
    sink: Sink,
}

impl Ctx {
    fn send(&self, msg: LogsMsg) -> bool {
        (self.sink)(msg)
    }
}

/// Follows `target` until aborted: every pod's stream on its own task, joined and left as
/// pods come and go. Aborting this future aborts them all.
pub async fn follow(
    client: kube::Client,
    target: LogTarget,
    opts: FollowOptions,
    stream: u64,
    sink: Sink,
) {
    let api: Api<Pod> = Api::namespaced(client, target.namespace());
    let ctx = std::sync::Arc::new(Ctx {
        api,
        opts,
        stream,
        sink,
    });
    // dropping the set (when this task is aborted) aborts every pod's task
    let mut tasks = JoinSet::new();
    match target {
        LogTarget::Pods { pods, .. } => {
            for pod in pods {
                tasks.spawn(follow_pod(ctx.clone(), pod));
            }
            while tasks.join_next().await.is_some() {}
        }
        LogTarget::Selector { selector, .. } => {
            let mut known: BTreeSet<String> = BTreeSet::new();
            // the pods whose task still runs
            let mut running: HashMap<String, AbortHandle> = HashMap::new();
            let mut backoff = Backoff::new();
            loop {
                match ctx.api.list(&ListParams::default().labels(&selector)).await {
                    Ok(list) => {
                        backoff.reset();
                        while let Some(done) = tasks.try_join_next() {
                            if let Ok(name) = done {
                                running.remove(&name);
                            }
                        }
                        let mut listed: HashSet<String> = HashSet::new();
                        for p in list.items {
                            let Some(name) = p.metadata.name else {
                                continue;
                            };
                            listed.insert(name.clone());
                            if p.metadata.deletion_timestamp.is_some() {
                                continue;
                            }
                            if known.insert(name.clone()) {
                                let h = tasks.spawn(follow_pod(ctx.clone(), name.clone()));
                                running.insert(name, h);
                            }
                        }
                        // the list says these pods are gone: stop following them now,
                        // whatever their task is waiting for
                        let gone: Vec<String> = running
                            .keys()
                            .filter(|n| !listed.contains(*n))
                            .cloned()
                            .collect();
                        for name in gone {
                            if let Some(h) = running.remove(&name) {
                                h.abort();
                            }
                            if !ctx.send(LogsMsg::PodEnded {
                                stream,
                                pod: name,
                                reason: "pod deleted".into(),
                            }) {
                                return;
                            }
                        }
                    }
                    Err(kube::Error::Api(s)) if s.code == 403 => {
                        ctx.forbidden("list", "pods").await;
                        continue;
                    }
                    Err(e) => {
                        log::warn!("logs: listing pods for {selector}: {e}");
                        tokio::time::sleep(backoff.next()).await;
                        continue;
                    }
                }
                tokio::time::sleep(ctx.opts.poll).await;
            }
        }
    }
}

impl Ctx {
    fn api_namespace(&self) -> &str {
        self.api.namespace().unwrap_or("default")
    }

    /// Says on the pod's line what failed and when it is tried again, then waits that long.
    async fn retry_later(&self, pod: &str, what: String, backoff: &mut Backoff) {
        let wait = backoff.next();
        self.send(LogsMsg::Marker {
            stream: self.stream,
            pod: pod.to_owned(),
            text: format!("{what}; retrying in {}s", wait.as_secs_f32()),
            error: true,
        });
        tokio::time::sleep(wait).await;
    }

    /// RBAC refused `verb resource`: say so (which verb, resource and namespace) and wait
    /// before asking again — permissions change slowly.
    async fn forbidden(&self, verb: &str, resource: &str) {
        self.send(LogsMsg::Forbidden {
            stream: self.stream,
            message: rbac_message(verb, resource, self.api_namespace()),
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
}

fn rbac_message(verb: &str, resource: &str, ns: &str) -> String {
    format!(
        "forbidden: RBAC does not allow `{verb} {resource}` in namespace {ns} \
         (check with: kubectl auth can-i {verb} {resource} -n {ns})"
    )
}

/// What a 404 for the log of a pod that still exists means.
pub const UNAVAILABLE_404: &str = "log unavailable (404): container not started yet / log rotated";

/// The longest a pod read or a log attach may take before it is retried.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(8);

struct Backoff(Duration);

impl Backoff {
    fn new() -> Backoff {
        Backoff(Duration::from_millis(500))
    }
    fn reset(&mut self) {
        self.0 = Duration::from_millis(500);
    }
    fn next(&mut self) -> Duration {
        let d = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(30));
        d
    }
}

/// Where a pod's stream got to: the last kubelet timestamp, and the lines seen at it.
pub struct Resume {
    pub last: Option<Timestamp>,
    seen_at_last: HashSet<u64>,
    /// Lines at `last` held from an earlier visit (their bytes unknown here): the first
    /// this many a re-read repeats at `last` are dropped.
    skip_at_last: u32,
    /// Whether the last timestamped line was kept: a line without a kubelet time stamp is
    /// the rest of that record (a message with newlines in it) and goes the same way.
    kept: bool,
}

impl Default for Resume {
    fn default() -> Self {
        Resume {
            last: None,
            seen_at_last: HashSet::new(),
            skip_at_last: 0,
            kept: true,
        }
    }
}

impl Resume {
    /// Resumes where an earlier follow of the pod left it (see [`ResumePoint`]).
    pub fn from_point(p: ResumePoint) -> Resume {
        Resume {
            last: Some(p.time),
            skip_at_last: p.seen,
            ..Resume::default()
        }
    }

    /// Should this raw line be kept? Drops what a `sinceTime` re-read repeats.
    pub fn accept(&mut self, time: Option<Timestamp>, raw: &[u8]) -> bool {
        let Some(t) = time else { return self.kept };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        raw.hash(&mut h);
        let hash = h.finish();
        self.kept = match self.last {
            Some(last) if t < last => false,
            Some(last) if t == last && self.skip_at_last > 0 => {
                self.skip_at_last -= 1;
                self.seen_at_last.insert(hash);
                false
            }
            Some(last) if t == last => self.seen_at_last.insert(hash),
            _ => {
                self.last = Some(t);
                self.seen_at_last.clear();
                self.seen_at_last.insert(hash);
                self.skip_at_last = 0;
                true
            }
        };
        self.kept
    }
}

/// Follows one pod until it is gone; returns its name, for the selector's loop to reap.
async fn follow_pod(ctx: std::sync::Arc<Ctx>, pod: String) -> String {
    follow_one(&ctx, &pod).await;
    pod
}

async fn follow_one(ctx: &Ctx, pod: &str) {
    let stream = ctx.stream;
    let mut backoff = Backoff::new();
    let mut resume = ctx
        .opts
        .resume
        .get(pod)
        .copied()
        .map(Resume::from_point)
        .unwrap_or_default();
    let mut attached_once = false;
    let mut waiting_said = false;
    // the last read ended because the server closed the stream
    let mut closed = false;
    loop {
        // the pod: its containers, or gone
        let got = tokio::time::timeout(ATTACH_TIMEOUT, ctx.api.get_opt(pod)).await;
        let Ok(got) = got else {
            log::warn!("logs: reading pod {pod} timed out; retrying");
            tokio::time::sleep(backoff.next()).await;
            continue;
        };
        let spec = match got {
            Ok(Some(p)) => p,
            Ok(None) => return ctx.ended(pod, "pod deleted"),
            Err(kube::Error::Api(s)) if s.code == 403 => {
                ctx.forbidden("get", "pods").await;
                continue;
            }
            Err(e) => {
                ctx.retry_later(pod, format!("cannot read pod: {e}"), &mut backoff)
                    .await;
                continue;
            }
        };
        let containers: Vec<String> = spec
            .spec
            .as_ref()
            .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        let container = match &ctx.opts.container {
            Some(c) if containers.contains(c) => c.clone(),
            _ => containers.first().cloned().unwrap_or_default(),
        };
        // a pod being deleted (it may sit in Terminating for good, held by a finalizer):
        // once its container has stopped and the server closed the stream, or its log can
        // no longer be attached, it has nothing more to say. Without this, a follower
        // would re-attach to it every 30 s forever.
        let terminating = spec.metadata.deletion_timestamp.is_some();
        if terminating && closed && !is_running(&spec, &container) {
            return ctx.ended(pod, "pod deleted");
        }
        let params = LogParams {
            container: (!container.is_empty()).then(|| container.clone()),
            follow: !ctx.opts.previous,
            previous: ctx.opts.previous,
            timestamps: true,
            tail_lines: if resume.last.is_none() {
                Some(ctx.opts.tail_lines)
            } else {
                None
            },
            // kube rounds sinceTime to the *nearest* second: floor it ourselves, or the
            // lines of the last half second would be skipped; Resume drops the repeats
            since_time: resume
                .last
                .and_then(|t| Timestamp::from_second(t.as_second()).ok()),
            ..LogParams::default()
        };
        // kube has no default read timeout: a request on a dead connection would hang
        let attach = tokio::time::timeout(ATTACH_TIMEOUT, ctx.api.log_stream(pod, &params)).await;
        let Ok(attach) = attach else {
            if terminating {
                return ctx.ended(pod, "pod deleted");
            }
            ctx.retry_later(pod, "attaching timed out".into(), &mut backoff)
                .await;
            continue;
        };
        let reader = match attach {
            Ok(r) => r,
            Err(kube::Error::Api(s)) => {
                match s.code {
                    403 => {
                        ctx.forbidden("get", "pods/log").await;
                    }
                    _ if terminating => return ctx.ended(pod, "pod deleted"),
                    // a 404 for the log can also mean "container not started yet": only
                    // the pod itself being gone (or going) ends the follow
                    404 if ctx.pod_gone(pod).await => return ctx.ended(pod, "pod deleted"),
                    400 if ctx.opts.previous => {
                        return ctx.ended(pod, &format!("no previous container: {}", s.message));
                    }
                    400 | 404 => {
                        // not started yet (ContainerCreating), or its log is gone while
                        // the pod is not: say which, once, and wait
                        if !waiting_said {
                            if s.code == 404 {
                                ctx.send(LogsMsg::Marker {
                                    stream,
                                    pod: pod.to_owned(),
                                    text: format!("{pod}: {UNAVAILABLE_404}"),
                                    error: false,
                                });
                            }
                            ctx.send(LogsMsg::Waiting {
                                stream,
                                pod: pod.to_owned(),
                            });
                            waiting_said = true;
                        }
                        tokio::time::sleep(backoff.next().min(Duration::from_secs(5))).await;
                    }
                    _ => {
                        ctx.retry_later(
                            pod,
                            format!("log stream failed: {} ({})", s.message, s.code),
                            &mut backoff,
                        )
                        .await;
                    }
                }
                continue;
            }
            Err(_) if terminating => return ctx.ended(pod, "pod deleted"),
            Err(e) => {
                ctx.retry_later(pod, format!("log stream failed: {e}"), &mut backoff)
                    .await;
                continue;
            }
        };
        if !ctx.send(LogsMsg::PodJoined {
            stream,
            pod: pod.to_owned(),
            container: container.clone(),
            containers: containers.clone(),
            at: Timestamp::now(),
        }) {
            return;
        }
        if attached_once {
            log::info!("{}", reattached_text(pod, resume.last));
        }
        attached_once = true;
        let result = read_stream(ctx, pod, reader, &mut resume).await;
        if ctx.opts.previous {
            return ctx.ended(pod, "end of the previous container's log");
        }
        closed = matches!(result, Ok(ReadEnd::Eof { .. }));
        match result {
            Ok(ReadEnd::Closed) => return,
            // EOF: an idle cut, a dropped connection, or the pod going away: look again
            Ok(ReadEnd::Eof { got } | ReadEnd::Idle { got }) => {
                if got {
                    backoff.reset();
                }
                tokio::time::sleep(backoff.next().min(Duration::from_secs(2))).await;
            }
            Err(e) => {
                ctx.retry_later(pod, format!("log stream broke: {e}"), &mut backoff)
                    .await;
            }
        }
    }
}

impl Ctx {
    fn ended(&self, pod: &str, reason: &str) {
        self.send(LogsMsg::PodEnded {
            stream: self.stream,
            pod: pod.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// Is the pod gone or being deleted? An error or a timeout is not an answer: no.
    async fn pod_gone(&self, pod: &str) -> bool {
        match tokio::time::timeout(ATTACH_TIMEOUT, self.api.get_opt(pod)).await {
            Ok(Ok(None)) => true,
            Ok(Ok(Some(p))) => p.metadata.deletion_timestamp.is_some(),
            _ => false,
        }
    }
}

/// Is this container of the pod running now (per its status)?
fn is_running(pod: &Pod, container: &str) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.name == container && c.state.as_ref().is_some_and(|s| s.running.is_some())
            })
        })
}

/// The console log's line for a re-attach, in words and local time.
pub fn reattached_text(pod: &str, last: Option<Timestamp>) -> String {
    match last {
        Some(t) => format!(
            "logs: {pod} re-attached, resuming from {}",
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
        ),
        None => format!("logs: {pod} re-attached; nothing had arrived before, so from the tail"),
    }
}

/// How a read of a pod's stream ended.
#[derive(Debug)]
enum ReadEnd {
    /// The server closed it: the container stopped, the connection dropped or was cut.
    Eof { got: bool },
    /// Silent for `idle_reattach`: re-attached in case the connection is half-open.
    Idle { got: bool },
    /// Nobody listens any more.
    Closed,
}

/// Reads lines until EOF, sending them in batches. A line longer than the cap is cut while
/// reading, so memory stays bounded; `got` says whether anything arrived.
async fn read_stream(
    ctx: &Ctx,
    pod: &str,
    reader: impl futures::AsyncBufRead,
    resume: &mut Resume,
) -> std::io::Result<ReadEnd> {
    let mut reader = std::pin::pin!(reader);
    let mut line: Vec<u8> = Vec::new();
    let mut overflow = 0usize;
    let mut got = false;
    loop {
        let chunk = if ctx.opts.previous {
            reader.fill_buf().await?
        } else {
            match tokio::time::timeout(ctx.opts.idle_reattach, reader.fill_buf()).await {
                Ok(r) => r?,
                // silent too long: end this read, the caller re-attaches with sinceTime
                Err(_) => return Ok(ReadEnd::Idle { got }),
            }
        };
        if chunk.is_empty() {
            return Ok(ReadEnd::Eof { got });
        }
        let mut batch: Vec<LogLine> = Vec::new();
        let mut rest = chunk;
        let consumed = chunk.len();
        while !rest.is_empty() {
            match rest.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    push_capped(&mut line, &rest[..i], &mut overflow);
                    rest = &rest[i + 1..];
                    let (time, _) = ingest::split_timestamp(&line);
                    if resume.accept(time, &line) {
                        // the one place a long line gets its truncation marker
                        let parsed = ingest::parse_line_cut(&line, overflow);
                        match batch.last_mut() {
                            // no kubelet time stamp: the rest of the record before it (a
                            // message with newlines, a stack trace written in one go)
                            Some(head) if time.is_none() => {
                                head.cont.push(parsed.message);
                            }
                            _ => batch.push(parsed),
                        }
                    }
                    line.clear();
                    overflow = 0;
                }
                None => {
                    push_capped(&mut line, rest, &mut overflow);
                    rest = &[];
                }
            }
        }
        reader.consume_unpin(consumed);
        if !batch.is_empty() {
            got = true;
            if !ctx.send(LogsMsg::Lines {
                stream: ctx.stream,
                pod: pod.to_owned(),
                lines: batch,
                at: Timestamp::now(),
            }) {
                return Ok(ReadEnd::Closed);
            }
        }
    }
}

fn push_capped(line: &mut Vec<u8>, bytes: &[u8], overflow: &mut usize) {
    // the timestamp prefix rides on top of the cap
    let cap = ingest::MAX_LINE + 64;
    let room = cap.saturating_sub(line.len());
    let take = room.min(bytes.len());
    line.extend_from_slice(&bytes[..take]);
    *overflow += bytes.len() - take;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_drops_repeats() {
        let mut r = Resume::default();
        let t1: Timestamp = "2026-01-01T00:00:01.5Z".parse().unwrap_or_default();
        let t0: Timestamp = "2026-01-01T00:00:01Z".parse().unwrap_or_default();
        assert!(r.accept(Some(t1), b"a"));
        assert!(!r.accept(Some(t0), b"older"));
        assert!(!r.accept(Some(t1), b"a"));
        assert!(r.accept(Some(t1), b"b"));
        assert!(r.accept(None, b"no time"));
        // the rest of a dropped record is dropped with it
        assert!(!r.accept(Some(t1), b"a"));
        assert!(!r.accept(None, b"its second line"));
    }

    #[test]
    fn a_resume_point_skips_the_lines_already_held() {
        let t1: Timestamp = "2026-01-01T00:00:01.5Z".parse().unwrap_or_default();
        let t2: Timestamp = "2026-01-01T00:00:02Z".parse().unwrap_or_default();
        let mut r = Resume::from_point(ResumePoint { time: t1, seen: 2 });
        assert!(!r.accept(Some(t1), b"held 1"));
        assert!(!r.accept(None, b"  its continuation"));
        assert!(!r.accept(Some(t1), b"held 2"));
        assert!(r.accept(Some(t1), b"new at the same time"));
        assert!(r.accept(None, b"  its continuation"));
        assert!(r.accept(Some(t2), b"later"));
    }

    #[test]
    fn a_reattach_is_said_in_words() {
        let t: Timestamp = "2026-01-01T12:43:07.25Z".parse().unwrap_or_default();
        let text = reattached_text("cart-1", Some(t));
        let local = t
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%H:%M:%S")
            .to_string();
        assert_eq!(
            text,
            format!("logs: cart-1 re-attached, resuming from {local}")
        );
        assert!(!text.contains("Some(") && !text.contains('Z'), "{text}");
        let text = reattached_text("cart-1", None);
        assert!(!text.contains("None"), "{text}");
    }
}
