//! What a pane asks of `update` beyond its own state: a dialog to open, an operation to
//! plan, a pod to show in another pane, effects for the run loop. A pane returns intents
//! and never calls `update`, `dialog`'s functions or another pane; `update` carries them
//! out (as gitui's components push a `ConfirmAction` that the app then shows).

use crate::app::dialog::Dialog;
use crate::app::event::Effect;
use crate::ops::Operation;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Show a dialog: a picker, the replicas prompt, the host-action menu.
    OpenDialog(Dialog),
    /// Ask the executor for an operation's plan, the dialog waiting for it.
    Plan(Operation),
    /// Show a pod in the Workloads pane, switching to its namespace when the scope is
    /// another one.
    RevealPod { namespace: String, pod: String },
    /// An effect for the run loop.
    Effect(Effect),
}

impl Intent {
    /// A handler's effects as intents.
    pub fn effects(effects: Vec<Effect>) -> Vec<Intent> {
        effects.into_iter().map(Intent::Effect).collect()
    }
}
