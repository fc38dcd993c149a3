//! The keys that dialogs, the palette and the filter line name in their hints, from the
//! active keymap: `C-n/C-p pick · C-g cancel` under emacs, never a fixed `j/k`. Pure.

use crate::action::Action;
use crate::config::Keymap;
use crate::config::keymap::KeyContext;

use super::dialog::Dialog;

/// The fixed way out of every dialog and prompt, whatever the keymap binds.
pub const ESC: &str = "esc";

/// The keys a dialog's footer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogKeys {
    /// Moves through a picker: `j/k`.
    pub pick: String,
    /// Takes the pick and goes on: `enter`.
    pub next: String,
    /// Fires the operation: `y`.
    pub confirm: String,
    /// The way out the footer names: esc where the keymap binds it to cancel (it always
    /// works), else the keymap's own cancel key (`C-g`).
    pub cancel: String,
    /// The cancel keys as the confirmation names them: `n/esc`.
    pub cancel_or_esc: String,
    /// One more / one fewer replica: `+/-`.
    pub step: String,
    /// The alternative a confirmation may offer: `h`.
    pub alternative: String,
}

/// The display string of the first key bound to `action` in `ctx` (then `global`), or
/// the action's name where nothing binds it (then the palette has no way to it either,
/// but the hint does not lie).
pub fn key(keymap: &Keymap, ctx: KeyContext, action: Action) -> String {
    keymap
        .key_for(ctx, action)
        .unwrap_or_else(|| action.to_string())
}

impl DialogKeys {
    pub fn of(keymap: &Keymap) -> DialogKeys {
        let k = |a| key(keymap, KeyContext::Dialog, a);
        let cancels = keymap.keys_for(KeyContext::Dialog, Action::Cancel);
        let cancel = if cancels.is_empty() || cancels.iter().any(|c| c == ESC) {
            ESC.to_owned()
        } else {
            cancels[0].clone()
        };
        let cancel_or_esc = match cancels.iter().find(|c| *c != ESC) {
            Some(c) => format!("{c}/{ESC}"),
            None => ESC.to_owned(),
        };
        DialogKeys {
            pick: format!("{}/{}", k(Action::SelectDown), k(Action::SelectUp)),
            next: k(Action::DialogNext),
            confirm: k(Action::Confirm),
            cancel,
            cancel_or_esc,
            step: format!(
                "{}/{}",
                k(Action::DialogIncrease),
                k(Action::DialogDecrease)
            ),
            alternative: k(Action::DialogAlternative),
        }
    }
}

/// The key line at the bottom of `dialog` (for the audit viewer: its title).
pub fn dialog_footer(keymap: &Keymap, dialog: &Dialog) -> String {
    let k = DialogKeys::of(keymap);
    match dialog {
        Dialog::Planning { .. } => format!("{} cancels", k.cancel),
        Dialog::Quit => format!("{}/{} quit · {} stay", k.next, k.confirm, k.cancel),
        Dialog::Confirm { plan, .. } => {
            if plan.refused.is_some() {
                match &plan.alternative {
                    Some(a) => format!(
                        "{} closes · {} {}",
                        k.cancel,
                        k.alternative,
                        a.alternative_label()
                    ),
                    None => format!("{} closes", k.cancel),
                }
            } else if plan.type_to_confirm.is_some() {
                let alt = match &plan.alternative {
                    Some(crate::ops::Operation::Delete { propagation, .. }) => {
                        format!(" · tab {} instead", propagation.cascade())
                    }
                    _ => String::new(),
                };
                format!("{} confirms · {} cancels{alt}", k.next, k.cancel)
            } else {
                let alt = match &plan.alternative {
                    Some(a) => format!(" · {} {}", k.alternative, a.alternative_label()),
                    None => String::new(),
                };
                format!("{} confirm · {} cancel{alt}", k.confirm, k.cancel_or_esc)
            }
        }
        Dialog::Replicas { .. } => format!(
            "digits type · {} step · {} next · {} cancel",
            k.step, k.next, k.cancel
        ),
        Dialog::Revisions { .. } | Dialog::HostMenu { .. } | Dialog::Backups { .. } => {
            format!("{} pick · {} next · {} cancel", k.pick, k.next, k.cancel)
        }
        Dialog::Audit { .. } => format!(" audit log · {} scroll · {} closes ", k.pick, k.cancel),
    }
}

/// The filter line's hint: `  enter keeps · esc clears` (esc is fixed).
pub fn filter_hint(keymap: &Keymap) -> String {
    format!(
        "  {} keeps · {ESC} clears",
        key(keymap, KeyContext::Prompt, Action::PromptAccept)
    )
}

/// The palette's title: ` command · tab completes · enter runs `.
pub fn palette_title(keymap: &Keymap) -> String {
    format!(
        " command · {} completes · {} runs ",
        key(keymap, KeyContext::Prompt, Action::PromptComplete),
        key(keymap, KeyContext::Prompt, Action::PromptAccept)
    )
}

/// The Workloads YAML view's key line:
/// `read-only · / search · n N matches · r refresh · esc back`.
pub fn yaml_hint(keymap: &Keymap) -> String {
    let k = |a| key(keymap, KeyContext::Workloads, a);
    format!(
        "read-only · {} search · {} {} matches · {} refresh · {ESC} back",
        k(Action::Filter),
        k(Action::WorkloadsSearchNext),
        k(Action::WorkloadsSearchPrev),
        k(Action::Restart)
    )
}

/// The describe page's line of keys.
pub fn describe_hint(keymap: &Keymap) -> String {
    let k = |a| key(keymap, KeyContext::Workloads, a);
    format!(
        "{} search · {} {} matches · {} YAML · {} refresh · {ESC} back",
        k(Action::Filter),
        k(Action::WorkloadsSearchNext),
        k(Action::WorkloadsSearchPrev),
        k(Action::WorkloadsYaml),
        k(Action::Restart)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::picker::Picker;
    use crate::ops::{Operation, Plan, Target};

    fn keymaps() -> (Keymap, Keymap) {
        let (assets, _, _) = crate::config::load_assets(None);
        (
            assets.keymaps["default"].clone(),
            assets.keymaps["emacs"].clone(),
        )
    }

    fn confirm(typed: bool, alternative: bool) -> Dialog {
        let target = Target {
            context: "c".into(),
            namespace: "n".into(),
            name: "checkout".into(),
        };
        let op = Operation::Restart {
            target,
            resource_version: None,
        };
        Dialog::Confirm {
            plan: Box::new(Plan {
                title: "Restart".into(),
                before: String::new(),
                after: String::new(),
                notes: Vec::new(),
                refused: None,
                type_to_confirm: typed.then(|| "checkout".into()),
                alternative: alternative.then(|| op.clone()),
                op,
            }),
            typed: String::new(),
        }
    }

    fn picker() -> Dialog {
        Dialog::Backups {
            service: "api".into(),
            backups: Picker::new(vec!["b1".into()], 0),
        }
    }

    /// Under the default keymap every footer reads as it always has.
    #[test]
    fn default_footers_are_unchanged() {
        let (default, _) = keymaps();
        let f = |d: &Dialog| dialog_footer(&default, d);
        assert_eq!(f(&picker()), "j/k pick · enter next · esc cancel");
        assert_eq!(f(&confirm(false, false)), "y confirm · n/esc cancel");
        assert_eq!(
            f(&confirm(false, true)),
            "y confirm · n/esc cancel · h change the HPA min/max instead"
        );
        assert_eq!(f(&confirm(true, false)), "enter confirms · esc cancels");
        assert_eq!(f(&Dialog::Quit), "enter/y quit · esc stay");
        assert_eq!(
            f(&Dialog::Audit {
                lines: Picker::default()
            }),
            " audit log · j/k scroll · esc closes "
        );
        let replicas = Dialog::Replicas {
            target: Target {
                context: String::new(),
                namespace: String::new(),
                name: String::new(),
            },
            current: 1,
            input: "1".into(),
            selected: true,
            kind: crate::sources::kube::WorkloadKind::Deployment,
        };
        assert_eq!(
            f(&replicas),
            "digits type · +/- step · enter next · esc cancel"
        );
        assert_eq!(filter_hint(&default), "  enter keeps · esc clears");
        assert_eq!(
            palette_title(&default),
            " command · tab completes · enter runs "
        );
        assert_eq!(
            yaml_hint(&default),
            "read-only · / search · n N matches · r refresh · esc back"
        );
    }

    #[test]
    fn footers_follow_the_emacs_keymap() {
        let (_, emacs) = keymaps();
        let f = |d: &Dialog| dialog_footer(&emacs, d);
        assert_eq!(f(&picker()), "C-n/C-p pick · enter next · C-g cancel");
        assert_eq!(f(&confirm(false, false)), "y confirm · C-g/esc cancel");
        assert_eq!(f(&confirm(true, false)), "enter confirms · C-g cancels");
        assert_eq!(
            f(&Dialog::Audit {
                lines: Picker::default()
            }),
            " audit log · C-n/C-p scroll · C-g closes "
        );
        assert_eq!(
            yaml_hint(&emacs),
            "read-only · C-s search · C-r A-n matches · A-R refresh · esc back"
        );
        assert_eq!(
            palette_title(&emacs),
            " command · tab completes · enter runs "
        );
    }

    #[test]
    fn footers_follow_a_user_keymap() {
        let (mut km, _) = keymaps();
        let (user, diags) = crate::config::keymap::parse(
            "mine",
            "mine.toml",
            "[keys.dialog]\nenter = \"noop\"\nspace = \"dialog.next\"\nesc = \"noop\"\n\
             n = \"noop\"\nq = \"noop\"\nx = \"dialog.cancel\"\n[keys.prompt]\nC-j = \"prompt.accept\"\nenter = \"noop\"\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        km.merge(&user.keymap);
        assert_eq!(
            dialog_footer(&km, &picker()),
            "j/k pick · space next · x cancel"
        );
        assert_eq!(
            dialog_footer(&km, &confirm(false, false)),
            "y confirm · x/esc cancel"
        );
        assert_eq!(filter_hint(&km), "  C-j keeps · esc clears");
    }
}
