//! The operation keys on a Deployment of the Workloads pane: rollback (the revision
//! picker, or the blue-green switch back), scale, restart, promote (blue-green), the host
//! actions. Each builds a dialog or an operation and returns it as an intent. Pure.

use crate::action::Action;
use crate::app::dialog::{Dialog, RevisionRow};
use crate::app::intent::Intent;
use crate::app::state::{FlashLevel, State};
use crate::ops::{Operation, Placeholders, Target};
use crate::sources::kube::WorkloadKind;
use crate::sources::kube::model::DeploymentRow;

/// The colour label of a blue-green deployment and its Service (named by `app`).
/// A deployment of a blue-green pair: (the Service named by its `app` label, the colour
/// label's key, its colour). The plan checks that the Service really selects on that label.
fn blue_green(d: &DeploymentRow) -> Option<(String, String, String)> {
    let (key, colour) = ["color", "colour"]
        .iter()
        .find_map(|k| d.labels.get(*k).map(|v| (k.to_string(), v.clone())))?;
    let service = d.labels.get("app")?.clone();
    Some((service, key, colour))
}

fn other_colour(c: &str) -> Option<String> {
    match c {
        "blue" => Some("green".into()),
        "green" => Some("blue".into()),
        _ => None,
    }
}

/// An operation key on the Deployment `d`.
pub fn on_action(state: &mut State, d: &DeploymentRow, action: Action) -> Vec<Intent> {
    let target = Target {
        context: crate::app::scope::kube_context(state),
        namespace: d.key.namespace.clone(),
        name: d.key.name.clone(),
    };
    match action {
        Action::Rollback => {
            if let Some((service, label, colour)) = blue_green(d) {
                let Some(to) = other_colour(&colour) else {
                    state.set_flash(FlashLevel::Warn,
                        format!(
                            "{label}={colour}: not blue or green, so there is no other side to switch back to"
                        ),
                    );
                    return Vec::new();
                };
                let op = Operation::Switch {
                    target: Target {
                        name: service,
                        ..target
                    },
                    label,
                    to,
                    resource_version: None,
                };
                return vec![Intent::Plan(op)];
            }
            let rows: Vec<RevisionRow> = state
                .cluster
                .replicasets_of(&d.key)
                .iter()
                .filter_map(|rs| {
                    RevisionRow::of_replicaset(rs, state.now, rs.revision == d.revision)
                })
                .collect();
            if rows.len() < 2 {
                // no history in view: let the executor find the previous revision
                return vec![Intent::Plan(Operation::Rollback {
                    target,
                    to_revision: None,
                    resource_version: None,
                })];
            }
            vec![Intent::OpenDialog(Dialog::Revisions {
                target,
                rows: crate::app::picker::Picker::new(rows, 1),
                kind: WorkloadKind::Deployment,
            })]
        }
        Action::Scale => {
            vec![Intent::OpenDialog(Dialog::replicas(
                target,
                d.desired,
                WorkloadKind::Deployment,
            ))]
        }
        Action::Restart => vec![Intent::Plan(Operation::Restart {
            target,
            resource_version: None,
        })],
        Action::Promote => match blue_green(d) {
            Some((service, label, colour)) => vec![Intent::Plan(Operation::Switch {
                target: Target {
                    name: service,
                    ..target
                },
                label,
                to: colour,
                resource_version: None,
            })],
            None => {
                state.set_flash(
                    FlashLevel::Info,
                    format!("{} is not part of a blue-green pair", d.key.name),
                );
                Vec::new()
            }
        },
        Action::HostActions => {
            let names: Vec<String> = state
                .config
                .host_actions
                .iter()
                .map(|a| a.name.clone())
                .collect();
            if names.is_empty() {
                state.set_flash(FlashLevel::Info, "no [[host_action]] in config.toml".into());
                return Vec::new();
            }
            let vars = Placeholders {
                deployment: d.key.name.clone(),
                namespace: d.key.namespace.clone(),
                context: target.context.clone(),
                revision: d.revision.map(|r| r.to_string()).unwrap_or_default(),
            };
            vec![Intent::OpenDialog(Dialog::HostMenu {
                vars,
                names: crate::app::picker::Picker::new(names, 0),
            })]
        }
        _ => Vec::new(),
    }
}
