//! The run loop: one tokio task owns State, merges terminal input, source events and
//! effect results, and draws only when something visible changed — at most ~30 frames/s
//! after input, 5/s while only data comes.

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::app::event::{Effect, Event};
use crate::app::state::{Overlay, State};
use crate::app::update::{self, update};
use crate::term;

/// After a key, a resize or an answer to the user: the next frame within this.
const FRAME: Duration = Duration::from_millis(33);
/// After only new data from the sources (watch events, log lines, samples): the next frame
/// no sooner than this after the last. Data after a quiet spell is drawn at once (the
/// last frame is long past); a cluster or a log that changes all the time is drawn five
/// times a second instead of thirty, which is most of what a watch event cost under churn.
pub const DATA_FRAME: Duration = Duration::from_millis(200);
/// Events applied before a frame is considered: bursts are folded into one draw.
const BATCH: usize = 512;

pub type Sender = mpsc::UnboundedSender<Event>;

/// Something that starts sources for a scope generation: the console's wiring passes the
/// real one; `run` calls it at start and whenever the scope changes.
pub trait Sources {
    fn start(&mut self, state: &State, tx: &Sender);

    /// Follow pod logs for the logs pane (replacing the previous follow); the console's
    /// wiring runs `sources::logs::follow`.
    fn follow_logs(&mut self, req: crate::sources::logs::FollowRequest, _tx: &Sender) {
        log::warn!(
            "logs: no log source wired; cannot follow {}",
            req.target.label()
        );
    }

    /// Stop the logs pane's follow (the scope it belonged to was left).
    fn stop_logs(&mut self) {}

    /// List and watch one resource's table for the generic view (replacing the one
    /// watched before); the answers are `Event::Table`.
    fn watch_table(&mut self, req: crate::sources::kube::model::TableRequest, _tx: &Sender) {
        log::warn!(
            "no cluster source wired; cannot list {}",
            req.resource.label()
        );
    }

    /// Stop the generic view's watch.
    fn stop_table(&mut self) {}

    /// Run discovery again now.
    fn rediscover(&mut self) {}

    /// GET one object for the Workloads pane's YAML view; the answer is `Event::Object`.
    fn fetch_object(&mut self, req: crate::sources::kube::ObjectRequest, tx: &Sender) {
        let _ = tx.send(Event::Object {
            generation: req.generation,
            msg: crate::sources::kube::ObjectMsg {
                kind: req.kind,
                key: req.key,
                resource: req.resource,
                result: Err("no cluster source wired".into()),
            },
        });
    }

    /// GET one object, its owners and events for the describe page; the answer is
    /// `Event::Described`.
    fn fetch_describe(&mut self, req: crate::sources::kube::ObjectRequest, tx: &Sender) {
        let _ = tx.send(Event::Described {
            generation: req.generation,
            msg: crate::sources::kube::model::DescribeMsg {
                kind: req.kind,
                key: req.key,
                resource: req.resource,
                result: Err("no cluster source wired".into()),
            },
        });
    }
}

impl<F: FnMut(&State, &Sender)> Sources for F {
    fn start(&mut self, state: &State, tx: &Sender) {
        self(state, tx)
    }
}

/// Where the run loop draws and what it asks of the terminal: the real one (a
/// [`term::Guard`], in raw mode on the alternate screen) or, in tests, any ratatui
/// backend that can also take the terminal's own sequences (a byte-counting one, say).
pub trait Screen {
    /// The terminal's size now (columns, rows).
    fn size(&mut self) -> std::io::Result<(u16, u16)>;
    /// Draws one frame of `state` (only the cells that changed reach the terminal).
    fn draw(&mut self, state: &State) -> std::io::Result<()>;
    /// Carries out the effects that are the terminal's own (mouse capture, OSC 52 copy);
    /// hands back every other.
    fn terminal_effect(&mut self, effect: Effect) -> Option<Effect>;
    /// Stops the process with the terminal restored (Ctrl-Z, SIGTSTP); returns once
    /// continued, the terminal entered again.
    fn suspend(&mut self, _mouse: bool) -> std::io::Result<()> {
        Ok(())
    }
    /// Enters the terminal again after a stop that was not ours (SIGSTOP from outside).
    fn resume(&mut self, _mouse: bool) -> std::io::Result<()> {
        Ok(())
    }
    /// Runs the user's editor on `path` (`e`, as `kubectl edit`), with the terminal the
    /// editor's meanwhile; back in, everything is drawn again.
    fn run_editor(&mut self, _mouse: bool, path: &std::path::Path) -> Result<(), String> {
        crate::ops::edit::run_editor(&crate::ops::edit::editor_command(), path)
    }
}

/// The terminal's input, which an editor can borrow: crossterm's `EventStream` reads the
/// terminal on a thread of its own, which would take the keys typed into the editor, so it
/// is dropped (its thread ends) while the editor runs and made again at the next read.
#[derive(Clone, Default)]
pub struct TermInput(std::sync::Arc<std::sync::Mutex<Option<EventStream>>>);

impl TermInput {
    fn pause(&self) {
        let taken = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        drop(taken);
    }
}

impl futures::Stream for TermInput {
    type Item = std::io::Result<TermEvent>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let mut inner = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner
            .get_or_insert_with(EventStream::new)
            .poll_next_unpin(cx)
    }
}

/// The real terminal and its input.
struct Tty {
    guard: term::Guard,
    input: TermInput,
}

impl Screen for Tty {
    fn size(&mut self) -> std::io::Result<(u16, u16)> {
        self.guard.size()
    }
    fn draw(&mut self, state: &State) -> std::io::Result<()> {
        self.guard.draw(state)
    }
    fn terminal_effect(&mut self, effect: Effect) -> Option<Effect> {
        self.guard.terminal_effect(effect)
    }
    fn suspend(&mut self, mouse: bool) -> std::io::Result<()> {
        self.guard.suspend(mouse)
    }
    fn resume(&mut self, mouse: bool) -> std::io::Result<()> {
        self.guard.resume(mouse)
    }
    fn run_editor(&mut self, mouse: bool, path: &std::path::Path) -> Result<(), String> {
        self.input.pause();
        term::restore();
        let ran = crate::ops::edit::run_editor(&crate::ops::edit::editor_command(), path);
        if let Err(e) = term::resume(&mut self.guard, mouse) {
            log::warn!("terminal: {e}");
        }
        ran
    }
}

impl Screen for term::Guard {
    fn size(&mut self) -> std::io::Result<(u16, u16)> {
        let size = self.terminal.size()?;
        Ok((size.width, size.height))
    }
    fn draw(&mut self, state: &State) -> std::io::Result<()> {
        self.terminal.draw(|f| crate::ui::render(state, f))?;
        Ok(())
    }
    fn terminal_effect(&mut self, effect: Effect) -> Option<Effect> {
        terminal_effect(effect, self.terminal.backend_mut())
    }
    fn suspend(&mut self, mouse: bool) -> std::io::Result<()> {
        term::suspend(self, mouse)
    }
    fn resume(&mut self, mouse: bool) -> std::io::Result<()> {
        term::resume(self, mouse)
    }
}

/// Any ratatui terminal whose backend takes bytes: draws there, and the terminal's own
/// sequences are written to it (what a test counts).
impl<B> Screen for ratatui::Terminal<B>
where
    B: ratatui::backend::Backend + std::io::Write,
{
    fn size(&mut self) -> std::io::Result<(u16, u16)> {
        let size = ratatui::Terminal::size(self)
            .map_err(|e| std::io::Error::other(format!("terminal size: {e:?}")))?;
        Ok((size.width, size.height))
    }
    fn draw(&mut self, state: &State) -> std::io::Result<()> {
        ratatui::Terminal::draw(self, |f| crate::ui::render(state, f))
            .map_err(|e| std::io::Error::other(format!("draw: {e:?}")))?;
        Ok(())
    }
    fn terminal_effect(&mut self, effect: Effect) -> Option<Effect> {
        terminal_effect(effect, self.backend_mut())
    }
}

pub async fn run(
    state: State,
    sources: impl Sources,
    ops: crate::ops::Executor,
) -> std::io::Result<u8> {
    let guard = term::enter(state.mouse)?;
    let input = TermInput::default();
    let mut tty = Tty {
        guard,
        input: input.clone(),
    };
    let code = drive(&mut tty, input, state, sources, &ops).await;
    drop(tty);
    // the terminal is the user's again; what still runs gets a short bound to end, and
    // every operation its outcome line, before the process exits
    let unknown = ops.end_at_quit().await;
    if unknown > 0 {
        log::warn!("{unknown} operation(s) still running at quit: recorded as unknown");
    }
    code
}

/// The loop itself, on any [`Screen`] and any stream of terminal input: applies events,
/// carries out effects and draws when something visible changed, until the state quits.
pub async fn drive<S, I>(
    screen: &mut S,
    mut input: I,
    mut state: State,
    mut sources: impl Sources,
    ops: &crate::ops::Executor,
) -> std::io::Result<u8>
where
    S: Screen,
    I: futures::Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    spawn_signal_listeners(tx.clone());
    sources.start(&state, &tx);

    state.size = screen.size()?;
    let (mut stop, mut cont) = (listen(libc::SIGTSTP), listen(libc::SIGCONT));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_draw = Instant::now() - FRAME;
    // whether something other than a source's data came since the last frame
    let mut urgent = true;

    loop {
        if state.dirty && last_draw.elapsed() >= frame_gap(urgent) {
            for effect in update::settle(&mut state) {
                if let Some(effect) = screen.terminal_effect(effect) {
                    dispatch(effect, &state, &mut sources, ops, &tx);
                }
            }
            if state.overlay == Overlay::ConsoleLog {
                crate::applog::collect();
            }
            screen.draw(&state)?;
            state.dirty = false;
            urgent = false;
            last_draw = Instant::now();
        }
        let deadline = last_draw + frame_gap(urgent);
        let first = tokio::select! {
            ev = input.next() => match ev {
                // in raw mode Ctrl-Z is a key, not SIGTSTP: it suspends all the same
                Some(Ok(ev)) if is_suspend_key(&ev) => {
                    suspend(screen, &mut state);
                    None
                }
                Some(Ok(ev)) => terminal_event(ev),
                Some(Err(e)) => {
                    log::error!("terminal input failed: {e}");
                    Some(Event::Signal {
                        name: "terminal input failed",
                        exit: 1,
                    })
                }
                None => Some(Event::Signal {
                    name: "terminal input closed",
                    exit: 1,
                }),
            },
            Some(ev) = rx.recv() => Some(ev),
            () = next(&mut stop) => {
                suspend(screen, &mut state);
                None
            }
            // continued after a stop that was not ours (SIGSTOP from outside): the shell
            // may have reset the terminal meanwhile
            () = next(&mut cont) => {
                let resumed = screen.resume(state.mouse);
                redraw(resumed, screen, &mut state);
                None
            }
            _ = tick.tick() => {
                crate::applog::collect();
                Some(Event::Tick(Timestamp::now()))
            }
            _ = tokio::time::sleep_until(deadline), if state.dirty => None,
        };
        let mut events: Vec<Event> = first.into_iter().collect();
        while events.len() < BATCH {
            match rx.try_recv() {
                Ok(ev) => events.push(ev),
                Err(_) => break,
            }
        }
        urgent |= events.iter().any(|e| !e.is_data());
        for ev in events {
            for effect in update(&mut state, ev) {
                if let Effect::Edit { context, object } = effect {
                    edit(screen, &mut state, ops, context, object, &tx).await;
                    continue;
                }
                if let Some(effect) = screen.terminal_effect(effect) {
                    dispatch(effect, &state, &mut sources, ops, &tx);
                }
            }
        }
        if state.quit {
            break;
        }
    }
    Ok(state.exit_code)
}

/// A listener for `signal` (none, with a warning, if it cannot be had).
fn listen(signal: libc::c_int) -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal as listen};
    listen(SignalKind::from_raw(signal))
        .map_err(|e| log::warn!("cannot listen for signal {signal}: {e}"))
        .ok()
}

/// The next delivery of a listened-for signal; never, without a listener.
async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            if s.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

fn is_suspend_key(ev: &TermEvent) -> bool {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    matches!(ev, TermEvent::Key(k) if k.code == KeyCode::Char('z')
        && k.modifiers == KeyModifiers::CONTROL
        && k.kind != KeyEventKind::Release)
}

/// `kubectl edit` of one object, on the loop's own task: the screen gives the terminal to
/// the editor for each round of the session; the end comes back as an operation's result.
async fn edit(
    screen: &mut impl Screen,
    state: &mut State,
    ops: &crate::ops::Executor,
    context: String,
    object: crate::ops::ObjectRef,
    tx: &Sender,
) {
    let context = if context.is_empty() || context.starts_with('(') {
        state.scope.context.clone()
    } else {
        Some(context)
    };
    let user = crate::sources::kube::identity::kubeconfig_user(&state.config, context.as_deref());
    let client = crate::sources::kube::client_for(&state.config, context.as_deref())
        .await
        .map_err(|e| e.to_string());
    let ex = ops
        .clone()
        .read_only_also(state.scope.read_only)
        .with_client(client, context.clone(), user);
    // the object is read before the editor opens: say so while the loop waits on it
    state.set_flash(
        crate::app::state::FlashLevel::Info,
        format!("edit: reading {}…", object.kubectl_name()),
    );
    if let Err(e) = screen.draw(state) {
        log::warn!("terminal: {e}");
    }
    let mouse = state.mouse;
    let mut editor = |path: &std::path::Path| screen.run_editor(mouse, path);
    let outcome = ex
        .edit(context.as_deref().unwrap_or_default(), &object, &mut editor)
        .await;
    if let Ok(size) = screen.size() {
        state.size = size;
    }
    state.dirty = true;
    let _ = tx.send(Event::OpResult(Box::new(outcome)));
}

/// Stops the process with the terminal restored; back in, everything is drawn again.
fn suspend(screen: &mut impl Screen, state: &mut State) {
    let resumed = screen.suspend(state.mouse);
    redraw(resumed, screen, state);
}

/// Back in the terminal: the whole screen at the next frame, at the size it has now (it
/// may have changed while the process was stopped).
fn redraw(resumed: std::io::Result<()>, screen: &mut impl Screen, state: &mut State) {
    if let Err(e) = resumed {
        log::warn!("terminal: {e}");
    }
    if let Ok(size) = screen.size() {
        state.size = size;
    }
    state.dirty = true;
}

/// How long after the last frame the next may come.
fn frame_gap(urgent: bool) -> Duration {
    if urgent { FRAME } else { DATA_FRAME }
}

/// Carries out the effects that are the terminal's own (mouse capture, OSC 52 copy),
/// through its backend; hands back every other.
fn terminal_effect(effect: Effect, out: &mut impl std::io::Write) -> Option<Effect> {
    let result = match &effect {
        Effect::SetMouse(on) => term::set_mouse(out, *on),
        Effect::Copy(text) => term::copy(out, text),
        _ => return Some(effect),
    };
    if let Err(e) = result {
        log::warn!("terminal: {e}");
    }
    None
}

/// Carries out one effect of `update`.
fn dispatch(
    effect: Effect,
    state: &State,
    sources: &mut impl Sources,
    ops: &crate::ops::Executor,
    tx: &Sender,
) {
    match effect {
        Effect::Quit => {}
        Effect::ScopeChanged { .. } => sources.start(state, tx),
        Effect::FollowLogs(req) => sources.follow_logs(req, tx),
        Effect::StopLogs => sources.stop_logs(),
        Effect::WatchTable(req) => sources.watch_table(req, tx),
        Effect::StopTable => sources.stop_table(),
        Effect::Rediscover => sources.rediscover(),
        Effect::FetchObject(req) => sources.fetch_object(req, tx),
        Effect::FetchDescribe(req) => sources.fetch_describe(req, tx),
        Effect::SaveLogs { path, lines } => save_logs(path, lines, state.generation, tx),
        Effect::CancelDrain { context, node } => {
            if !ops.cancel_drain(&context, &node) {
                log::info!("drain of node/{node}: not running (it had ended)");
            }
        }
        other => operation(ops, state, other, tx),
    }
}

/// Operation effects run on their own task; the answer comes back as an event.
fn operation(ops: &crate::ops::Executor, state: &State, effect: Effect, tx: &Sender) {
    let sink = {
        let tx = tx.clone();
        std::sync::Arc::new(move |line: crate::ops::HostOutput| {
            log::info!("{}", line.tagged());
            let _ = tx.send(Event::HostOutput(line));
        })
    };
    let progress = {
        let tx = tx.clone();
        std::sync::Arc::new(move |p: crate::ops::DrainProgress| {
            let _ = tx.send(Event::Drain(p));
        })
    };
    let ex = ops
        .clone()
        .read_only_also(state.scope.read_only)
        .with_output(sink)
        .with_drain_progress(progress);
    let tx = tx.clone();
    // a cluster operation gets a client for the context it names (the one on screen when
    // it was asked for), built from the same kubeconfig choice as the sources
    let op = match &effect {
        Effect::PlanOperation(op) | Effect::Operation { op, .. } => Some(op),
        // a refusal's line names who the cluster of its context says we are
        Effect::RecordRefusal(plan) => Some(&plan.op),
        _ => None,
    };
    let cluster = match op {
        Some(op)
            if !op.is_github()
                && !matches!(
                    op,
                    crate::ops::Operation::Host { .. } | crate::ops::Operation::Service { .. }
                ) =>
        {
            let named = op.target().context;
            let context = if named.is_empty() || named.starts_with('(') {
                state.scope.context.clone()
            } else {
                Some(named)
            };
            Some((state.config.clone(), context))
        }
        _ => None,
    };
    tokio::spawn(async move {
        let ex = match cluster {
            Some((config, context)) => {
                let user =
                    crate::sources::kube::identity::kubeconfig_user(&config, context.as_deref());
                let client = crate::sources::kube::client::operations_client_for(
                    &config,
                    context.as_deref(),
                )
                .await
                .map_err(|e| e.to_string());
                ex.with_client(client, context, user)
            }
            None => ex,
        };
        let ev = match effect {
            Effect::PlanOperation(op) => Event::OpPlanned(ex.plan(op).await.map(Box::new)),
            Effect::Operation { op, before, after } => {
                Event::OpResult(Box::new(ex.execute(&op, &before, &after).await))
            }
            Effect::ReadAudit => Event::Audit(ex.audit_tail(500)),
            Effect::ListBackups { service } => Event::Backups {
                backups: ex.list_backups(&service).await,
                service,
            },
            Effect::RecordRefusal(plan) => {
                if let Err(e) = ex.record_refusal(&plan).await {
                    log::error!("the refusal was not written to the audit log: {e}");
                }
                return;
            }
            _ => return,
        };
        let _ = tx.send(ev);
    });
}

/// How long `:save` may take before the console says so and stops waiting.
pub const SAVE_BOUND: Duration = Duration::from_secs(10);

/// Writes `:save`'s lines off the ui task and reports back, within [`SAVE_BOUND`]: a write
/// stuck in the kernel (a hung network file system) is abandoned, never waited on — at
/// quit neither.
fn save_logs(path: String, lines: Vec<String>, generation: u64, tx: &Sender) {
    let tx = tx.clone();
    tokio::spawn(async move {
        let n = lines.len();
        let target = std::path::PathBuf::from(&path);
        let write = tokio::task::spawn_blocking(move || {
            let mut text = lines.join("\n");
            text.push('\n');
            crate::sources::logs::save::save(&target, text.as_bytes())
        });
        let result = match tokio::time::timeout(SAVE_BOUND, write).await {
            Ok(Ok(r)) => r.map(|()| n),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "no answer from the file system in {} s; gave up waiting (the file may be incomplete)",
                SAVE_BOUND.as_secs()
            )),
        };
        let _ = tx.send(Event::Logs {
            generation,
            msg: crate::sources::logs::LogsMsg::Saved { path, result },
        });
    });
}

fn terminal_event(ev: TermEvent) -> Option<Event> {
    match ev {
        TermEvent::Key(k) => Some(Event::Key(k)),
        TermEvent::Mouse(m) => Some(Event::Mouse(m)),
        TermEvent::Paste(p) => Some(Event::Paste(p)),
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        TermEvent::FocusGained | TermEvent::FocusLost => None,
    }
}

fn spawn_signal_listeners(tx: Sender) {
    use tokio::signal::unix::{SignalKind, signal};
    // in raw mode C-c is a key, not SIGINT; these come from outside (`kill`, a dropped SSH
    // session) and must restore the terminal like `q` does
    for (kind, name, number) in [
        (SignalKind::terminate(), "SIGTERM", 15),
        (SignalKind::hangup(), "SIGHUP", 1),
        (SignalKind::interrupt(), "SIGINT", 2),
        (SignalKind::quit(), "SIGQUIT", 3),
    ] {
        let tx = tx.clone();
        match signal(kind) {
            Ok(mut s) => {
                tokio::spawn(async move {
                    if s.recv().await.is_some() {
                        let _ = tx.send(Event::Signal {
                            name,
                            exit: 128 + number,
                        });
                    }
                });
            }
            Err(e) => log::warn!("cannot listen for {name}: {e}"),
        }
    }
}
