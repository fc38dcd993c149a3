//! What the world is made of: the scenarios it can play, the shop's environments, its apps
//! and the image they run.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Steady,
    BadRelease,
    PendingApproval,
    BlueGreen,
    GpuHot,
    /// Argo Rollouts: a bad canary that analysis aborts at its third step
    Canary,
    /// Argo Rollouts: a good canary paused for promotion, and a blue-green Rollout waiting
    CanaryPaused,
    /// Steady, plus XID 79 on `dgx-02` GPU 3 (it falls off the bus) and a thermally
    /// throttled `dgx-01` GPU 5; at least two DGX hosts
    GpuFault,
}

impl Scenario {
    pub fn parse(s: &str) -> Option<Scenario> {
        Some(match s {
            "steady" => Scenario::Steady,
            "bad-release" => Scenario::BadRelease,
            "pending-approval" => Scenario::PendingApproval,
            "blue-green" => Scenario::BlueGreen,
            "gpu-hot" => Scenario::GpuHot,
            "canary" => Scenario::Canary,
            "canary-paused" => Scenario::CanaryPaused,
            "gpu-fault" => Scenario::GpuFault,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::BadRelease => "bad-release",
            Scenario::PendingApproval => "pending-approval",
            Scenario::BlueGreen => "blue-green",
            Scenario::GpuHot => "gpu-hot",
            Scenario::Canary => "canary",
            Scenario::CanaryPaused => "canary-paused",
            Scenario::GpuFault => "gpu-fault",
        }
    }
    /// Scenarios whose cluster runs Argo Rollouts.
    pub fn has_rollouts(self) -> bool {
        matches!(self, Scenario::Canary | Scenario::CanaryPaused)
    }
}

#[derive(Debug, Clone)]
pub struct EnvInfo {
    pub name: &'static str,
    pub namespace: &'static str,
    pub github_environment: &'static str,
}

pub const ENVS: [EnvInfo; 3] = [
    EnvInfo {
        name: "dev",
        namespace: "shop-dev",
        github_environment: "development",
    },
    EnvInfo {
        name: "staging",
        namespace: "shop-staging",
        github_environment: "staging",
    },
    EnvInfo {
        name: "prod",
        namespace: "shop",
        github_environment: "production",
    },
];
pub const MAIN_NS: &str = "shop";
pub const IMAGE_REPO: &str = "ghcr.io/acme/checkout";
/// (app, replicas in prod, port, serves http metrics)
pub const APPS: [(&str, i64, i64, bool); 5] = [
    ("frontend", 3, 8080, true),
    ("checkout", 4, 8080, true),
    ("cart", 2, 8080, true),
    ("payments", 2, 8080, true),
    ("worker", 1, 9000, false),
];
