//! The YAML view (`y`): the selected object as the API returns it, fetched on demand,
//! read-only, scrollable and searchable. Pure: the GET is an [`Effect::FetchObject`], its
//! answer an [`crate::app::Event::Object`].

use crate::action::Action;
use crate::app::event::Effect;
use crate::app::state::{Overlay, Prompt, State};
use crate::pane::PaneId;
use crate::sources::kube::model::{ObjKey, ObjectMsg, ObjectRequest, WorkloadKind};

use super::model::Section;
use super::views::{current_workload, visible_pods};

pub use super::model::YamlView;

impl YamlView {
    /// Lines of the body: the pane's inner height less the position line.
    pub fn page(state: &State) -> usize {
        let l = crate::app::layout::compute(state.size, state);
        let h = l.rect(PaneId::Workloads).map_or(20, |r| r.height);
        (h.saturating_sub(3) as usize).max(1)
    }

    /// The first line a page can start at so the last page is full.
    pub(super) fn max_scroll(&self, page: usize) -> usize {
        self.lines.len().saturating_sub(page)
    }

    pub(super) fn find(&mut self) {
        self.matches.clear();
        self.current = None;
        let needle = self.search.to_lowercase();
        if needle.is_empty() {
            return;
        }
        self.matches = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
    }

    /// Moves to the match after (`forward`) or before the current one, wrapping; the first
    /// one from the top of the page when none is current.
    fn step(&mut self, forward: bool, page: usize) {
        if self.matches.is_empty() {
            return;
        }
        let n = self.matches.len();
        let next = match self.current {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => self
                .matches
                .iter()
                .position(|&l| l >= self.scroll)
                .unwrap_or(0),
            None => self
                .matches
                .iter()
                .rposition(|&l| l < self.scroll + page)
                .unwrap_or(n - 1),
        };
        self.current = Some(next);
        self.reveal(self.matches[next], page);
    }

    /// Scrolls so that `line` is on screen, with a little context above it.
    fn reveal(&mut self, line: usize, page: usize) {
        if line < self.scroll || line >= self.scroll + page {
            self.scroll = line.saturating_sub(2).min(self.max_scroll(page));
        }
    }
}

/// The object under the cursor: a row of any kind, or a pod in a pods list.
pub(super) fn selected(state: &State) -> Option<(WorkloadKind, ObjKey)> {
    match &state.workloads.section {
        Section::Deployments => current_workload(state).map(|w| (w.kind, w.key)),
        Section::Pods { .. } => {
            let pods = visible_pods(state);
            let sel = state
                .pane(PaneId::Workloads)
                .selected
                .min(pods.len().saturating_sub(1));
            pods.get(sel).map(|p| (WorkloadKind::Pod, p.key.clone()))
        }
    }
}

pub(super) fn request(state: &State, view: &YamlView) -> Effect {
    let req = ObjectRequest {
        generation: state.generation,
        kind: view.kind,
        key: view.key.clone(),
        resource: view.resource.clone(),
    };
    if view.describe {
        Effect::FetchDescribe(req)
    } else {
        Effect::FetchObject(req)
    }
}

/// Opens the view of one object of any resource (the generic view's `enter`) and asks
/// for it.
pub fn open_resource(
    state: &mut State,
    resource: crate::sources::kube::model::ApiResource,
    key: ObjKey,
) -> Vec<Effect> {
    let view = YamlView {
        key,
        resource: Some(resource),
        loading: true,
        ..Default::default()
    };
    let effect = request(state, &view);
    state.workloads.detail = None;
    state.workloads.yaml = Some(view);
    state.dirty = true;
    vec![effect]
}

/// `y` on the table: opens the view of the selection and asks for the object.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some((kind, key)) = selected(state) else {
        state.set_flash(
            crate::app::state::FlashLevel::Info,
            "nothing selected to show as YAML".into(),
        );
        return Vec::new();
    };
    let view = YamlView {
        kind,
        key,
        loading: true,
        ..Default::default()
    };
    let effect = request(state, &view);
    state.workloads.detail = None;
    state.workloads.yaml = Some(view);
    state.dirty = true;
    vec![effect]
}

/// The view's keys while it is open; `None` leaves the action to the generic handler
/// (pane focus, help, palette, quit with C-c).
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let page = YamlView::page(state);
    let view = state.workloads.yaml.as_mut()?;
    let max = view.max_scroll(page);
    match action {
        Action::SelectDown => view.scroll = (view.scroll + 1).min(max),
        Action::SelectUp => view.scroll = view.scroll.saturating_sub(1),
        Action::PageDown => view.scroll = (view.scroll + page).min(max),
        Action::PageUp => view.scroll = view.scroll.saturating_sub(page),
        Action::SelectTop => view.scroll = 0,
        Action::SelectBottom => view.scroll = max,
        Action::WorkloadsSearchNext => view.step(true, page),
        Action::WorkloadsSearchPrev => view.step(false, page),
        // `r` (restart elsewhere) and `y` again: fetch it anew
        Action::Restart | Action::WorkloadsYaml | Action::WorkloadsDescribe => {
            // `y` on a describe page shows the object's YAML, `d` on the YAML its page
            match action {
                Action::WorkloadsYaml if view.describe => view.describe = false,
                Action::WorkloadsDescribe if !view.describe => view.describe = true,
                _ => {}
            }
            view.loading = true;
            let effect = request(state, state.workloads.yaml.as_ref()?);
            state.dirty = true;
            return Some(vec![effect]);
        }
        Action::Filter => {
            let current = view.search.clone();
            state.overlay = Overlay::Filter(Prompt::with(&current));
        }
        Action::Back => state.workloads.yaml = None,
        // what acts on the table (enter, pods, sort, operations on the selection) waits
        // until the view is closed
        Action::Open
        | Action::WorkloadsPods
        | Action::WorkloadsSort
        | Action::Rollback
        | Action::Scale
        | Action::Promote
        | Action::WorkloadsTrigger
        | Action::WorkloadsSuspend
        | Action::WorkloadsDeletePod => {}
        _ => return None,
    }
    state.dirty = true;
    Some(Vec::new())
}

/// The `/` prompt's text while the view is open: the search pattern, applied as typed
/// (the first match at or below the top of the page is shown).
pub fn set_search(state: &mut State, text: &str) {
    let page = YamlView::page(state);
    if let Some(view) = state.workloads.yaml.as_mut() {
        view.search = text.to_owned();
        view.find();
        view.step(true, page);
        state.dirty = true;
    }
}

/// The GET's answer, if the view still shows that object.
pub fn on_msg(state: &mut State, msg: ObjectMsg) -> Vec<Effect> {
    let page = YamlView::page(state);
    let Some(view) = state.workloads.yaml.as_mut() else {
        return Vec::new();
    };
    if view.describe
        || view.kind != msg.kind
        || view.key != msg.key
        || view.resource != msg.resource
    {
        return Vec::new();
    }
    view.loading = false;
    match msg.result {
        Ok(lines) => {
            view.error = None;
            view.lines = lines
                .iter()
                .map(|l| crate::text::sanitize(&l.replace('\t', "    ")))
                .collect();
            view.find();
            view.scroll = view.scroll.min(view.max_scroll(page));
        }
        Err(e) => view.error = Some(crate::text::sanitize(&e)),
    }
    state.dirty = true;
    Vec::new()
}
