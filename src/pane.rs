//! The five panes of the dashboard. `Hosts` is the services, health checks and GPUs per
//! host; `gpu`, its first name, is still accepted where a user names it.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneId {
    Pipeline,
    Workloads,
    Errors,
    Logs,
    Hosts,
}

impl PaneId {
    pub const ALL: [PaneId; 5] = [
        PaneId::Pipeline,
        PaneId::Workloads,
        PaneId::Errors,
        PaneId::Logs,
        PaneId::Hosts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PaneId::Pipeline => "pipeline",
            PaneId::Workloads => "workloads",
            PaneId::Errors => "errors",
            PaneId::Logs => "logs",
            PaneId::Hosts => "hosts",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Pipeline => "Pipeline",
            PaneId::Workloads => "Workloads",
            PaneId::Errors => "Error rate",
            PaneId::Logs => "Logs",
            PaneId::Hosts => "Hosts",
        }
    }

    pub fn parse(name: &str) -> Option<PaneId> {
        let name = name.to_ascii_lowercase();
        let name = if name == "gpu" { "hosts".into() } else { name };
        PaneId::ALL
            .into_iter()
            .find(|p| p.name() == name || p.title().to_ascii_lowercase() == name)
    }

    pub fn names() -> Vec<&'static str> {
        PaneId::ALL.iter().map(|p| p.name()).collect()
    }

    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> PaneId {
        PaneId::ALL[(self.index() + 1) % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        PaneId::ALL[(self.index() + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
    }
}
