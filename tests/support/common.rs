//! Shared helpers for the console's tests (and the benches, which include this file by
//! path): a State as the console builds it, rendering into a TestBackend, and key
//! sequences written in keymap notation.

use flightdeck::app::state::{Scope, StartOptions};
use flightdeck::app::{Effect, Event, PaneId, State, update};
use flightdeck::config::{self, Config};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// A fixed "now", so snapshots are stable.
pub fn now() -> jiff::Timestamp {
    "2026-11-23T03:02:00Z".parse().expect("timestamp")
}

/// The console's State with the bundled themes and keymaps, the default config and scope,
/// no theme asked for, colour on, at `now()`.
pub fn state() -> State {
    state_builder().build()
}

pub fn state_with(config: Config) -> State {
    state_builder().config(config).build()
}

/// A State built step by step: what `State::new` gets (config, theme, scope, NO_COLOR, the
/// clock), then the screen around it (size, focus, zoom). Unset, each is what `state()` has.
pub fn state_builder() -> StateBuilder {
    StateBuilder {
        config: Config::default(),
        theme: None,
        scope: Scope::default(),
        no_color: false,
        now: now(),
        size: None,
        focus: None,
        zoomed: false,
    }
}

pub struct StateBuilder {
    config: Config,
    theme: Option<String>,
    scope: Scope,
    no_color: bool,
    now: jiff::Timestamp,
    size: Option<(u16, u16)>,
    focus: Option<PaneId>,
    zoomed: bool,
}

impl StateBuilder {
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The config a TOML text says, which must read without a diagnostic.
    pub fn config_toml(self, text: &str) -> Self {
        let (config, diags) = Config::parse_lenient("test.toml", text);
        assert!(diags.is_empty(), "{diags:?}");
        self.config(config)
    }

    /// As `--theme NAME`.
    pub fn theme(mut self, name: &str) -> Self {
        self.theme = Some(name.to_owned());
        self
    }

    /// As a non-empty NO_COLOR.
    pub fn no_color(mut self) -> Self {
        self.no_color = true;
        self
    }

    /// As `--namespace NAME` (`None`: all namespaces, the default).
    pub fn namespace<'a>(mut self, namespace: impl Into<Option<&'a str>>) -> Self {
        self.scope.namespace = namespace.into().map(str::to_owned);
        self
    }

    /// The State's clock at start.
    pub fn at(mut self, now: jiff::Timestamp) -> Self {
        self.now = now;
        self
    }

    pub fn size(mut self, w: u16, h: u16) -> Self {
        self.size = Some((w, h));
        self
    }

    pub fn focus(mut self, pane: PaneId) -> Self {
        self.focus = Some(pane);
        self
    }

    pub fn zoomed(mut self) -> Self {
        self.zoomed = true;
        self
    }

    pub fn build(self) -> State {
        let (assets, diags, warnings) = config::load_assets(None);
        assert!(
            diags.is_empty() && warnings.is_empty(),
            "bundled files: {diags:?} {warnings:?}"
        );
        let opts = StartOptions {
            theme: self.theme,
            keymap: None,
            scope: self.scope,
            no_color: self.no_color,
        };
        let mut s = State::new(self.config, assets, Vec::new(), opts, self.now);
        // log times in one zone whatever the machine's, so screens and snapshots agree
        s.logs.tz = jiff::tz::TimeZone::UTC;
        if let Some(size) = self.size {
            s.size = size;
        }
        if let Some(pane) = self.focus {
            s.focus = pane;
        }
        if self.zoomed {
            s.zoomed = true;
        }
        s
    }
}

pub fn render(state: &mut State, w: u16, h: u16) -> Buffer {
    state.size = (w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| flightdeck::ui::render(state, f))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// The screen as text at the state's own size, without changing the state.
pub fn screen(state: &State) -> String {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| flightdeck::ui::render(state, f))
        .expect("draw");
    text(terminal.backend().buffer())
}

/// One frame of `state` drawn at w x h (the state's own size is left as it is).
pub fn draw_at(state: &State, w: u16, h: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| flightdeck::ui::render(state, f))
        .expect("draw");
    terminal.backend().buffer().clone()
}

/// Every cell of the buffer, rows untrimmed (what snapshots store).
pub fn cells(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The buffer as text, one line per row (colours dropped: check styles explicitly).
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The text inside one pane's rectangle of a frame drawn at the state's layout for w x h,
/// one line per row, trimmed (so a check cannot find its text in a neighbouring pane).
pub fn pane_text(state: &State, buf: &Buffer, pane: PaneId) -> String {
    let layout = flightdeck::app::layout::compute((buf.area.width, buf.area.height), state);
    let rect = layout
        .rect(pane)
        .unwrap_or_else(|| panic!("{pane:?} is not on screen"));
    let mut out = String::new();
    for y in rect.y..rect.y + rect.height {
        let mut line = String::new();
        for x in rect.x..rect.x + rect.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Feeds keys written in keymap notation (`g p`, `: t h e m e space l i g h t enter`).
pub fn keys(state: &mut State, seq: &str) -> Vec<Effect> {
    use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
    use flightdeck::config::keymap::{Key, KeyCode};
    let mut effects = Vec::new();
    for word in seq.split_whitespace() {
        let key = Key::parse(word).unwrap_or_else(|e| panic!("{word}: {e}"));
        let mut mods = M::NONE;
        if key.ctrl {
            mods |= M::CONTROL;
        }
        if key.alt {
            mods |= M::ALT;
        }
        let code = match key.code {
            KeyCode::Char(c) => {
                if c.is_ascii_uppercase() {
                    mods |= M::SHIFT;
                }
                C::Char(c)
            }
            KeyCode::Enter => C::Enter,
            KeyCode::Esc => C::Esc,
            KeyCode::Tab if key.shift => C::BackTab,
            KeyCode::Tab => C::Tab,
            KeyCode::Backspace => C::Backspace,
            KeyCode::Up => C::Up,
            KeyCode::Down => C::Down,
            KeyCode::Left => C::Left,
            KeyCode::Right => C::Right,
            KeyCode::Home => C::Home,
            KeyCode::End => C::End,
            KeyCode::PageUp => C::PageUp,
            KeyCode::PageDown => C::PageDown,
            KeyCode::Insert => C::Insert,
            KeyCode::Delete => C::Delete,
            KeyCode::F(n) => C::F(n),
        };
        if key.shift {
            mods |= M::SHIFT;
        }
        effects.extend(update(state, Event::Key(KeyEvent::new(code, mods))));
    }
    effects
}

/// Types text into a prompt, one key per character.
pub fn typed(state: &mut State, text: &str) {
    use crossterm::event::{KeyCode as C, KeyEvent, KeyModifiers as M};
    for c in text.chars() {
        update(state, Event::Key(KeyEvent::new(C::Char(c), M::NONE)));
    }
}

/// A runtime of two workers and a sandbox in `scenario` started on it: what a test that
/// drives the real binary against the sandbox from a plain `#[test]` needs first.
pub fn sandbox_runtime(
    scenario: flightdeck_sandbox::Scenario,
) -> (tokio::runtime::Runtime, flightdeck_sandbox::Sandbox) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sb = rt.block_on(async {
        flightdeck_sandbox::Sandbox::start(flightdeck_sandbox::SandboxOptions::scenario(scenario))
            .await
            .expect("sandbox")
    });
    (rt, sb)
}

/// One running pod of `svc-00` in `load-000`, decoded from the API's JSON as the watcher
/// does: what the large-list tests and benches clone by the thousand.
pub fn template_pod() -> flightdeck::sources::kube::model::PodRow {
    let p: flightdeck::sources::kube::slim::Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "p", "namespace": "load-000", "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "svc-00", "pod-template-hash": "abc"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "svc-00-abc", "uid": "u", "controller": true}]},
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "ghcr.io/acme/load:0"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
            "image": "x", "imageID": "x", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}
    }))
    .expect("pod");
    flightdeck::sources::kube::model::PodRow::from_object(&p)
}
