//! A real Prometheus (Debian's package) for the tests that need one: started on a free
//! loopback port with a config the test writes, killed and reaped when the test ends.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Kills and reaps Prometheus when the test ends, panics included.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}

/// Writes `config` as `dir/prometheus.yml` and starts `bin` on `127.0.0.1:port` with its
/// data and log (`prometheus.log`) in `dir`.
pub fn start(bin: &Path, dir: &Path, config: &str, port: u16) -> Running {
    std::fs::write(dir.join("prometheus.yml"), config).expect("write config");
    let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
    let child = Command::new(bin)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Running(child)
}
