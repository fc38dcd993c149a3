//! The local GPUs through NVML (`nvml-wrapper`), sampled on a blocking thread of
//! their own so the ui task never waits on the driver.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{
    Clock, EccCounter, MemoryError, PcieUtilCounter, TemperatureSensor, TemperatureThreshold,
};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::error::NvmlError;
use tokio::sync::watch;

use super::model::{GpuProcess, GpuSample, GpuUpdate, HostSample, Memory, Pcie, ThrottleReason};

pub use super::model::LOCAL_HOST;

/// Default sample interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// NVML is never sampled faster than this.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);

/// PCIe throughput costs ~20 ms per counter per device in the driver: read it this often.
pub const DEFAULT_PCIE_INTERVAL: Duration = Duration::from_secs(10);

const ADVICE: &str = "no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts";

/// Why there are no local GPUs (or why one sample failed as a whole).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    /// libnvidia-ml.so could not be loaded (most laptops, CI).
    #[error("NVML not found{}: {ADVICE}", at_path(.path))]
    NvmlNotFound {
        path: Option<PathBuf>,
        detail: String,
    },
    /// The library loaded but the kernel driver is not there.
    #[error("NVIDIA driver not loaded: {ADVICE}")]
    DriverNotLoaded,
    /// NVML works but sees no devices.
    #[error("NVML sees no GPUs: {ADVICE}")]
    NoDevices,
    /// Anything else NVML answered while starting or listing devices.
    #[error("NVML failed: {0}")]
    Nvml(String),
}

fn at_path(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!(" at {}", p.display()),
        None => String::new(),
    }
}

/// How the local source runs.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// `--nvml-lib` / config: load this libnvidia-ml.so instead of the system one.
    pub lib_path: Option<PathBuf>,
    /// Sample interval; send a longer one while the GPU pane is hidden. Values under
    /// [`MIN_INTERVAL`] are raised to it.
    pub interval: watch::Receiver<Duration>,
    /// How often PCIe throughput is read.
    pub pcie_interval: Duration,
    /// Where host memory is read for unified-memory devices.
    pub meminfo_path: PathBuf,
}

impl LocalOptions {
    /// Options with a fixed interval.
    pub fn new(lib_path: Option<PathBuf>, interval: Duration) -> Self {
        let (_tx, rx) = watch::channel(interval);
        Self::with_interval(lib_path, rx)
    }

    /// Options whose interval follows `interval` (e.g. slower while the pane is hidden).
    pub fn with_interval(lib_path: Option<PathBuf>, interval: watch::Receiver<Duration>) -> Self {
        LocalOptions {
            lib_path,
            interval,
            pcie_interval: DEFAULT_PCIE_INTERVAL,
            meminfo_path: PathBuf::from("/proc/meminfo"),
        }
    }
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self::new(None, DEFAULT_INTERVAL)
    }
}

/// Loads NVML once: from `lib` when given, else the system's libnvidia-ml.so.1.
pub fn open_nvml(lib: Option<&Path>) -> Result<Nvml, GpuError> {
    let result = match lib {
        Some(path) => Nvml::builder().lib_path(path.as_os_str()).init(),
        None => Nvml::init(),
    };
    result.map_err(|e| match e {
        NvmlError::LibloadingError(err) => GpuError::NvmlNotFound {
            path: lib.map(Path::to_path_buf),
            detail: err.to_string(),
        },
        NvmlError::FailedToLoadSymbol(sym) => GpuError::NvmlNotFound {
            path: lib.map(Path::to_path_buf),
            detail: format!("the library has no {sym}"),
        },
        NvmlError::LibraryNotFound => GpuError::NvmlNotFound {
            path: lib.map(Path::to_path_buf),
            detail: e.to_string(),
        },
        NvmlError::DriverNotLoaded => GpuError::DriverNotLoaded,
        other => GpuError::Nvml(other.to_string()),
    })
}

/// Things that do not change while the driver runs, read once per device.
#[derive(Debug, Clone, Default)]
struct StaticInfo {
    name: Option<String>,
    uuid: Option<String>,
    temp_slowdown_c: Option<u32>,
    temp_shutdown_c: Option<u32>,
    sm_clock_max_mhz: Option<u32>,
    mem_clock_max_mhz: Option<u32>,
    complete: bool,
}

/// Per-device state the sampler carries between samples.
#[derive(Debug, Clone, Default)]
struct DeviceState {
    info: StaticInfo,
    /// Newest process-utilisation timestamp seen (µs); asks only for newer samples.
    last_process_sample_us: u64,
    pcie_tx_kib_s: Option<u32>,
    pcie_rx_kib_s: Option<u32>,
}

/// A loaded NVML and what it remembers between samples. Owned by one thread.
pub struct LocalSampler {
    nvml: Nvml,
    host: String,
    meminfo_path: PathBuf,
    driver_version: Option<String>,
    devices: Vec<DeviceState>,
}

impl std::fmt::Debug for LocalSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSampler")
            .field("host", &self.host)
            .field("devices", &self.devices.len())
            .finish()
    }
}

impl LocalSampler {
    /// Loads NVML (see [`open_nvml`]) and checks that it sees at least one GPU.
    pub fn open(lib: Option<&Path>) -> Result<Self, GpuError> {
        let nvml = open_nvml(lib)?;
        let count = nvml.device_count().map_err(|e| match e {
            NvmlError::DriverNotLoaded => GpuError::DriverNotLoaded,
            other => GpuError::Nvml(other.to_string()),
        })?;
        if count == 0 {
            return Err(GpuError::NoDevices);
        }
        let driver_version = nvml.sys_driver_version().ok();
        Ok(LocalSampler {
            nvml,
            host: LOCAL_HOST.to_string(),
            meminfo_path: PathBuf::from("/proc/meminfo"),
            driver_version,
            devices: Vec::new(),
        })
    }

    /// Reads host memory for unified-memory devices from this file instead of
    /// /proc/meminfo.
    pub fn set_meminfo_path(&mut self, path: PathBuf) {
        self.meminfo_path = path;
    }

    /// One sample of every device. PCIe throughput is read only when `with_pcie`
    /// (it costs ~20 ms per counter per device); otherwise the last values are kept.
    pub fn sample(&mut self, with_pcie: bool) -> HostSample {
        let time = Timestamp::now();
        let count = match self.nvml.device_count() {
            Ok(n) => n,
            Err(e) => {
                return HostSample {
                    driver_version: self.driver_version.clone(),
                    ..HostSample::failed(&self.host, time, describe(&e))
                };
            }
        };
        let count_usize = usize::try_from(count).unwrap_or(0);
        self.devices.resize_with(count_usize, DeviceState::default);
        let mut host_memory = HostMemoryCache::new(&self.meminfo_path);
        let mut gpus = Vec::with_capacity(count_usize);
        for (index, state) in (0..count).zip(self.devices.iter_mut()) {
            gpus.push(sample_device(
                &self.nvml,
                &self.host,
                index,
                state,
                with_pcie,
                &mut host_memory,
            ));
        }
        HostSample {
            host: self.host.clone(),
            time,
            gpus,
            error: None,
            driver_version: self.driver_version.clone(),
        }
    }
}

/// One sample of the local GPUs, loading NVML for it (from `lib` when given).
pub fn sample_local_once(lib: Option<&Path>) -> Result<HostSample, GpuError> {
    let mut sampler = LocalSampler::open(lib)?;
    Ok(sampler.sample(false))
}

/// Starts the local sampler on its own thread. It loads NVML once, then sends a
/// [`GpuUpdate::Host`] every interval; if NVML cannot be used it sends one
/// [`GpuUpdate::NvmlUnavailable`] and ends. It ends when `sink` returns false (the
/// receiver is gone).
pub fn spawn_local<F>(opts: LocalOptions, sink: F) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnMut(GpuUpdate) -> bool + Send + 'static,
{
    std::thread::Builder::new()
        .name("gpu-nvml".to_string())
        .spawn(move || run_local(opts, sink))
}

fn run_local<F>(mut opts: LocalOptions, mut sink: F)
where
    F: FnMut(GpuUpdate) -> bool,
{
    let mut sampler = match LocalSampler::open(opts.lib_path.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            sink(GpuUpdate::NvmlUnavailable(e.to_string()));
            return;
        }
    };
    sampler.set_meminfo_path(opts.meminfo_path.clone());
    let mut last_pcie: Option<Instant> = None;
    loop {
        let started = Instant::now();
        let with_pcie = last_pcie.is_none_or(|t| started.duration_since(t) >= opts.pcie_interval);
        if with_pcie {
            last_pcie = Some(started);
        }
        let sample = sampler.sample(with_pcie);
        if !sink(GpuUpdate::Host(sample)) {
            return;
        }
        wait_next(&mut opts.interval, started);
    }
}

/// Sleeps until `started` + the current interval, waking early enough to follow a
/// change of interval (the pane shown again) within [`MIN_INTERVAL`].
fn wait_next(interval: &mut watch::Receiver<Duration>, started: Instant) {
    loop {
        let every = (*interval.borrow_and_update()).max(MIN_INTERVAL);
        let elapsed = started.elapsed();
        if elapsed >= every {
            return;
        }
        std::thread::sleep((every - elapsed).min(MIN_INTERVAL));
    }
}

/// Errors that mean the device (or the whole driver) is gone, not one field missing.
fn is_down(e: &NvmlError) -> bool {
    matches!(
        e,
        NvmlError::GpuLost | NvmlError::DriverNotLoaded | NvmlError::ResetRequired
    )
}

fn describe(e: &NvmlError) -> String {
    match e {
        NvmlError::GpuLost => "GPU is lost (fallen off the bus)".to_string(),
        NvmlError::ResetRequired => "GPU needs a reset".to_string(),
        NvmlError::DriverNotLoaded => "NVIDIA driver not loaded".to_string(),
        other => other.to_string(),
    }
}

/// Reads fields of one device: an unsupported field is `None`; once the device
/// answers "lost", it is marked down and not asked again this sample.
struct Probe {
    down: Option<String>,
}

impl Probe {
    fn get<T>(&mut self, read: impl FnOnce() -> Result<T, NvmlError>) -> Option<T> {
        if self.down.is_some() {
            return None;
        }
        match read() {
            Ok(v) => Some(v),
            Err(e) => {
                if is_down(&e) {
                    self.down = Some(describe(&e));
                }
                None
            }
        }
    }
}

/// /proc/meminfo, read at most once per sample and only when a device needs it.
struct HostMemoryCache<'a> {
    path: &'a Path,
    read: Option<Option<HostMemory>>,
}

impl<'a> HostMemoryCache<'a> {
    fn new(path: &'a Path) -> Self {
        HostMemoryCache { path, read: None }
    }

    fn get(&mut self) -> Option<HostMemory> {
        *self.read.get_or_insert_with(|| {
            std::fs::read_to_string(self.path)
                .ok()
                .and_then(|text| HostMemory::parse(&text))
        })
    }
}

/// The two /proc/meminfo lines unified memory needs, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostMemory {
    pub total_bytes: u64,
    pub available_bytes: u64,
}

impl HostMemory {
    /// Parses /proc/meminfo text; `None` unless both MemTotal and MemAvailable are there.
    pub fn parse(text: &str) -> Option<HostMemory> {
        let mut total = None;
        let mut available = None;
        for line in text.lines() {
            let Some((key, rest)) = line.split_once(':') else {
                continue;
            };
            let slot = match key.trim() {
                "MemTotal" => &mut total,
                "MemAvailable" => &mut available,
                _ => continue,
            };
            let mut words = rest.split_whitespace();
            let value: Option<u64> = words.next().and_then(|v| v.parse().ok());
            let scale = match words.next() {
                Some("kB") | Some("KB") | Some("kb") => 1024,
                None => 1,
                Some(_) => continue,
            };
            *slot = value.and_then(|v| v.checked_mul(scale));
        }
        Some(HostMemory {
            total_bytes: total?,
            available_bytes: available?,
        })
    }

    pub fn used_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.available_bytes)
    }
}

/// How close (as a fraction) an NVML memory total must be to the host's MemTotal for
/// the device to count as unified memory.
const UNIFIED_TOTAL_TOLERANCE: f64 = 0.01;

/// The unified-memory rule: NVML's memory query answers NotSupported, or a zero
/// total, or a total equal to the host's MemTotal. Decided per device (DGX Station
/// GB300 mixes unified and discrete GPUs).
pub fn is_unified(memory: &Result<(u64, u64), NotSupported>, host_total: Option<u64>) -> bool {
    match memory {
        Err(NotSupported) => true,
        Ok((_, 0)) => true,
        Ok((_, total)) => host_total.is_some_and(|host| {
            host > 0 && (*total as f64 - host as f64).abs() <= host as f64 * UNIFIED_TOTAL_TOLERANCE
        }),
    }
}

/// NVML answered NotSupported for the memory query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSupported;

fn sample_device(
    nvml: &Nvml,
    host: &str,
    index: u32,
    state: &mut DeviceState,
    with_pcie: bool,
    host_memory: &mut HostMemoryCache<'_>,
) -> GpuSample {
    let fallback_uuid = || format!("index:{index}");
    let device = match nvml.device_by_index(index) {
        Ok(d) => d,
        Err(e) => {
            let mut gpu = GpuSample::empty(
                host,
                index,
                state.info.uuid.clone().unwrap_or_else(fallback_uuid),
            );
            gpu.name = state.info.name.clone();
            gpu.down = Some(describe(&e));
            return gpu;
        }
    };
    let mut p = Probe { down: None };

    if !state.info.complete {
        let info = &mut state.info;
        info.name = info.name.take().or_else(|| p.get(|| device.name()));
        info.uuid = info.uuid.take().or_else(|| p.get(|| device.uuid()));
        info.temp_slowdown_c =
            p.get(|| device.temperature_threshold(TemperatureThreshold::Slowdown));
        info.temp_shutdown_c =
            p.get(|| device.temperature_threshold(TemperatureThreshold::Shutdown));
        info.sm_clock_max_mhz = p.get(|| device.max_clock_info(Clock::SM));
        info.mem_clock_max_mhz = p.get(|| device.max_clock_info(Clock::Memory));
        // A device that was down may answer later: read again until it has answered.
        info.complete = p.down.is_none();
    }
    let info = state.info.clone();
    let mut gpu = GpuSample::empty(host, index, info.uuid.clone().unwrap_or_else(fallback_uuid));
    gpu.name = info.name;
    gpu.temp_slowdown_c = info.temp_slowdown_c;
    gpu.temp_shutdown_c = info.temp_shutdown_c;
    gpu.sm_clock_max_mhz = info.sm_clock_max_mhz;
    gpu.mem_clock_max_mhz = info.mem_clock_max_mhz;

    if let Some(u) = p.get(|| device.utilization_rates()) {
        gpu.util_gpu_pct = Some(u.gpu);
        gpu.util_mem_pct = Some(u.memory);
    }
    let memory_answer = if p.down.is_some() {
        None
    } else {
        match device.memory_info() {
            Ok(m) => Some(Ok(m)),
            Err(NvmlError::NotSupported) => Some(Err(NotSupported)),
            Err(e) => {
                if is_down(&e) {
                    p.down = Some(describe(&e));
                }
                None
            }
        }
    };
    gpu.temperature_c = p.get(|| device.temperature(TemperatureSensor::Gpu));
    gpu.power_w = p.get(|| device.power_usage()).map(milliwatts);
    let power_limit_w = p.get(|| device.enforced_power_limit()).map(milliwatts);
    gpu.sm_clock_mhz = p.get(|| device.clock_info(Clock::SM));
    gpu.mem_clock_mhz = p.get(|| device.clock_info(Clock::Memory));
    let fan_pct = p.get(|| device.fan_speed(0));
    gpu.throttle = p
        .get(|| throttle_bits(nvml, &device))
        .map(ThrottleReason::from_bits);
    gpu.ecc_corrected =
        p.get(|| device.total_ecc_errors(MemoryError::Corrected, EccCounter::Volatile));
    gpu.ecc_uncorrected =
        p.get(|| device.total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile));

    let process_list = p.get(|| device.running_compute_processes());
    let process_util = if p.down.is_some() {
        Vec::new()
    } else {
        match device.process_utilization_stats(state.last_process_sample_us) {
            Ok(samples) => {
                if let Some(newest) = samples.iter().map(|s| s.timestamp).max() {
                    state.last_process_sample_us = state.last_process_sample_us.max(newest);
                }
                samples
            }
            // NotFound: no new samples since the last call, which is not an error.
            Err(e) => {
                if is_down(&e) {
                    p.down = Some(describe(&e));
                }
                Vec::new()
            }
        }
    };
    gpu.processes = process_list.map(|list| {
        list.into_iter()
            .map(|proc_info| {
                let sm_util_pct = process_util
                    .iter()
                    .filter(|s| s.pid == proc_info.pid)
                    .max_by_key(|s| s.timestamp)
                    .map(|s| s.sm_util);
                GpuProcess {
                    pid: proc_info.pid,
                    name: process_name(proc_info.pid),
                    gpu_memory_bytes: match proc_info.used_gpu_memory {
                        UsedGpuMemory::Used(bytes) => Some(bytes),
                        UsedGpuMemory::Unavailable => None,
                    },
                    sm_util_pct,
                }
            })
            .collect()
    });

    let memory_answer = memory_answer.map(|r| r.map(|m| (m.used, m.total)));
    let unified = match &memory_answer {
        None => false,
        Some(answer @ Err(NotSupported)) | Some(answer @ Ok((_, 0))) => is_unified(answer, None),
        Some(answer) => is_unified(answer, host_memory.get().map(|m| m.total_bytes)),
    };
    gpu.memory = if unified {
        let resident = gpu.processes.as_ref().map(|list| {
            list.iter()
                .filter_map(|proc_info| proc_info.gpu_memory_bytes)
                .sum()
        });
        match host_memory.get() {
            Some(hm) => Memory::Unified {
                used_bytes: hm.used_bytes(),
                total_bytes: hm.total_bytes,
                gpu_resident_bytes: resident,
            },
            None => Memory::NotAvailable,
        }
    } else {
        match memory_answer {
            Some(Ok((used, total))) => Memory::Dedicated {
                used_bytes: used,
                total_bytes: total,
            },
            _ => Memory::NotAvailable,
        }
    };

    if unified {
        // Fan, power cap and the PCIe link mean nothing on a unified-memory SoC.
        gpu.power_limit_w = None;
        gpu.fan_pct = None;
        gpu.pcie = None;
    } else {
        gpu.power_limit_w = power_limit_w;
        gpu.fan_pct = fan_pct;
        if with_pcie {
            state.pcie_tx_kib_s = p.get(|| device.pcie_throughput(PcieUtilCounter::Send));
            state.pcie_rx_kib_s = p.get(|| device.pcie_throughput(PcieUtilCounter::Receive));
        }
        let link_gen = p.get(|| device.current_pcie_link_gen());
        let link_width = p.get(|| device.current_pcie_link_width());
        let pcie = Pcie {
            link_gen,
            link_width,
            tx_kib_s: state.pcie_tx_kib_s,
            rx_kib_s: state.pcie_rx_kib_s,
        };
        gpu.pcie = (pcie.link_gen.is_some()
            || pcie.link_width.is_some()
            || pcie.tx_kib_s.is_some()
            || pcie.rx_kib_s.is_some())
        .then_some(pcie);
    }

    if let Some(reason) = p.down {
        // A lost device reports nothing trustworthy: keep only its identity.
        let mut lost = GpuSample::empty(host, index, gpu.uuid);
        lost.name = gpu.name;
        lost.down = Some(reason);
        return lost;
    }
    gpu
}

fn milliwatts(mw: u32) -> f64 {
    f64::from(mw) / 1000.0
}

/// The clocks event reasons bitmask. nvml-wrapper 0.13 asks for the deprecated
/// `nvmlDeviceGetCurrentClocksThrottleReasons`; a driver that only exports the
/// newer `nvmlDeviceGetCurrentClocksEventReasons` is asked for that instead.
fn throttle_bits(nvml: &Nvml, device: &nvml_wrapper::Device<'_>) -> Result<u64, NvmlError> {
    match device.current_throttle_reasons() {
        Ok(reasons) => Ok(reasons.bits()),
        Err(NvmlError::FailedToLoadSymbol(missing)) => {
            let Ok(event_reasons) = nvml.lib().nvmlDeviceGetCurrentClocksEventReasons.as_ref()
            else {
                return Err(NvmlError::FailedToLoadSymbol(missing));
            };
            let mut bits: u64 = 0;
            // SAFETY: the symbol comes from the loaded NVML with the signature of
            // nvml-wrapper-sys's bindings; the handle is live for `device`'s lifetime
            // and `bits` outlives the call.
            let code = unsafe { event_reasons(device.handle(), &mut bits) };
            if code == 0 {
                Ok(bits)
            } else {
                Err(NvmlError::from(code))
            }
        }
        Err(e) => Err(e),
    }
}

/// The name of a process from /proc: `comm`, else the first word of `cmdline`.
/// `None` when the process is not visible from here.
pub fn process_name(pid: u32) -> Option<String> {
    process_name_in(Path::new("/proc"), pid)
}

fn process_name_in(proc_root: &Path, pid: u32) -> Option<String> {
    let dir = proc_root.join(pid.to_string());
    if let Ok(comm) = std::fs::read(dir.join("comm")) {
        let name = String::from_utf8_lossy(&comm)
            .trim_end_matches('\n')
            .to_string();
        if !name.is_empty() {
            return Some(name);
        }
    }
    let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
    let first = cmdline.split(|&b| b == 0).next()?;
    let first = String::from_utf8_lossy(first);
    let base = Path::new(OsStr::new(first.as_ref()))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())?;
    (!base.is_empty()).then_some(base)
}

#[cfg(test)]
mod tests;
