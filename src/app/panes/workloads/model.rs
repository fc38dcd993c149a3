//! The Workloads pane's own state: the sort, the narrowing, the section the cursor is in,
//! the detail and YAML views over the table, and the tables as last shown. The rows are
//! the cluster store's (`app::cluster`); nothing here holds one.

use std::collections::{BTreeSet, HashMap};

use super::kinds::Narrow;
use crate::app::cluster::WorkloadRef;
use crate::app::table_sort::{ColumnSort, SortMenu};
use crate::sources::kube::model::{ObjKey, WorkloadKind};

/// Which table of the pane a sort and the marks are about: the main table of a
/// narrowing, or the pods list under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableId {
    Main(Narrow),
    Pods,
    /// The generic view's table (its sort is kept with the view).
    Generic,
}

/// Which list the cursor is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Section {
    #[default]
    Deployments,
    /// The pods of one workload; the table cursor is kept to come back to.
    Pods {
        workload: WorkloadRef,
        table_selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailTarget {
    Deployment(ObjKey),
    Pod(ObjKey),
    /// A StatefulSet, DaemonSet, Job or CronJob.
    Workload(WorkloadRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub target: DetailTarget,
    pub scroll: u16,
}

/// The Workloads pane's view of the cluster store.
#[derive(Debug, Clone, Default)]
pub struct WorkloadsView {
    /// Each table's chosen order (none: trouble first), kept per table.
    pub sorts: HashMap<TableId, ColumnSort>,
    /// The sort menu (`o`) of a table, over it while open.
    pub sort_menu: Option<(TableId, SortMenu)>,
    /// The marked rows (`space`) of the list the cursor is in: delete and restart act on
    /// all of them. Cleared when the list changes (narrowing, pods list, scope).
    pub marks: BTreeSet<WorkloadRef>,
    /// Which kinds the table shows (`:deploy`, `:sts`, …, `:all`).
    pub narrow: Narrow,
    pub section: Section,
    pub detail: Option<Detail>,
    /// The YAML view of one object (`y`), over the table while open.
    pub yaml: Option<YamlView>,
    /// Any other resource's table (`:svc`, `:no`, …), shown instead of the workloads.
    pub generic: Option<super::generic_view::GenericView>,
    /// The tables as last shown; see `refresh_view`.
    pub(super) view: View,
}

/// The two tables as shown — filtered and sorted keys — kept between frames and rebuilt
/// by `refresh_view` only when what they are made of changed (rows, sort, filter, the
/// deployment whose pods are listed). A frame then reads the rows it draws and no more,
/// and a burst of watch events costs one rebuild, not one per event.
#[derive(Debug, Clone, Default)]
pub(super) struct View {
    pub(super) deployments_for: Option<DeploymentsInputs>,
    pub(super) deployments: Vec<WorkloadRef>,
    pub(super) pods_for: Option<PodsInputs>,
    pub(super) pods: Vec<ObjKey>,
    /// whether a pod of the list asks for GPUs (the list then has a GPU column)
    pub(super) pods_gpus: bool,
    /// how many rows each list has before its filter
    pub(super) deployments_total: usize,
    pub(super) pods_total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DeploymentsInputs {
    pub(super) generation: u64,
    /// the store's restart count generation, read when sorted by restarts
    pub(super) restarts: u64,
    pub(super) sort: ColumnSort,
    pub(super) narrow: Narrow,
    pub(super) filter: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PodsInputs {
    pub(super) generation: u64,
    /// the store's restart count generation, read when sorted by restarts
    pub(super) restarts: u64,
    pub(super) sort: ColumnSort,
    pub(super) deployment: WorkloadRef,
    pub(super) filter: String,
}

/// What the view shows and where it stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlView {
    pub kind: WorkloadKind,
    pub key: ObjKey,
    /// A resource beyond the workload kinds (opened from the generic view); `kind` is then
    /// not used.
    pub resource: Option<crate::sources::kube::model::ApiResource>,
    /// The object's YAML, sanitised, tabs as spaces.
    pub lines: Vec<String>,
    /// A GET is on its way (the first one, or `r`).
    pub loading: bool,
    /// Why the last GET gave nothing (redacted by the source).
    pub error: Option<String>,
    /// The first line shown.
    pub scroll: usize,
    /// The `/` pattern (case-insensitive substring); empty: no search.
    pub search: String,
    /// Lines that hold the pattern, in order.
    pub matches: Vec<usize>,
    /// Which of `matches` `n`/`N` are on.
    pub current: Option<usize>,
    /// A describe page (`d`) rather than the YAML: `lines` is the page, `r` asks for the
    /// object, owners and events again.
    pub describe: bool,
    /// The page's lines that are Warning events (highlighted).
    pub warnings: Vec<usize>,
}
