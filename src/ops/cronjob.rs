//! A CronJob's manual run, as `kubectl create job NAME --from=cronjob/X` makes it
//! (kubectl/pkg/cmd/create/create_job.go, `createJobFromCronJob`), and its suspend/resume
//! (`spec.suspend`).

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, Patch, PostParams};
use serde_json::json;

use super::model::{WorkloadKind, WorkloadOp};
use super::workload::{check_unchanged, confirmed, template_images};
use super::{Done, Executor, Plan, Target, dry_run, kube_message, with_resource_version};

/// The annotation kubectl puts on a Job made from a CronJob by hand.
pub const INSTANTIATE: &str = "cronjob.kubernetes.io/instantiate";

/// kube's generateName alphabet (no vowels, no look-alikes).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The longest Job name: its `job-name` label value must fit 63 characters.
const MAX_NAME: usize = 63;

/// `CRONJOB-manual-`, the CronJob's name shortened so that five more characters fit.
pub fn manual_prefix(cronjob: &str) -> String {
    let room = MAX_NAME - "-manual-".len() - 5;
    let mut head: String = cronjob.chars().take(room).collect();
    while head.ends_with(['-', '.']) {
        head.pop();
    }
    format!("{head}-manual-")
}

/// `CRONJOB-manual-XXXXX`: a DNS-1123 label of at most 63 characters (the CronJob's name
/// is shortened to fit), the suffix taken from `entropy`.
pub fn manual_job_name(cronjob: &str, mut entropy: u64) -> String {
    let mut name = manual_prefix(cronjob);
    let n = ALPHABET.len() as u64;
    for _ in 0..5 {
        name.push(char::from(ALPHABET[(entropy % n) as usize]));
        entropy /= n;
    }
    name
}

/// A fresh name for a manual run of `cronjob`.
fn fresh_name(cronjob: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    h.write_i128(jiff::Timestamp::now().as_nanosecond());
    manual_job_name(cronjob, h.finish())
}

/// kubectl's `createJobFromCronJob`, field by field: labels from the job template,
/// annotations from it over `cronjob.kubernetes.io/instantiate: manual`, the CronJob as
/// controlling owner (no `blockOwnerDeletion`: kubectl leaves it out so that no
/// `cronjobs/finalizers` permission is needed), the spec from the job template.
pub fn job_from_cronjob(cj: &CronJob, name: &str) -> Job {
    let template = cj.spec.job_template.clone();
    let meta = template.metadata.clone();
    let mut annotations = BTreeMap::from([(INSTANTIATE.to_owned(), "manual".to_owned())]);
    annotations.extend(
        meta.as_ref()
            .and_then(|m| m.annotations.clone())
            .unwrap_or_default(),
    );
    Job {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: cj.metadata.namespace.clone(),
            annotations: Some(annotations),
            labels: meta.and_then(|m| m.labels),
            owner_references: Some(vec![OwnerReference {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                name: cj.metadata.name.clone().unwrap_or_default(),
                uid: cj.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: None,
            }]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

fn job_images(job: &Job) -> Vec<String> {
    job.spec
        .as_ref()
        .and_then(|s| serde_json::to_value(&s.template).ok())
        .map(|t| template_images(&t))
        .unwrap_or_default()
}

fn suspended(cj: &CronJob) -> bool {
    cj.spec.suspend.unwrap_or(false)
}

fn schedule_line(cj: &CronJob) -> String {
    let schedule = &cj.spec.schedule;
    let status = cj.status.clone().unwrap_or_default();
    let last = status
        .last_schedule_time
        .map(|t| t.0.to_string())
        .unwrap_or_else(|| "never".into());
    let active = status.active.map(|a| a.len()).unwrap_or(0);
    format!("schedule {schedule:?}, last scheduled {last}, {active} active")
}

impl Executor {
    async fn cronjob(&self, target: &Target) -> Result<(Api<CronJob>, CronJob), String> {
        let c = self.client()?;
        let api: Api<CronJob> = Api::namespaced(c.clone(), &target.namespace);
        let cj = api.get(&target.name).await.map_err(kube_message)?;
        Ok((api, cj))
    }

    pub(super) async fn plan_trigger(
        &self,
        plan: &mut Plan,
        target: &Target,
    ) -> Result<(), String> {
        let (_, cj) = self.cronjob(target).await?;
        let name = format!("{}XXXXX", manual_prefix(&target.name));
        let job = job_from_cronjob(&cj, &name);
        plan.title = format!("Run cronjob/{} now", target.name);
        plan.before = schedule_line(&cj);
        plan.after = format!(
            "new job {name} {} ({INSTANTIATE}=manual)",
            job_images(&job).join(",")
        );
        plan.notes
            .push("the job's name ends in 5 random characters, chosen when it is created".into());
        plan.op = confirmed(
            target,
            WorkloadKind::CronJob,
            WorkloadOp::Trigger,
            cj.metadata.resource_version.clone(),
        );
        if suspended(&cj) {
            plan.notes
                .push("the CronJob is suspended: a manual run goes ahead anyway".into());
        }
        let active = cj
            .status
            .as_ref()
            .and_then(|s| s.active.as_ref())
            .map(Vec::len)
            .unwrap_or(0);
        if active > 0 {
            plan.notes.push(format!(
                "{active} job(s) of this CronJob running now; concurrencyPolicy does not hold back a manual run"
            ));
        }
        if plan.refused.is_none() {
            let c = self.client()?;
            let jobs: Api<Job> = Api::namespaced(c.clone(), &target.namespace);
            let dry = PostParams {
                dry_run: true,
                ..super::post_params()
            };
            let note = match jobs
                .create(&dry, &job_from_cronjob(&cj, &fresh_name(&target.name)))
                .await
            {
                Ok(_) => "server dry run (dryRun=All): ok".to_owned(),
                Err(e) => format!("server dry run (dryRun=All): {}", kube_message(e)),
            };
            plan.notes.push(note);
        }
        Ok(())
    }

    pub(super) async fn run_trigger(
        &self,
        target: &Target,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let (_, cj) = self.cronjob(target).await?;
        // a create has no precondition on the CronJob: the job template the confirmation
        // showed must still be the one copied
        check_unchanged(
            &format!("cronjob/{}", target.name),
            resource_version,
            cj.metadata.resource_version.as_deref(),
        )?;
        let c = self.client()?;
        let jobs: Api<Job> = Api::namespaced(c.clone(), &target.namespace);
        let job = jobs
            .create(
                &super::post_params(),
                &job_from_cronjob(&cj, &fresh_name(&target.name)),
            )
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!(
                "job.batch/{} created from cronjob/{}",
                job.metadata.name.unwrap_or_default(),
                target.name
            ),
            resource_version: job.metadata.resource_version,
            ..Done::default()
        })
    }

    pub(super) async fn plan_suspend(
        &self,
        plan: &mut Plan,
        target: &Target,
        suspend: bool,
    ) -> Result<(), String> {
        let (api, cj) = self.cronjob(target).await?;
        let now = suspended(&cj);
        plan.title = format!(
            "{} cronjob/{}",
            if suspend { "Suspend" } else { "Resume" },
            target.name
        );
        plan.before = format!("suspend {now}; {}", schedule_line(&cj));
        plan.after = format!("suspend {suspend}");
        plan.op = confirmed(
            target,
            WorkloadKind::CronJob,
            WorkloadOp::Suspend { suspend },
            cj.metadata.resource_version.clone(),
        );
        if now == suspend {
            plan.refused = Some(if suspend {
                format!("cronjob/{} is already suspended", target.name)
            } else {
                format!("cronjob/{} is not suspended", target.name)
            });
            return Ok(());
        }
        if suspend {
            plan.notes
                .push("jobs already running keep running; no new ones start until resumed".into());
        }
        if plan.refused.is_none() {
            let body = with_resource_version(
                json!({"spec": {"suspend": suspend}}),
                cj.metadata.resource_version.as_deref(),
            );
            plan.notes
                .push(dry_run(&api, &target.name, &Patch::Merge(&body)).await);
        }
        Ok(())
    }

    pub(super) async fn run_suspend(
        &self,
        target: &Target,
        suspend: bool,
        resource_version: Option<&str>,
    ) -> Result<Done, String> {
        let c = self.client()?;
        let api: Api<CronJob> = Api::namespaced(c.clone(), &target.namespace);
        let body = with_resource_version(json!({"spec": {"suspend": suspend}}), resource_version);
        let cj = api
            .patch(&target.name, &super::patch_params(), &Patch::Merge(&body))
            .await
            .map_err(kube_message)?;
        Ok(Done {
            message: format!(
                "cronjob.batch/{} {}",
                target.name,
                if suspend { "suspended" } else { "resumed" }
            ),
            resource_version: cj.metadata.resource_version,
            ..Done::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns_label(s: &str) -> bool {
        s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    }

    #[test]
    fn manual_names_are_dns_labels_that_fit() {
        let short = manual_job_name("nightly-report", 12345);
        assert!(
            short.starts_with("nightly-report-manual-") && dns_label(&short),
            "{short}"
        );
        assert_eq!(short.len(), "nightly-report-manual-".len() + 5);
        let long = "a".repeat(49) + "-bcd";
        let name = manual_job_name(&long, u64::MAX);
        assert!(dns_label(&name) && name.len() <= 63, "{name}");
        assert!(!name.contains("--"), "{name}");
        assert_ne!(manual_job_name("x", 1), manual_job_name("x", 2));
    }

    #[test]
    fn the_job_copies_the_template_and_names_its_owner() {
        let cj: CronJob = serde_json::from_value(json!({
            "metadata": {"name": "nightly", "namespace": "shop", "uid": "u-1",
                         "labels": {"not": "copied"}},
            "spec": {"schedule": "0 2 * * *", "jobTemplate": {
                "metadata": {"labels": {"app": "r"},
                             "annotations": {"team": "data", INSTANTIATE: "kept"}},
                "spec": {"backoffLimit": 2, "template": {"spec": {"containers": [
                    {"name": "r", "image": "reports:1"}]}}}}}
        }))
        .unwrap();
        let job = serde_json::to_value(job_from_cronjob(&cj, "nightly-manual-bbbbb")).unwrap();
        assert_eq!(job["metadata"]["labels"], json!({"app": "r"}));
        assert_eq!(
            job["metadata"]["annotations"],
            json!({"team": "data", INSTANTIATE: "kept"})
        );
        assert_eq!(
            job["metadata"]["ownerReferences"],
            json!([{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly",
                    "uid": "u-1", "controller": true}])
        );
        assert_eq!(job["spec"]["backoffLimit"], 2);
        assert_eq!(job["apiVersion"], "batch/v1");
    }
}
