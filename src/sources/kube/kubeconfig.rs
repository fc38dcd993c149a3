//! Which kubeconfig the console reads, and what its contexts say. Loading is kube's own
//! (`Kubeconfig::read_from` per file, `Kubeconfig::merge` across a `KUBECONFIG` list, as
//! kubectl merges: the first file wins for each context, cluster and user name, and the
//! current context comes from the first file that sets one). Every client of the console
//! (workloads, logs, namespaces, operations) is built from this one choice.

use std::path::PathBuf;

use kube::config::Kubeconfig;

use super::client::KubeError;

/// One context of the merged kubeconfig: its name and its `namespace:` (if it sets one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextInfo {
    pub name: String,
    pub namespace: Option<String>,
}

/// What the merged kubeconfig says about contexts; plain data for `State`. No secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeContexts {
    /// `current-context` of the first file that sets one.
    pub current: Option<String>,
    /// Every context, in the order kubectl lists them (first file first).
    pub contexts: Vec<ContextInfo>,
    /// Why nothing could be read (no file, a bad file), for the console log.
    pub error: Option<String>,
}

impl KubeContexts {
    pub fn get(&self, name: &str) -> Option<&ContextInfo> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The contexts of a parsed kubeconfig (tests and the demo use the sandbox's).
    pub fn of(kc: &Kubeconfig) -> KubeContexts {
        KubeContexts {
            current: kc.current_context.clone().filter(|c| !c.is_empty()),
            contexts: kc
                .contexts
                .iter()
                .map(|c| ContextInfo {
                    name: c.name.clone(),
                    namespace: c
                        .context
                        .as_ref()
                        .and_then(|x| x.namespace.clone())
                        .filter(|n| !n.is_empty()),
                })
                .collect(),
            error: None,
        }
    }
}

/// The kubeconfig files to read, in order: `[kube] kubeconfig` (which `--kubeconfig`
/// replaces), else `$KUBECONFIG` (a path list, merged like kubectl does), else
/// `~/.kube/config`.
pub fn kubeconfig_paths(config: &crate::config::Config) -> Vec<PathBuf> {
    if let Some(p) = &config.kube.kubeconfig {
        return vec![p.clone()];
    }
    if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let mut paths: Vec<PathBuf> = Vec::new();
        for p in std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()) {
            // kubectl reads a file named twice once
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        return paths;
    }
    directories::BaseDirs::new()
        .map(|b| vec![b.home_dir().join(".kube").join("config")])
        .unwrap_or_default()
}

/// Reads and merges the kubeconfig files. Files of a `KUBECONFIG` list that do not exist
/// are skipped (as kubectl does); a file that exists but does not parse is an error.
pub fn read_merged(config: &crate::config::Config) -> Result<Kubeconfig, KubeError> {
    read_files(&kubeconfig_paths(config))
}

/// Reads and merges these kubeconfig files, in order (what `KUBECONFIG=a:b` reads).
pub fn read_files(tried: &[PathBuf]) -> Result<Kubeconfig, KubeError> {
    let mut merged: Option<Kubeconfig> = None;
    for path in tried.iter().filter(|p| p.is_file()) {
        let mut kc = Kubeconfig::read_from(path).map_err(|e| KubeError::Kubeconfig {
            path: path.clone(),
            error: e.to_string(),
        })?;
        // `current-context: ""` sets nothing: a later file may still set it
        if kc.current_context.as_deref() == Some("") {
            kc.current_context = None;
        }
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc).map_err(|e| KubeError::Kubeconfig {
                path: path.clone(),
                error: e.to_string(),
            })?,
        });
    }
    merged.ok_or_else(|| KubeError::NoKubeconfig {
        tried: tried.to_vec(),
    })
}

/// The contexts of the merged kubeconfig; never fails (the error is kept to be shown).
pub fn read_contexts(config: &crate::config::Config) -> KubeContexts {
    match read_merged(config) {
        Ok(kc) => KubeContexts::of(&kc),
        Err(e) => KubeContexts {
            error: Some(e.to_string()),
            ..KubeContexts::default()
        },
    }
}
