//! `flightdeck sandbox`: the command line's start-up and serving loop.

use std::net::SocketAddr;

use super::{Sandbox, SandboxArgs, SandboxError, SandboxOptions, Scenario};

/// `flightdeck sandbox`: start, write the files asked for, print the URLs, serve until
/// SIGTERM or ctrl-c.
pub async fn run_cli(args: SandboxArgs) -> Result<(), SandboxError> {
    let listen: SocketAddr = args
        .listen
        .parse()
        .map_err(|_| SandboxError::InvalidListen(args.listen.clone()))?;
    let scenario: Scenario = args.scenario.parse()?;
    let mixed_kinds = match args.pod_kinds.as_str() {
        "deployments" => false,
        "mixed" => true,
        other => return Err(SandboxError::UnknownPodKinds(other.to_owned())),
    };
    let gpu_old_pod_labels = match args.gpu_pod_labels.as_str() {
        "new" => false,
        "old" => true,
        other => return Err(SandboxError::UnknownGpuPodLabels(other.to_owned())),
    };
    let sb = Sandbox::start(SandboxOptions {
        listen,
        scenario,
        pods: args.pods,
        mixed_kinds,
        seed: args.seed,
        rollouts: args.rollouts,
        rollouts_status_subresource: true,
        gpu_hosts: args.gpu_hosts,
        gpu_old_pod_labels,
        tls: match args.tls {
            true => Some(args.auth.parse().map_err(SandboxError::Auth)?),
            false => None,
        },
        ..SandboxOptions::default()
    })
    .await?;
    let kubeconfig_path = match &args.write_kubeconfig {
        Some(p) => {
            std::fs::write(p, sb.kubeconfig_yaml()).map_err(|source| SandboxError::Write {
                path: p.clone(),
                source,
            })?;
            Some(p.clone())
        }
        None => None,
    };
    // a config needs a kubeconfig: without --write-kubeconfig one is written next to it
    let kubeconfig_path = match (&args.write_config, kubeconfig_path) {
        (Some(cfg), None) => {
            let kc = cfg.with_file_name("sandbox-kubeconfig.yaml");
            std::fs::write(&kc, sb.kubeconfig_yaml()).map_err(|source| SandboxError::Write {
                path: kc.clone(),
                source,
            })?;
            Some(kc)
        }
        (_, kc) => kc,
    };
    if let (Some(p), Some(kc)) = (&args.write_config, &kubeconfig_path) {
        let kc = std::path::absolute(kc).unwrap_or_else(|_| kc.clone());
        std::fs::write(p, sb.config_toml(&kc)).map_err(|source| SandboxError::Write {
            path: p.clone(),
            source,
        })?;
    }
    println!("scenario: {} (seed {})", scenario.name(), args.seed);
    println!("kube: {}", sb.kube_url());
    println!(
        "github: {} (repo {})",
        sb.github_api_url(),
        sb.github_repo()
    );
    for (svc, url) in sb.metrics_targets() {
        println!("metrics {svc}: {url}");
    }
    let hosts = sb.gpu_hosts();
    for (host, url) in hosts.iter().take(super::CONFIG_GPU_HOSTS) {
        println!("gpu {host}: {url}");
    }
    if hosts.len() > super::CONFIG_GPU_HOSTS {
        println!(
            "gpu: {} hosts in all, {}/gpu/dgx-NN/metrics",
            hosts.len(),
            sb.base_url()
        );
    }
    println!("admin: {}", sb.admin_url());
    if let Some(p) = &kubeconfig_path {
        println!("kubeconfig: {}", p.display());
    }
    if let Some(p) = &args.write_config {
        println!("config: {}", p.display());
    }
    wait_for_signal().await;
    sb.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
