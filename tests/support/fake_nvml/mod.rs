//! Builds the fake `libnvidia-ml.so` (fake_nvml.c) for the GPU tests and benches.
//!
//! Each profile is compiled into its own file with the profile as the compile-time
//! default, so tests running in parallel in one process load separate copies of the
//! library (the dynamic loader shares one copy per file) and never race on an
//! environment variable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/fake_nvml/fake_nvml.c"
);

struct Built {
    // Keeps the directory alive for the whole test process.
    _dir: tempfile::TempDir,
    libs: HashMap<String, PathBuf>,
}

fn built() -> &'static Mutex<Option<Built>> {
    static BUILT: OnceLock<Mutex<Option<Built>>> = OnceLock::new();
    BUILT.get_or_init(|| Mutex::new(None))
}

/// Path of the fake library for `profile` (see fake_nvml.c for the profiles),
/// compiled on first use.
pub fn lib(profile: &str) -> PathBuf {
    lib_with(profile, profile, &[])
}

/// The `throttle` profile built without the deprecated
/// `nvmlDeviceGetCurrentClocksThrottleReasons` symbol.
pub fn lib_events_only() -> PathBuf {
    lib_with(
        "throttle-events-only",
        "throttle",
        &["FAKE_NVML_NO_THROTTLE_SYMBOL"],
    )
}

/// Path of the fake library built as `key` with `profile` as its default and the
/// given preprocessor `defines`.
pub fn lib_with(key: &str, profile: &str, defines: &[&str]) -> PathBuf {
    let mut guard = built()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = guard.get_or_insert_with(|| Built {
        // Under target/tmp, so that what a run leaves behind stays in the build tree.
        _dir: tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir for the fake NVML library"),
        libs: HashMap::new(),
    });
    if let Some(path) = built.libs.get(key) {
        return path.clone();
    }
    let dir = built._dir.path().join(key);
    std::fs::create_dir_all(&dir).expect("profile dir");
    let out = dir.join("libnvidia-ml.so.1");
    compile(profile, defines, &out);
    built.libs.insert(key.to_string(), out.clone());
    out
}

fn compile(profile: &str, defines: &[&str], out: &Path) {
    let mut cmd = compiler();
    for define in defines {
        cmd.arg(format!("-D{define}"));
    }
    cmd.arg("-shared")
        .arg("-fPIC")
        .arg("-O2")
        .arg(format!("-DFAKE_NVML_DEFAULT_PROFILE=\"{profile}\""))
        .arg("-o")
        .arg(out)
        .arg(SOURCE);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running the C compiler ({cmd:?}): {e}"));
    assert!(status.success(), "compiling {SOURCE} failed: {cmd:?}");
}

/// The C compiler as the `cc` crate finds it ($CC, else cc), with a target given
/// explicitly because there is no build script to provide one.
fn compiler() -> Command {
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    cc::Build::new()
        .target(&target)
        .host(&target)
        .opt_level(2)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .map(|tool| tool.to_command())
        .unwrap_or_else(|_| Command::new("cc"))
}
