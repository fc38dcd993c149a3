//! What one sample of a GPU host says, the same for NVML and for scraped exporters.
//!
//! Every measured field is an `Option`: `None` is "n/a" (the device or exporter does
//! not support it), and the rest of the sample still stands.

use jiff::Timestamp;
use serde::Serialize;

/// The host name local samples carry.
pub const LOCAL_HOST: &str = "local";

/// One sample of every GPU on one host, local (NVML) or remote (scraped).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostSample {
    /// `local` for NVML on this machine, else the configured `[[gpu.host]]` name.
    pub host: String,
    /// When the sample was taken (or the scrape failed).
    pub time: Timestamp,
    pub gpus: Vec<GpuSample>,
    /// Set when the whole host could not be read (unreachable, bad text); the consumer
    /// keeps the previous values and shows them as stale.
    pub error: Option<String>,
    /// NVIDIA driver version, when known.
    pub driver_version: Option<String>,
}

impl HostSample {
    /// A failed read of `host` at `time`.
    pub fn failed(host: &str, time: Timestamp, error: String) -> Self {
        HostSample {
            host: host.to_string(),
            time,
            gpus: Vec::new(),
            error: Some(error),
            driver_version: None,
        }
    }
}

/// One GPU in one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuSample {
    pub host: String,
    pub index: GpuIndex,
    /// The device's UUID, or `index:N` when it cannot be read; GPUs are keyed by
    /// host and UUID.
    pub uuid: String,
    pub name: Option<String>,
    /// Set when the device has fallen off the bus or the driver is gone: the device
    /// is down and its other fields are `None`.
    pub down: Option<String>,
    /// Percent of time a kernel ran over the last sample period.
    pub util_gpu_pct: Option<u32>,
    /// Percent of time device memory was read or written.
    pub util_mem_pct: Option<u32>,
    pub memory: Memory,
    pub temperature_c: Option<u32>,
    pub temp_slowdown_c: Option<u32>,
    pub temp_shutdown_c: Option<u32>,
    pub power_w: Option<f64>,
    /// Enforced power limit; hidden (`None`) on unified-memory devices.
    pub power_limit_w: Option<f64>,
    pub sm_clock_mhz: Option<u32>,
    pub sm_clock_max_mhz: Option<u32>,
    pub mem_clock_mhz: Option<u32>,
    pub mem_clock_max_mhz: Option<u32>,
    /// Hidden (`None`) on unified-memory devices.
    pub fan_pct: Option<u32>,
    /// Why clocks are held down, in words; `Some(empty)` is "none".
    pub throttle: Option<Vec<ThrottleReason>>,
    /// Volatile ECC counts (since the driver loaded).
    pub ecc_corrected: Option<u64>,
    pub ecc_uncorrected: Option<u64>,
    /// Hidden (`None`) on unified-memory devices.
    pub pcie: Option<Pcie>,
    /// Compute processes; `None` when the list cannot be read.
    pub processes: Option<Vec<GpuProcess>>,
    /// The pod using the GPU, from DCGM exporter's Kubernetes labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<GpuPod>,
    /// The last XID error code (DCGM's `DCGM_FI_DEV_XID_ERRORS`); `Some(0)` is "none".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xid: Option<u64>,
    /// Utilisation points since the last sample, oldest first, when the source reads a
    /// history (Prometheus's `query_range`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub util_history: Vec<(Timestamp, f32)>,
    /// The GPU's MIG instances (DCGM's `GPU_I_ID`), when it is partitioned: each with its
    /// own utilisation, memory and pod; the device's fields above are the whole GPU's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mig: Vec<MigInstance>,
    /// What the exporter's labels say of where the GPU is, for naming its host after the
    /// Kubernetes node the exporter runs on (`app::panes::gpu::nodes`).
    #[serde(skip)]
    pub origin: GpuOrigin,
}

/// Where a GPU's series come from, as their labels say: the evidence the host's name is
/// decided from once the cluster is asked (in Kubernetes, dcgm-exporter's `Hostname` is
/// its own pod's name unless `NODE_NAME` is set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpuOrigin {
    /// The value of the label that named the host (`[gpu] host_label`, `hostname`,
    /// `Hostname`), when one did.
    pub host_label: Option<String>,
    /// Pods the series name, as (namespace when named, name): the scrape target's
    /// (`pod`/`namespace`, which Prometheus's Kubernetes discovery adds: the exporter's own
    /// pod) and the one the GPU is given to (`exported_pod`, `pod_name`, …). Every one runs
    /// on the GPU's node.
    pub pods: Vec<(Option<String>, String)>,
    /// Prometheus's scrape target (`instance`).
    pub instance: Option<String>,
}

/// A GPU's index on its host: NVML's number, or the number an exporter's `gpu` (or `device`)
/// label gives. A label that is no index a GPU can have (`4294967296`, `-1`, `gpu0x`) is kept
/// as its text: never read as another number, and never moving other GPUs' numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum GpuIndex {
    Number(u32),
    Label(String),
}

impl GpuIndex {
    /// The index a label gives: its number, else its text (control characters dropped).
    pub fn from_label(label: &str) -> Self {
        let text = label.trim();
        match text.parse::<u32>() {
            Ok(n) => GpuIndex::Number(n),
            Err(_) => GpuIndex::Label(text.chars().filter(|c| !c.is_control()).collect()),
        }
    }

    pub fn number(&self) -> Option<u32> {
        match self {
            GpuIndex::Number(n) => Some(*n),
            GpuIndex::Label(_) => None,
        }
    }
}

impl From<u32> for GpuIndex {
    fn from(n: u32) -> Self {
        GpuIndex::Number(n)
    }
}

impl PartialEq<u32> for GpuIndex {
    fn eq(&self, other: &u32) -> bool {
        self.number() == Some(*other)
    }
}

impl std::fmt::Display for GpuIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GpuIndex::Number(n) => std::fmt::Display::fmt(n, f),
            GpuIndex::Label(text) => f.pad(text),
        }
    }
}

/// One MIG (GPU) instance of a partitioned GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigInstance {
    /// DCGM's `GPU_I_ID`.
    pub id: String,
    /// DCGM's `GPU_I_PROFILE` (`1g.10gb`), when the exporter writes it.
    pub profile: Option<String>,
    /// Percent of time the instance's graphics engine was active
    /// (`DCGM_FI_PROF_GR_ENGINE_ACTIVE`; DCGM reports no `GPU_UTIL` for MIG).
    pub util_pct: Option<u32>,
    pub memory: Memory,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<GpuPod>,
}

/// The Kubernetes pod a GPU is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuPod {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
}

impl GpuSample {
    /// A sample with only the identity filled in.
    pub fn empty(host: &str, index: impl Into<GpuIndex>, uuid: String) -> Self {
        GpuSample {
            host: host.to_string(),
            index: index.into(),
            uuid,
            name: None,
            down: None,
            util_gpu_pct: None,
            util_mem_pct: None,
            memory: Memory::NotAvailable,
            temperature_c: None,
            temp_slowdown_c: None,
            temp_shutdown_c: None,
            power_w: None,
            power_limit_w: None,
            sm_clock_mhz: None,
            sm_clock_max_mhz: None,
            mem_clock_mhz: None,
            mem_clock_max_mhz: None,
            fan_pct: None,
            throttle: None,
            ecc_corrected: None,
            ecc_uncorrected: None,
            pcie: None,
            processes: None,
            pod: None,
            xid: None,
            util_history: Vec::new(),
            mig: Vec::new(),
            origin: GpuOrigin::default(),
        }
    }

    /// What is still true of a GPU that is gone (fell off the bus): its identity, the pod
    /// it was given to and its last XID, and `down`; every measured value is `None` (no
    /// live value is shown for it anywhere).
    pub fn off_bus(&self, reason: &str) -> GpuSample {
        let mut gone = GpuSample::empty(&self.host, self.index.clone(), self.uuid.clone());
        gone.name = self.name.clone();
        gone.down = Some(reason.to_owned());
        gone.pod = self.pod.clone();
        gone.xid = self.xid;
        gone.origin = self.origin.clone();
        gone.ecc_uncorrected = self.ecc_uncorrected;
        gone.mig = self
            .mig
            .iter()
            .map(|m| MigInstance {
                id: m.id.clone(),
                profile: m.profile.clone(),
                util_pct: None,
                memory: Memory::NotAvailable,
                pod: m.pod.clone(),
            })
            .collect();
        gone
    }

    /// How busy the GPU is: its utilisation, or on a partitioned GPU (DCGM reports none for
    /// it) its busiest MIG instance's.
    pub fn busiest_util_pct(&self) -> Option<u32> {
        self.util_gpu_pct
            .or_else(|| self.mig.iter().filter_map(|m| m.util_pct).max())
    }

    /// The pods on the GPU: its own, or its MIG instances'.
    pub fn pods(&self) -> impl Iterator<Item = &GpuPod> {
        self.pod
            .iter()
            .chain(self.mig.iter().filter_map(|m| m.pod.as_ref()))
    }

    /// True when any reason other than idleness holds the clocks down.
    pub fn is_throttled(&self) -> bool {
        self.throttle
            .as_ref()
            .is_some_and(|reasons| reasons.iter().any(|r| r.is_slowdown()))
    }

    /// The reasons that slow the GPU down, in words (`power cap, thermal (hw)`); empty when
    /// it is not throttled.
    pub fn slowdown_words(&self) -> String {
        let words: Vec<&str> = self
            .throttle
            .iter()
            .flatten()
            .filter(|r| r.is_slowdown())
            .map(|r| r.words())
            .collect();
        words.join(", ")
    }

    /// True when the temperature is at or above the slowdown threshold.
    pub fn is_hot(&self) -> bool {
        matches!((self.temperature_c, self.temp_slowdown_c), (Some(t), Some(s)) if t >= s)
    }

    /// Memory used as a percentage of the total, when both are known.
    pub fn memory_used_pct(&self) -> Option<f64> {
        self.memory.used_pct()
    }
}

/// Device memory, which on unified-memory machines (DGX Spark GB10, the Grace part of
/// DGX Station GB300) is the host's memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Memory {
    /// The device's own framebuffer.
    Dedicated {
        used_bytes: u64,
        total_bytes: u64,
    },
    /// Shared with the host: used is MemTotal − MemAvailable from /proc/meminfo, and
    /// `gpu_resident_bytes` is the sum of the GPU processes' memory.
    Unified {
        used_bytes: u64,
        total_bytes: u64,
        gpu_resident_bytes: Option<u64>,
    },
    NotAvailable,
}

impl Memory {
    pub fn used_total(&self) -> Option<(u64, u64)> {
        match *self {
            Memory::Dedicated {
                used_bytes,
                total_bytes,
            }
            | Memory::Unified {
                used_bytes,
                total_bytes,
                ..
            } => Some((used_bytes, total_bytes)),
            Memory::NotAvailable => None,
        }
    }

    pub fn used_pct(&self) -> Option<f64> {
        let (used, total) = self.used_total()?;
        (total > 0).then(|| used as f64 * 100.0 / total as f64)
    }

    pub fn is_unified(&self) -> bool {
        matches!(self, Memory::Unified { .. })
    }

    /// Memory in words, the one way every screen and `gpu --once` write it: `45.1/79.6 GiB`;
    /// unified `unified 45.2/119 GiB gpu 30.1 GiB`; `n/a`.
    pub fn text(&self) -> String {
        match *self {
            Memory::Dedicated {
                used_bytes,
                total_bytes,
            } => format!("{}/{} GiB", gib_number(used_bytes), gib_number(total_bytes)),
            Memory::Unified {
                used_bytes,
                total_bytes,
                gpu_resident_bytes,
            } => format!(
                "unified {}/{} GiB gpu {}",
                gib_number(used_bytes),
                gib_number(total_bytes),
                gpu_resident_bytes.map_or_else(|| "n/a".to_owned(), gib_text)
            ),
            Memory::NotAvailable => "n/a".to_owned(),
        }
    }
}

/// Bytes in GiB (2^30 bytes, the binary family of nvidia-smi's MiB), labelled:
/// `79.6 GiB`, `0.5 GiB`, `119 GiB`.
pub fn gib_text(bytes: u64) -> String {
    format!("{} GiB", gib_number(bytes))
}

/// The number [`gib_text`] writes: one decimal below 100, none from 100.
fn gib_number(bytes: u64) -> String {
    let g = bytes as f64 / f64::from(1u32 << 30);
    if g >= 100.0 {
        format!("{g:.0}")
    } else {
        format!("{g:.1}")
    }
}

/// PCIe link and throughput; throughput is sampled on a slower cadence than the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pcie {
    pub link_gen: Option<u32>,
    pub link_width: Option<u32>,
    pub tx_kib_s: Option<u32>,
    pub rx_kib_s: Option<u32>,
}

/// A process with a compute context on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuProcess {
    pub pid: u32,
    /// From /proc/PID/comm, else the first word of /proc/PID/cmdline; `None` when the
    /// process is not visible here (another PID namespace, or already gone).
    pub name: Option<String>,
    pub gpu_memory_bytes: Option<u64>,
    /// SM utilisation of this process from the latest process-utilisation sample;
    /// `None` when the driver had no new sample ("no samples").
    pub sm_util_pct: Option<u32>,
}

/// Why the clocks are held down (NVML's clocks event reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleReason {
    Idle,
    ApplicationClocks,
    PowerCap,
    HwSlowdown,
    SyncBoost,
    SwThermal,
    HwThermal,
    PowerBrake,
    DisplayClocks,
}

impl ThrottleReason {
    /// Short words for the pane.
    pub fn words(self) -> &'static str {
        match self {
            ThrottleReason::Idle => "idle",
            ThrottleReason::ApplicationClocks => "app clocks",
            ThrottleReason::PowerCap => "power cap",
            ThrottleReason::HwSlowdown => "hw slowdown",
            ThrottleReason::SyncBoost => "sync boost",
            ThrottleReason::SwThermal => "thermal (sw)",
            ThrottleReason::HwThermal => "thermal (hw)",
            ThrottleReason::PowerBrake => "power brake",
            ThrottleReason::DisplayClocks => "display clocks",
        }
    }

    /// True for reasons that mean the GPU is being slowed, not just resting or
    /// following a clock setting.
    pub fn is_slowdown(self) -> bool {
        matches!(
            self,
            ThrottleReason::PowerCap
                | ThrottleReason::HwSlowdown
                | ThrottleReason::SwThermal
                | ThrottleReason::HwThermal
                | ThrottleReason::PowerBrake
        )
    }

    /// Decodes NVML's clocks event reason bitmask (`nvmlClocksEventReason*`).
    pub fn from_bits(bits: u64) -> Vec<ThrottleReason> {
        const TABLE: [(u64, ThrottleReason); 9] = [
            (0x1, ThrottleReason::Idle),
            (0x2, ThrottleReason::ApplicationClocks),
            (0x4, ThrottleReason::PowerCap),
            (0x8, ThrottleReason::HwSlowdown),
            (0x10, ThrottleReason::SyncBoost),
            (0x20, ThrottleReason::SwThermal),
            (0x40, ThrottleReason::HwThermal),
            (0x80, ThrottleReason::PowerBrake),
            (0x100, ThrottleReason::DisplayClocks),
        ];
        TABLE
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|&(_, reason)| reason)
            .collect()
    }
}

impl std::fmt::Display for ThrottleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.words())
    }
}

/// Owned messages from the GPU sources to the ui task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum GpuUpdate {
    /// A sample of one host (or its failure, with `error` set).
    Host(HostSample),
    /// No local GPUs: the one line the pane shows instead.
    NvmlUnavailable(String),
    /// One Prometheus round: every host of the fleet (a host whose series are gone has
    /// `error` set).
    Round(Vec<HostSample>),
    /// Prometheus could not be read this round: every host's values are kept, stale.
    Failed(String),
}
