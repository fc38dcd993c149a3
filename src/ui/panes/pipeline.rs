//! The pipeline pane's body (the frame around it is drawn by `panes::render`): the runs with
//! their stages inline, or one run's jobs, or one job's steps; below, the environments and
//! the deployment stats.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::app::panes::pipeline::Drill;
use crate::app::state::State;
use crate::config::keymap::KeyContext;
use crate::config::theme::Health;
use crate::pane::PaneId;
use crate::sources::github::model::{Conclusion, Job, RunStatus, Step, deployment_state_words};
use crate::sources::github::snapshot::{EnvRow, PipelineSnapshot, RunEntry};
use crate::text::sanitize;

pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let data = &state.pipeline;
    let mut notes: Vec<Line> = Vec::new();
    if let Some(until) = data.rate_limited_until {
        notes.push(Line::styled(
            format!("rate limited until {}", crate::text::hh_mm(until)),
            state.theme.health(Health::Warn),
        ));
    }
    if let Some(n) = &data.notice {
        notes.push(Line::styled(sanitize(n), state.theme.warning()));
    }
    for w in data.snapshot.iter().flat_map(|s| &s.warnings) {
        notes.push(Line::styled(sanitize(w), state.theme.warning()));
    }
    let Some(snap) = data.snapshot.as_deref() else {
        let [top, rest] =
            Layout::vertical([Constraint::Length(notes.len() as u16), Constraint::Fill(1)])
                .areas(area);
        frame.render_widget(Paragraph::new(notes), top);
        super::placeholder(state, PaneId::Pipeline, frame, rest);
        return;
    };
    let rows = snap.environments.len() as u16;
    // the "environments" heading goes first when space is short
    let with_header = rows > 0 && rows + 2 <= area.height / 2;
    let env_height = rows + 1 + u16::from(with_header);
    let [top, main, bottom] = Layout::vertical([
        Constraint::Length(notes.len() as u16),
        Constraint::Fill(1),
        Constraint::Length(env_height.min(area.height / 2)),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(notes), top);
    let selected = state.pane(PaneId::Pipeline).selected;
    let focused = state.focus == PaneId::Pipeline;
    // a runs list that does not fit says which run of how many, on its last line
    let mut main = main;
    if matches!(data.drill, Drill::Runs) && main.height >= 3 {
        let runs = crate::app::panes::pipeline::visible_runs(state).len();
        let fit = main.height.saturating_sub(1) as usize / 2;
        if runs > (main.height as usize) / 2 && fit > 0 {
            main.height -= 1;
            let first = first_visible(selected, runs, 2, main.height);
            let text = super::cut::cut_text(first, fit, runs, Some(selected.min(runs - 1)));
            frame.render_widget(
                Paragraph::new(
                    Line::styled(format!("{text} "), state.theme.accent()).right_aligned(),
                ),
                Rect {
                    y: main.y + main.height,
                    height: 1,
                    ..main
                },
            );
        }
    }
    let lines = match &data.drill {
        Drill::Runs => runs_lines(state, snap, selected, focused, main),
        Drill::Jobs { run_id, .. } => match data.run(*run_id) {
            Some(run) => jobs_lines(state, run, selected, focused, main.height),
            None => vec![Line::styled("run no longer listed", state.theme.dim())],
        },
        Drill::Steps { run_id, job_id, .. } => {
            match (data.run(*run_id), data.job(*run_id, *job_id)) {
                (Some(run), Some(job)) => {
                    steps_lines(state, run, job, selected, focused, main.height)
                }
                _ => vec![Line::styled("job no longer listed", state.theme.dim())],
            }
        }
    };
    crate::ui::lines::render(frame, main, &lines);
    frame.render_widget(
        Paragraph::new(env_lines(
            state,
            snap,
            with_header,
            bottom.width < 72,
            bottom.width as usize,
        )),
        bottom,
    );
}

/// (glyph, health) of a status/conclusion pair.
pub fn glyph(status: &RunStatus, conclusion: Option<&Conclusion>) -> (&'static str, Health) {
    match (status, conclusion) {
        (_, Some(Conclusion::Success)) => ("✓", Health::Ok),
        (_, Some(c)) if c.is_failure() => ("✗", Health::Error),
        (_, Some(Conclusion::Cancelled)) => ("⊘", Health::Stale),
        (_, Some(Conclusion::Skipped)) => ("-", Health::Stale),
        (_, Some(Conclusion::ActionRequired)) => ("!", Health::Warn),
        (_, Some(Conclusion::Neutral)) => ("○", Health::Stale),
        (_, Some(_)) => ("?", Health::Stale),
        (RunStatus::Waiting, None) => ("⏸", Health::Warn),
        (RunStatus::InProgress, None) => ("●", Health::Pending),
        (RunStatus::Queued | RunStatus::Requested | RunStatus::Pending, None) => {
            ("·", Health::Pending)
        }
        (RunStatus::Completed, None) => ("?", Health::Stale),
        (RunStatus::Unknown(_), None) => ("?", Health::Stale),
    }
}

/// `42s`, `4m12s`, `1h02m`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn span_secs(start: Option<Timestamp>, end: Option<Timestamp>, now: Timestamp) -> Option<i64> {
    Some(end.unwrap_or(now).duration_since(start?).as_secs())
}

fn run_secs(r: &RunEntry, now: Timestamp) -> Option<i64> {
    r.elapsed_secs(now)
}

/// When a waiting run began to wait: its newest finished job's end, else its last update.
fn waiting_since(r: &RunEntry) -> Option<Timestamp> {
    r.jobs
        .iter()
        .filter_map(|j| j.completed_at)
        .max()
        .or(r.run.updated_at)
        .or(r.run.run_started_at)
}

/// `spans` in at most `room` cells: the spans at `optional` go first (in that order; the
/// last of them is cut short instead while five cells of it remain), then the longest
/// remaining one is cut with `…`.
fn give_way(mut spans: Vec<Span<'static>>, room: usize, optional: &[usize]) -> Vec<Span<'static>> {
    let total = |s: &[Span]| s.iter().map(Span::width).sum::<usize>();
    for (n, &i) in optional.iter().enumerate() {
        let over = total(&spans).saturating_sub(room);
        if over == 0 {
            break;
        }
        if let Some(s) = spans.get_mut(i) {
            // the last of them is cut rather than dropped while a few cells of it remain
            let keep = s.width().saturating_sub(over);
            s.content = if n + 1 == optional.len() && keep >= 5 {
                crate::text::fit(&s.content, keep).into()
            } else {
                "".into()
            };
        }
    }
    while total(&spans) > room {
        let over = total(&spans) - room;
        let Some(longest) = spans.iter_mut().max_by_key(|s| s.width()) else {
            break;
        };
        let keep = longest.width().saturating_sub(over);
        longest.content = crate::text::fit(&longest.content, keep).into();
        spans.retain(|s| !s.content.is_empty());
    }
    spans
}

/// Keep row `selected` of `rows` (each `per` lines tall) inside `height` lines.
fn first_visible(selected: usize, rows: usize, per: usize, height: u16) -> usize {
    let fit = (height as usize / per).max(1);
    let sel = selected.min(rows.saturating_sub(1));
    (sel + 1).saturating_sub(fit)
}

fn sel_style(state: &State, on: bool, focused: bool) -> Style {
    if on {
        state.theme.selection(focused)
    } else {
        Style::default()
    }
}

fn runs_lines<'a>(
    state: &State,
    snap: &'a PipelineSnapshot,
    selected: usize,
    focused: bool,
    area: Rect,
) -> Vec<Line<'a>> {
    let (height, width) = (area.height, area.width as usize);
    let theme = &state.theme;
    if snap.runs.is_empty() {
        return vec![Line::styled("no workflow runs", theme.dim())];
    }
    let runs = crate::app::panes::pipeline::visible_runs(state);
    if runs.is_empty() {
        return vec![Line::styled("no run matches the filter", theme.dim())];
    }
    let skip = first_visible(selected, runs.len(), 2, height);
    let sel = selected.min(runs.len() - 1);
    let mut out = Vec::new();
    for (i, r) in runs.into_iter().enumerate().skip(skip) {
        let run = &r.run;
        let (g, h) = glyph(&run.status, run.conclusion.as_ref());
        let mut head = vec![
            Span::styled(format!("{g} "), theme.health(h)),
            Span::styled(format!("#{} ", run.run_number), theme.accent()),
            Span::styled(
                format!("{} ", sanitize(run.name.as_deref().unwrap_or("workflow"))),
                theme.text(),
            ),
            Span::styled(
                format!("{} ", sanitize(run.head_branch.as_deref().unwrap_or("?"))),
                theme.text(),
            ),
            Span::styled(format!("{} ", sanitize(run.short_sha())), theme.dim()),
            Span::styled(
                sanitize(run.display_title.as_deref().unwrap_or("")),
                theme.text(),
            ),
        ];
        if let Some(n) = run.run_attempt.filter(|n| *n > 1) {
            head.push(Span::styled(format!(" (attempt {n})"), theme.dim()));
        }
        let mut optional = Vec::new();
        if let Some(a) = &run.actor {
            optional.push(head.len());
            head.push(Span::styled(
                format!("  {}", sanitize(&a.login)),
                theme.dim(),
            ));
        }
        // how long it has waited counts from when it began to wait, not from its start
        let label = if run.status == RunStatus::Waiting {
            waiting_since(r).map(|t| {
                format!(
                    "  waiting {}",
                    duration(state.now.duration_since(t).as_secs())
                )
            })
        } else {
            run_secs(r, state.now).map(|s| match run.status.clock_word() {
                Some(word) => format!("  {} {}", sanitize(word), duration(s)),
                None => format!("  {}", duration(s)),
            })
        };
        // the state and its time are what a cut must keep: the title and actor give way
        let tail = label.map(|l| Span::styled(l, theme.dim()));
        let room = width.saturating_sub(tail.as_ref().map_or(0, |t| t.width()));
        optional.push(5); // then the title
        let mut head = give_way(head, room, &optional);
        head.extend(tail);
        let style = sel_style(state, i == sel, focused);
        out.push(Line::from(head).style(style));
        let stages = stage_spans(state, r, width);
        out.push(Line::from(stages).style(style));
    }
    out
}

/// A run's jobs inline: `lint ✓ test ✓ … deploy-production ⏸`; narrower, `✓ ✓ ✓  dev ✓
/// staging ✓ production ⏸`; narrower still, glyphs only.
fn stage_spans(state: &State, r: &RunEntry, width: usize) -> Vec<Span<'static>> {
    let theme = &state.theme;
    let indent = "   ";
    if r.jobs.is_empty() {
        return vec![
            Span::raw(indent),
            Span::styled(sanitize(&r.no_jobs_text()), theme.dim()),
        ];
    }
    let label = |name: &str, form: u8| -> String {
        let name = sanitize(name);
        match form {
            0 => format!("{name} "),
            1 => match name.strip_prefix("deploy-") {
                Some(env) => format!(" {env} "),
                None => String::new(),
            },
            _ => String::new(),
        }
    };
    for form in 0..3u8 {
        let text_width: usize = indent.chars().count()
            + r.jobs
                .iter()
                .map(|j| label(&j.name, form).chars().count() + 2)
                .sum::<usize>();
        if text_width <= width || form == 2 {
            let mut out = vec![Span::raw(indent)];
            for j in &r.jobs {
                let (g, h) = glyph(&j.status, j.conclusion.as_ref());
                let l = label(&j.name, form);
                if !l.is_empty() {
                    out.push(Span::styled(l, theme.text()));
                }
                out.push(Span::styled(format!("{g} "), theme.health(h)));
            }
            return out;
        }
    }
    Vec::new()
}

/// Without a token nobody is signed in to approve, whatever the API says.
fn anonymous(state: &State) -> bool {
    state
        .pipeline
        .snapshot
        .as_ref()
        .is_some_and(|s| s.anonymous)
}

/// The key bound to a pipeline action in the active keymap, for the hints.
fn key(state: &State, action: Action) -> String {
    state
        .keymap
        .key_for(KeyContext::Pipeline, action)
        .unwrap_or_else(|| format!(":{action}"))
}

/// "P approves, D rejects" with the keys of the active keymap.
fn review_keys(state: &State) -> String {
    format!(
        "{} approves, {} rejects",
        key(state, Action::Promote),
        key(state, Action::PipelineReject)
    )
}

fn pending_hint(state: &State, run: &RunEntry) -> Option<Span<'static>> {
    let p = run.pending.first()?;
    let text = if let Some(gate) = p.gate().words() {
        format!(
            "  deployment to {} waits for {gate}",
            sanitize(&p.environment.name)
        )
    } else if anonymous(state) {
        format!(
            "  approval pending for {} — a token is needed to approve",
            sanitize(&p.environment.name)
        )
    } else if p.current_user_can_approve {
        format!(
            "  approval pending for {} — {}",
            sanitize(&p.environment.name),
            review_keys(state)
        )
    } else {
        let who: Vec<String> = p.reviewers.iter().map(|r| sanitize(&r.label())).collect();
        format!(
            "  approval pending for {} — only {} can approve",
            sanitize(&p.environment.name),
            if who.is_empty() {
                "a required reviewer".to_owned()
            } else {
                who.join(", ")
            }
        )
    };
    Some(Span::styled(text, state.theme.health(Health::Warn)))
}

fn jobs_lines<'a>(
    state: &State,
    run: &'a RunEntry,
    selected: usize,
    focused: bool,
    height: u16,
) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let r = &run.run;
    let mut out = vec![Line::from(vec![
        Span::styled(format!("#{} ", r.run_number), theme.accent()),
        Span::styled(
            format!(
                "{} {} {} ",
                sanitize(r.name.as_deref().unwrap_or("workflow")),
                sanitize(r.head_branch.as_deref().unwrap_or("?")),
                sanitize(r.short_sha())
            ),
            theme.dim(),
        ),
        Span::styled(
            sanitize(r.display_title.as_deref().unwrap_or("")),
            theme.text(),
        ),
        Span::styled("  (esc back)", theme.dim()),
    ])];
    if let Some(h) = pending_hint(state, run) {
        out.push(Line::from(h));
    }
    if run.jobs.is_empty() {
        out.push(Line::styled("no jobs yet", theme.dim()));
        return out;
    }
    let width = run
        .jobs
        .iter()
        .map(|j| j.name.chars().count())
        .max()
        .unwrap_or(0);
    let skip = first_visible(
        selected,
        run.jobs.len(),
        1,
        height.saturating_sub(out.len() as u16),
    );
    let sel = selected.min(run.jobs.len() - 1);
    for (i, j) in run.jobs.iter().enumerate().skip(skip) {
        out.push(job_line(state, j, width, i == sel, focused));
    }
    out
}

fn job_line(state: &State, j: &Job, width: usize, on: bool, focused: bool) -> Line<'static> {
    let theme = &state.theme;
    let (g, h) = glyph(&j.status, j.conclusion.as_ref());
    let what = match &j.conclusion {
        Some(c) => c.words(),
        None => j.status.words(),
    };
    let secs = span_secs(j.started_at, j.completed_at, state.now)
        .filter(|_| j.status != RunStatus::Queued && j.status != RunStatus::Waiting)
        .map(duration)
        .unwrap_or_default();
    let mut style = sel_style(state, on, focused);
    if j.conclusion.as_ref().is_some_and(|c| c.is_failure()) {
        style = style.patch(theme.health(Health::Error));
    }
    Line::from(vec![
        Span::styled(format!("{g} "), theme.health(h)),
        Span::raw(format!("{:<width$}  ", sanitize(&j.name))),
        Span::raw(format!("{what:<12} ")),
        Span::raw(secs),
    ])
    .style(style)
}

fn steps_lines<'a>(
    state: &State,
    run: &'a RunEntry,
    job: &'a Job,
    selected: usize,
    focused: bool,
    height: u16,
) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let mut out = vec![Line::from(vec![
        Span::styled(format!("#{} ", run.run.run_number), theme.accent()),
        Span::styled(format!("› {} ", sanitize(&job.name)), theme.text()),
        Span::styled(
            job.conclusion
                .as_ref()
                .map_or_else(|| job.status.words(), Conclusion::words),
            theme.dim(),
        ),
        Span::styled("  (esc back)", theme.dim()),
    ])];
    if job.steps.is_empty() {
        out.push(Line::styled("no steps yet", theme.dim()));
        return out;
    }
    let width = job
        .steps
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let skip = first_visible(selected, job.steps.len(), 1, height.saturating_sub(1));
    let sel = selected.min(job.steps.len() - 1);
    for (i, s) in job.steps.iter().enumerate().skip(skip) {
        out.push(step_line(state, s, width, i == sel, focused));
    }
    out
}

fn step_line(state: &State, s: &Step, width: usize, on: bool, focused: bool) -> Line<'static> {
    let theme = &state.theme;
    let (g, h) = glyph(&s.status, s.conclusion.as_ref());
    let secs = span_secs(s.started_at, s.completed_at, state.now)
        .map(duration)
        .unwrap_or_default();
    let failed = s.conclusion.as_ref().is_some_and(|c| c.is_failure());
    let mut style = sel_style(state, on, focused);
    if failed {
        style = style
            .patch(theme.health(Health::Error))
            .add_modifier(Modifier::BOLD);
    }
    let mut spans = vec![
        Span::styled(format!("{g} "), theme.health(h)),
        Span::raw(format!("{:>2}. {:<width$}  ", s.number, sanitize(&s.name))),
        Span::raw(secs),
    ];
    if failed {
        spans.push(Span::raw("  ◀ failed"));
    }
    Line::from(spans).style(style)
}

fn env_lines(
    state: &State,
    snap: &PipelineSnapshot,
    with_header: bool,
    compact: bool,
    line_w: usize,
) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let mut out = Vec::new();
    if !snap.environments.is_empty() {
        if with_header {
            out.push(Line::styled("environments", theme.header()));
        }
        let width = snap
            .environments
            .iter()
            .map(|e| e.name.chars().count())
            .max()
            .unwrap_or(0);
        for e in &snap.environments {
            out.push(env_line(state, e, width, compact, line_w));
        }
    }
    out.push(stats_line(state, snap, compact));
    out
}

fn env_line(
    state: &State,
    e: &EnvRow,
    width: usize,
    compact: bool,
    line_w: usize,
) -> Line<'static> {
    let theme = &state.theme;
    let mut spans = vec![Span::styled(
        format!("{:<width$} ", sanitize(&e.name)),
        theme.text(),
    )];
    // what gives way to a pending approval: the run number, then the age
    let mut optional: Vec<usize> = Vec::new();
    let running = crate::app::panes::pipeline::running_now(state, &e.name);
    if let (Some(r), Some(d)) = (&running, &e.deployed) {
        // the record is not what runs: say what does, and that the record is superseded
        spans.push(Span::styled("⟲ ", theme.health(Health::Warn)));
        spans.push(Span::styled(
            format!("{} ", sanitize(&r.sha)),
            theme.accent(),
        ));
        let rev = r.revision.map(|n| format!(" rev {n}")).unwrap_or_default();
        spans.push(Span::styled(
            format!("runs ({}{rev}) ", sanitize(&r.deployment)),
            theme.health(Health::Warn),
        ));
        spans.push(Span::styled(
            format!(
                "· {} superseded ",
                sanitize(d.sha.get(..7).unwrap_or(&d.sha))
            ),
            theme.dim(),
        ));
    }
    match &e.deployed {
        _ if running.is_some() => {}
        Some(d) => {
            spans.push(Span::styled("✓ ", theme.health(Health::Ok)));
            spans.push(Span::styled(
                format!("{} ", sanitize(d.sha.get(..7).unwrap_or(&d.sha))),
                theme.accent(),
            ));
            if let Some(at) = d.at {
                // an age says `ago` even when short: beside run durations a bare `25s`
                // reads as one
                let text = format!("{} ago ", crate::text::age(at, state.now));
                optional.insert(0, spans.len());
                spans.push(Span::styled(text, theme.dim()));
            }
            // the deployer is the run the status names, never a guess
            let text = match (d.run_number, d.run_id, compact) {
                (Some(n), _, true) => format!("#{n} "),
                (Some(n), _, false) => format!("by #{n} "),
                (None, Some(id), _) => format!("by run {id} "),
                (None, None, _) => "by unknown run ".to_owned(),
            };
            optional.insert(0, spans.len());
            spans.push(Span::styled(text, theme.dim()));
        }
        None => spans.push(Span::styled("nothing deployed ", theme.dim())),
    }
    if let Some(l) = e
        .latest
        .as_ref()
        .filter(|l| e.pending.as_ref().is_none_or(|p| p.sha != l.sha))
    {
        let h = match l.state.as_str() {
            "failure" | "error" => Health::Error,
            _ => Health::Pending,
        };
        spans.push(Span::styled(
            format!(
                "→ {} {}{} ",
                sanitize(l.sha.get(..7).unwrap_or(&l.sha)),
                sanitize(&deployment_state_words(&l.state)),
                if e.attempts > 1 {
                    format!(" ({} attempts)", e.attempts)
                } else {
                    String::new()
                }
            ),
            theme.health(h),
        ));
    }
    if let Some(err) = &e.error {
        spans.push(Span::styled(
            format!("⚠ {} ", sanitize(err)),
            theme.warning(),
        ));
    }
    if let Some(p) = &e.pending {
        let reviewers = p
            .reviewers
            .iter()
            .map(|r| sanitize(r))
            .collect::<Vec<_>>()
            .join(", ");
        let can = p.can_approve && !anonymous(state);
        let who = if can {
            review_keys(state)
        } else if anonymous(state) {
            "a token is needed to approve".to_owned()
        } else if reviewers.is_empty() {
            "a required reviewer must approve".to_owned()
        } else {
            format!("only {reviewers} can approve")
        };
        let gate = p.gate.words();
        let short = if let Some(gate) = &gate {
            // a timer or a rule: nobody approves, it says what it waits for
            format!("waits for {gate}")
        } else if can {
            format!("approve? {}", key(state, Action::Promote))
        } else if reviewers.is_empty() {
            "needs a reviewer".to_owned()
        } else {
            format!("needs {reviewers}")
        };
        let sha = sanitize(p.sha.get(..7).unwrap_or(&p.sha));
        let n = p.run_number;
        // the longest wording that fits whole: a sentence is never cut in the middle
        let mut forms = if gate.is_some() {
            vec![format!("⏸ #{n} {sha} {short}"), format!("⏸ #{n} {short}")]
        } else {
            vec![
                format!("⏸ #{n} {sha} awaits approval — {who}"),
                format!("⏸ #{n} awaits approval — {who}"),
                format!("⏸ #{n} {short}"),
            ]
        };
        if compact {
            let keep = forms.len() - 1;
            forms.drain(..keep);
        }
        let cells = |f: &String| unicode_width::UnicodeWidthStr::width(f.as_str());
        let room = |spans: &[Span]| line_w.saturating_sub(spans.iter().map(Span::width).sum());
        let mut optional = optional.into_iter();
        let text = loop {
            let r = room(&spans);
            if let Some(f) = forms.iter().find(|f| cells(f) <= r) {
                break f.clone();
            }
            match optional.next() {
                Some(i) => spans[i].content = "".into(),
                None => break crate::text::fit(&format!("⏸ #{n} {short}"), r),
            }
        };
        spans.push(Span::styled(text, theme.health(Health::Warn)));
    }
    Line::from(spans)
}

fn stats_line(state: &State, snap: &PipelineSnapshot, compact: bool) -> Line<'static> {
    let s = &snap.stats;
    let median = s
        .median_deploy_secs
        .map(duration)
        .unwrap_or_else(|| "–".into());
    let rate = match s.success_rate() {
        Some(r) => format!(
            "{:.0}% ({}/{} runs)",
            r * 100.0,
            s.succeeded_runs,
            s.finished_runs
        ),
        None => "–".into(),
    };
    let text = if compact {
        let rate = s
            .success_rate()
            .map_or("–".into(), |r| format!("{:.0}%", r * 100.0));
        format!(
            "deploy {median} · ok {rate} · rollbacks {}/{}",
            s.rollbacks, s.deployments
        )
    } else {
        format!(
            "deploy median {median} · success {rate} · rollbacks {}/{} deploys",
            s.rollbacks, s.deployments
        )
    };
    Line::styled(text, state.theme.dim())
}
