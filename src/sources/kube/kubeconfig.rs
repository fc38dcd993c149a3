//! Which kubeconfig the console reads, and what its contexts say. Loading is kube's own
//! (`Kubeconfig::read_from` per file, `Kubeconfig::merge` across a `KUBECONFIG` list, as
//! kubectl merges: the first file wins for each context, cluster and user name, and the
//! current context comes from the first file that sets one). Every client of the console
//! (workloads, logs, namespaces, operations) is built from this one choice.

use std::path::PathBuf;

use kube::config::Kubeconfig;

use super::error::KubeError;

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
            error: error_text(&e),
        })?;
        // `current-context: ""` sets nothing: a later file may still set it
        if kc.current_context.as_deref() == Some("") {
            kc.current_context = None;
        }
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc).map_err(|e| KubeError::Kubeconfig {
                path: path.clone(),
                error: error_text(&e),
            })?,
        });
    }
    merged.ok_or_else(|| KubeError::NoKubeconfig {
        tried: tried.to_vec(),
    })
}

/// A kubeconfig error as one line without secrets. kube's YAML errors go on, after their
/// first line, to quote the file around the bad line (tokens and key data with it); the
/// first line already says what is wrong, and at which line and column.
pub fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    let first = text.lines().next().unwrap_or_default().trim_end();
    crate::secret::redact(first).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

    fn config_for(path: &std::path::Path) -> crate::config::Config {
        let mut c = crate::config::Config::default();
        c.kube.kubeconfig = Some(path.to_owned());
        c
    }

    /// kube's parse error quotes the lines around the bad one, the token's among them: what
    /// the console shows (and logs) says what and where, and nothing of the token.
    #[test]
    fn a_malformed_kubeconfig_error_names_file_and_line_but_not_the_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kubeconfig");
        let cases = [
            // a syntax error right below the token
            format!("apiVersion: v1\nusers:\n- name: u\n  user:\n    token: {TOKEN}\n  bad: [\n"),
            // a wrong type two lines below it
            format!(
                "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: {TOKEN}\n    client-key-data: [1, 2]\n"
            ),
            // the token itself of the wrong type
            format!("apiVersion: v1\nusers:\n- name: u\n  user:\n    token: [{TOKEN}]\n"),
        ];
        for (src, line) in cases.iter().zip(["line 6", "line 6", "line 5"]) {
            std::fs::write(&path, src).expect("write");
            let raw = Kubeconfig::read_from(&path)
                .expect_err("malformed")
                .to_string();
            assert!(
                raw.contains(TOKEN),
                "kube's own text quotes the token: {raw}"
            );

            let shown = read_contexts(&config_for(&path))
                .error
                .expect("an error to show");
            assert!(!shown.contains("sk_live"), "{shown}");
            assert!(!shown.contains('\n'), "one line: {shown}");
            assert!(
                shown.contains(&path.display().to_string()) && shown.contains(line),
                "says where: {shown}"
            );
            assert!(shown.contains("YAML"), "says what: {shown}");
        }
    }
}
