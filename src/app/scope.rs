//! Where the console looks — a kube context and a namespace — chosen as kubectl and k9s
//! choose it, and the environment that place is in: *derived* from the context and
//! namespace every time it is asked, never remembered, so a label cannot say `dev` while
//! the console acts on prod. Pure.

use super::state::{Scope, State};
use crate::config::{Config, Environment};
use crate::sources::kube::KubeContexts;

/// kubectl's namespace for a context that names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// What the command line says about the scope: `--context`, `-n/--namespace`, `-A`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFlags {
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
}

impl ScopeFlags {
    fn any(&self) -> bool {
        self.context.is_some() || self.namespace.is_some() || self.all_namespaces
    }
}

/// The cluster's namespaces as the namespaces source reported them (for `:ns`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NamespaceList {
    /// Nothing heard yet for this context.
    #[default]
    Unknown,
    Listed(Vec<String>),
    /// Listing is forbidden (or failed): `:ns` completes from kubeconfig and config.
    Unavailable(String),
}

/// The context used when nothing names one: `[kube] context`, else the kubeconfig's
/// `current-context`.
pub fn default_context(config: &Config, kube: &KubeContexts) -> Option<String> {
    config.kube.context.clone().or_else(|| kube.current.clone())
}

/// The namespace a context opens on: its `namespace:`, else `default` (as kubectl).
pub fn context_namespace(kube: &KubeContexts, context: Option<&str>) -> String {
    context
        .and_then(|c| kube.get(c))
        .and_then(|c| c.namespace.clone())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// The context and namespace an environment stands for: its `context` (omitted: the
/// default context) and its `namespace` (omitted: that context's namespace).
pub fn environment_scope(
    config: &Config,
    kube: &KubeContexts,
    env: &Environment,
) -> (Option<String>, String) {
    let context = env
        .context
        .clone()
        .or_else(|| default_context(config, kube));
    let namespace = env
        .namespace
        .clone()
        .unwrap_or_else(|| context_namespace(kube, context.as_deref()));
    (context, namespace)
}

/// The first `[[environment]]` whose context and namespace are exactly these, or none.
/// All namespaces (`None`) is in no environment.
pub fn environment_at<'a>(
    config: &'a Config,
    kube: &KubeContexts,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Option<&'a Environment> {
    let namespace = namespace?;
    let context = context
        .map(str::to_owned)
        .or_else(|| default_context(config, kube));
    config.environments.iter().find(|env| {
        let (c, n) = environment_scope(config, kube, env);
        c == context && n == namespace
    })
}

/// The environment the console is in now, derived from the scope.
pub fn environment(state: &State) -> Option<&Environment> {
    environment_at(
        &state.config,
        &state.kubeconfig,
        state.scope.context.as_deref(),
        state.scope.namespace.as_deref(),
    )
}

/// The protected environment an object in `context`/`namespace` belongs to, if any. An
/// operation there asks for the object's name to be typed.
pub fn protected_environment<'a>(
    state: &'a State,
    context: Option<&str>,
    namespace: &str,
) -> Option<&'a Environment> {
    environment_at(&state.config, &state.kubeconfig, context, Some(namespace))
        .filter(|e| e.is_protected())
}

/// The scope the console starts on. Flags win; then `[ui] start`; then `[kube] context`
/// and `[kube] namespace`; then the kubeconfig's current context and its namespace.
/// Returns warnings for what could not be followed.
pub fn start_scope(
    config: &Config,
    kube: &KubeContexts,
    flags: &ScopeFlags,
) -> (Scope, Vec<String>) {
    let mut warnings = Vec::new();
    let default = default_context(config, kube);
    let (context, namespace) = if flags.any() {
        let context = flags.context.clone().or(default);
        let namespace = if flags.all_namespaces || flags.namespace.as_deref() == Some("all") {
            None
        } else {
            Some(
                flags
                    .namespace
                    .clone()
                    .unwrap_or_else(|| context_namespace(kube, context.as_deref())),
            )
        };
        (context, namespace)
    } else if let Some(env) = config
        .ui
        .start
        .as_deref()
        .and_then(|name| config.environments.iter().find(|e| e.name == name))
    {
        let (c, n) = environment_scope(config, kube, env);
        (c, Some(n))
    } else {
        if let Some(name) = &config.ui.start {
            warnings.push(format!(
                "[ui] start = \"{name}\" names no [[environment]]; starting on the kubeconfig's context"
            ));
        }
        let namespace = config
            .kube
            .namespace
            .clone()
            .unwrap_or_else(|| context_namespace(kube, default.as_deref()));
        (default, Some(namespace))
    };
    if let Some(c) = &context
        && !kube.contexts.is_empty()
        && kube.get(c).is_none()
    {
        warnings.push(format!("kube context `{c}` is not in the kubeconfig"));
    }
    let scope = Scope {
        context,
        namespace,
        ..Scope::default()
    };
    (scope, warnings)
}

/// `:ctx NAME`: that context, on its own namespace (as `kubectl config use-context`).
pub fn switch_context(state: &mut State, name: &str) -> Result<(), String> {
    let known = &state.kubeconfig.contexts;
    if !known.is_empty() && state.kubeconfig.get(name).is_none() {
        let names: Vec<&str> = known.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "no context `{name}` in the kubeconfig: {}",
            names.join(", ")
        ));
    }
    if state.scope.context.as_deref() != Some(name) {
        state.namespaces = NamespaceList::Unknown;
    }
    state.scope.context = Some(name.to_owned());
    state.scope.namespace = Some(context_namespace(&state.kubeconfig, Some(name)));
    Ok(())
}

/// `:ns NAME` (`all`: every namespace), on the same context.
pub fn switch_namespace(state: &mut State, name: &str) {
    state.scope.namespace = (name != "all").then(|| name.to_owned());
}

/// `:env NAME`: the environment's context and namespace.
pub fn switch_environment(state: &mut State, name: &str) -> Result<(), String> {
    let Some(env) = state.config.environments.iter().find(|e| e.name == name) else {
        let names: Vec<&str> = state
            .config
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let known = if names.is_empty() {
            "none configured ([[environment]] in config.toml)".to_owned()
        } else {
            names.join(", ")
        };
        return Err(format!("unknown environment `{name}`: {known}"));
    };
    let (context, namespace) = environment_scope(&state.config, &state.kubeconfig, env);
    if state.scope.context != context {
        state.namespaces = NamespaceList::Unknown;
    }
    state.scope.context = context;
    state.scope.namespace = Some(namespace);
    Ok(())
}

/// `:ctx` completions: every context of the merged kubeconfig (or, when none could be
/// read, the contexts config.toml names).
pub fn context_names(state: &State) -> Vec<String> {
    let mut v: Vec<String> = state
        .kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.clone())
        .collect();
    if v.is_empty() {
        v.extend(
            state
                .config
                .environments
                .iter()
                .filter_map(|e| e.context.clone()),
        );
        v.extend(state.config.kube.context.clone());
        v.extend(state.scope.context.clone());
    }
    v.sort();
    v.dedup();
    v
}

/// `:ns` completions: the cluster's namespaces when they can be listed; else the current
/// context's namespace and the namespaces config.toml names. Always `all`.
pub fn namespace_names(state: &State) -> Vec<String> {
    let mut v: Vec<String> = match &state.namespaces {
        NamespaceList::Listed(names) => names.clone(),
        NamespaceList::Unknown | NamespaceList::Unavailable(_) => {
            let mut v = vec![context_namespace(
                &state.kubeconfig,
                state.scope.context.as_deref(),
            )];
            v.extend(state.scope.namespace.clone());
            v.extend(state.config.kube.namespace.clone());
            v.extend(
                state
                    .config
                    .environments
                    .iter()
                    .filter_map(|e| e.namespace.clone()),
            );
            v
        }
    };
    v.push("all".into());
    v.sort();
    v.dedup();
    v
}

/// The scope's namespace when the cluster's list of namespaces (listed, not a fallback)
/// does not hold it: `-n nosuchns`, `:ns typo`.
pub fn missing_namespace(state: &State) -> Option<&str> {
    let NamespaceList::Listed(names) = &state.namespaces else {
        return None;
    };
    let ns = state.scope.namespace.as_deref()?;
    (!names.iter().any(|n| n == ns)).then_some(ns)
}

/// What the console says of a namespace the cluster does not have.
pub fn missing_namespace_text(state: &State) -> Option<String> {
    let ns = missing_namespace(state)?;
    let context = state
        .scope
        .context
        .as_deref()
        .unwrap_or("the current context");
    Some(format!(
        "namespace {ns} not found in context {context} (:ns lists the namespaces)"
    ))
}

/// The namespaces source answered (for the scope's generation).
pub fn on_namespaces(state: &mut State, msg: crate::sources::kube::model::NamespacesMsg) {
    use crate::sources::kube::model::NamespacesMsg as M;
    match msg {
        M::Names(names) => {
            let was_missing = missing_namespace(state).is_some();
            state.namespaces = NamespaceList::Listed(names);
            // said once when it becomes known, and in the Workloads pane while it lasts
            if !was_missing && let Some(text) = missing_namespace_text(state) {
                state.set_flash(super::state::FlashLevel::Warn, text);
            }
            state.dirty = true;
        }
        M::Forbidden(why) => state.namespaces = NamespaceList::Unavailable(why),
        // a failure after a good list keeps the list
        M::Failed(why) => {
            if !matches!(state.namespaces, NamespaceList::Listed(_)) {
                state.namespaces = NamespaceList::Unavailable(why);
            }
        }
    }
}

/// The context an operation names: the scope's, else config's, else `(current context)`.
pub fn kube_context(state: &State) -> String {
    state
        .scope
        .context
        .clone()
        .or_else(|| state.config.kube.context.clone())
        .unwrap_or_else(|| "(current context)".into())
}
