//! Each kind decodes keeping what its row shows and dropping the rest; `null` and missing
//! parts decode to nothing.

use super::*;
use crate::sources::kube::model::{
    CronJobRow, DaemonSetRow, DeploymentRow, EventRow, HpaRow, JobRow, JobState, RevisionRow,
    StatefulSetRow,
};
use serde_json::{Value, json};

/// What a real API server adds to every object and no row reads.
fn managed_fields() -> Value {
    json!([{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
        "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:annotations": {".": {}}}, "f:status": {"f:conditions": {}}}}])
}

/// A template's pod spec with what a row skips (env, volumes, mounts) around what it shows.
fn pod_spec(image: &str) -> Value {
    json!({"containers": [{"name": "app", "image": image,
            "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "resources": {"requests": {"cpu": "100m"}, "limits": {"nvidia.com/gpu": "1"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}}],
        "volumes": [{"name": "data", "emptyDir": {}}],
        "nodeSelector": {"gpu": "a100"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]})
}

#[test]
fn a_deployment_keeps_what_its_row_shows() {
    let d: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "checkout", "namespace": "prod", "resourceVersion": "42",
            "generation": 5, "uid": "u", "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "checkout"},
            "annotations": {"deployment.kubernetes.io/revision": "7",
                "kubernetes.io/change-cause": "release 1.8.3",
                "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(4000)},
            "managedFields": managed_fields()},
        "spec": {"replicas": 4, "paused": false, "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "checkout"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": pod_spec("img:7")}},
        "status": {"observedGeneration": 5, "replicas": 5, "readyReplicas": 3,
            "updatedReplicas": 2, "availableReplicas": 3, "unavailableReplicas": 2,
            "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                "message": "ReplicaSet \"checkout-7f9c\" is progressing.",
                "lastUpdateTime": "2026-01-01T00:01:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    }))
    .expect("deployment");
    assert!(d.metadata.managed_fields.is_none());
    let annotations = d.metadata.annotations.as_ref().expect("annotations");
    assert!(
        !annotations.contains_key("kubectl.kubernetes.io/last-applied-configuration"),
        "{annotations:?}"
    );
    assert_eq!(d.metadata.resource_version.as_deref(), Some("42"));
    assert_eq!(d.metadata.generation, Some(5));
    let row = DeploymentRow::from_object(&d);
    assert_eq!(row.key.name, "checkout");
    assert_eq!((row.desired, row.current, row.ready), (4, 5, 3));
    assert_eq!((row.updated, row.available), (2, 3));
    assert_eq!((row.generation, row.observed_generation), (5, 5));
    assert_eq!(row.revision, Some(7));
    assert_eq!(row.change_cause.as_deref(), Some("release 1.8.3"));
    assert_eq!(
        row.selector.get("app").map(String::as_str),
        Some("checkout")
    );
    assert_eq!(row.conditions[0].reason, "ReplicaSetUpdated");
    assert!(row.conditions[0].since.is_some());
    assert_eq!(row.containers[0].image, "img:7");
    assert_eq!(row.containers[0].resources, "cpu 100m/-");
    assert!(row.containers[0].readiness.is_some());
}

#[test]
fn an_hpa_and_a_warning_event_keep_what_their_rows_show() {
    let h: HorizontalPodAutoscaler = serde_json::from_value(json!({
        "metadata": {"name": "cart", "namespace": "shop", "managedFields": managed_fields(),
            "annotations": {"big": "x".repeat(1000)}},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"},
            "minReplicas": 2, "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3,
            "conditions": [{"type": "AbleToScale", "status": "True", "message": "long text"}]}
    }))
    .expect("hpa");
    assert!(h.metadata.managed_fields.is_none());
    assert!(h.metadata.annotations.is_none());
    let row = HpaRow::from_object(&h);
    assert_eq!(
        (row.target_kind.as_str(), row.target_name.as_str()),
        ("Deployment", "cart")
    );
    assert_eq!((row.min, row.max, row.current), (2, 6, 3));

    let e: Event = serde_json::from_value(json!({
        "metadata": {"name": "cart-1.18", "namespace": "shop", "managedFields": managed_fields()},
        "involvedObject": {"kind": "Pod", "name": "cart-1", "namespace": "shop", "uid": "u",
            "apiVersion": "v1", "resourceVersion": "9", "fieldPath": "spec.containers{cart}"},
        "reason": "BackOff", "message": "Back-off restarting failed container", "type": "Warning",
        "count": 9, "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:05:00Z",
        "source": {"component": "kubelet", "host": "node-a"}, "reportingComponent": "kubelet"
    }))
    .expect("event");
    assert!(e.metadata.managed_fields.is_none());
    assert!(EventRow::is_warning(&e));
    let row = EventRow::from_object(&e);
    assert_eq!(
        (row.object_kind.as_str(), row.object_name.as_str()),
        ("Pod", "cart-1")
    );
    assert_eq!((row.reason.as_str(), row.count), ("BackOff", 9));
    assert_eq!(
        row.last.map(|t| t.to_string()).as_deref(),
        Some("2026-01-01T00:05:00Z")
    );
    // an event with only an eventTime (events.k8s.io writers) dates by it
    let e: Event = serde_json::from_value(json!({
        "metadata": {"name": "n"}, "type": "Normal", "eventTime": "2026-01-01T00:07:00.000000Z"
    }))
    .expect("event");
    assert!(!EventRow::is_warning(&e));
    assert_eq!(
        EventRow::from_object(&e)
            .last
            .map(|t| t.to_string())
            .as_deref(),
        Some("2026-01-01T00:07:00Z")
    );
}

#[test]
fn sets_keep_what_their_rows_show() {
    let s: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "db", "namespace": "prod", "generation": 4, "labels": {"app": "db"},
            "annotations": {"big": "x".repeat(1000)}, "managedFields": managed_fields()},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
            "template": {"spec": pod_spec("db:2")},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]},
        "status": {"replicas": 3, "readyReplicas": 3, "currentReplicas": 2, "updatedReplicas": 1,
            "currentRevision": "db-1", "updateRevision": "db-2", "observedGeneration": 4, "collisionCount": 0}
    }))
    .expect("statefulset");
    assert!(s.metadata.managed_fields.is_none());
    assert!(s.metadata.annotations.is_none());
    let row = StatefulSetRow::from_object(&s);
    assert_eq!(
        (row.replicas, row.ready, row.current, row.updated),
        (3, 3, 2, 1)
    );
    assert_eq!(row.update_revision.as_deref(), Some("db-2"));
    assert_eq!((row.partition, row.generation), (2, 4));
    assert_eq!(row.containers[0].image, "db:2");

    let d: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "dcgm", "namespace": "gpu", "managedFields": managed_fields()},
        "spec": {"selector": {"matchLabels": {"app": "dcgm"}},
            "template": {"spec": pod_spec("dcgm:3")}},
        "status": {"desiredNumberScheduled": 8, "currentNumberScheduled": 8, "numberReady": 7,
            "updatedNumberScheduled": 6, "numberAvailable": 7, "numberMisscheduled": 0}
    }))
    .expect("daemonset");
    assert!(d.metadata.managed_fields.is_none());
    let row = DaemonSetRow::from_object(&d);
    assert_eq!(
        (
            row.desired,
            row.current,
            row.ready,
            row.updated,
            row.available
        ),
        (8, 8, 7, 6, 7)
    );
    assert_eq!(
        row.node_selector.get("gpu").map(String::as_str),
        Some("a100")
    );
    assert_eq!(row.containers[0].image, "dcgm:3");
}

#[test]
fn jobs_and_cronjobs_keep_what_their_rows_show() {
    let j: Job = serde_json::from_value(json!({
        "metadata": {"name": "backup-29000", "namespace": "ops", "managedFields": managed_fields(),
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "backup", "uid": "u", "controller": true}]},
        "spec": {"completions": 1, "backoffLimit": 6, "selector": {"matchLabels": {"job-name": "backup-29000"}},
            "template": {"spec": pod_spec("backup:1")}},
        "status": {"failed": 6, "startTime": "2026-01-01T00:00:00Z",
            "conditions": [
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded"},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                 "message": "Job has reached the specified backoff limit", "lastProbeTime": "2026-01-01T00:09:00Z"}]}
    }))
    .expect("job");
    assert!(j.metadata.managed_fields.is_none());
    let row = JobRow::from_object(&j);
    assert_eq!(row.state, JobState::Failed("BackoffLimitExceeded".into()));
    assert_eq!(row.cronjob.as_deref(), Some("backup"));
    assert_eq!((row.completions, row.failed), (1, 6));
    assert_eq!(row.containers[0].image, "backup:1");
    // a condition not true is not the job's state
    let j: Job = serde_json::from_value(json!({
        "metadata": {"name": "j"},
        "status": {"conditions": [{"type": "Complete", "status": "False"}]}
    }))
    .expect("job");
    assert_eq!(JobRow::from_object(&j).state, JobState::Running);

    let c: CronJob = serde_json::from_value(json!({
        "metadata": {"name": "backup", "namespace": "ops", "managedFields": managed_fields()},
        "spec": {"schedule": "0 3 * * *", "suspend": true, "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": {"spec": pod_spec("backup:1")}}}},
        "status": {"lastScheduleTime": "2026-01-01T03:00:00Z",
            "active": [{"kind": "Job", "name": "backup-1", "namespace": "ops", "uid": "a"},
                       {"kind": "Job", "name": "backup-2", "namespace": "ops", "uid": "b"}]}
    }))
    .expect("cronjob");
    assert!(c.metadata.managed_fields.is_none());
    let row = CronJobRow::from_object(&c);
    assert_eq!((row.schedule.as_str(), row.suspend), ("0 3 * * *", true));
    assert_eq!(row.active, 2);
    assert!(row.last_schedule.is_some() && row.last_successful.is_none());
    assert_eq!(row.containers[0].image, "backup:1");
}

#[test]
fn a_revision_keeps_its_data_as_text_and_reads_its_images() {
    let r: ControllerRevision = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {"name": "db-5d8f", "namespace": "prod", "managedFields": managed_fields(),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u", "controller": true}]},
        "revision": 3,
        "data": {"spec": {"template": {"$patch": "replace", "spec": pod_spec("db:3")}}}
    }))
    .expect("revision");
    assert!(r.metadata.managed_fields.is_none());
    let text = r.data.as_deref().map(RawValue::get).unwrap_or_default();
    assert!(text.contains("db:3"), "{text}");
    let row = RevisionRow::from_object(&r);
    assert_eq!(row.owner, Some(("StatefulSet".into(), "db".into())));
    assert_eq!(row.revision, 3);
    assert_eq!(row.images, vec!["db:3".to_owned()]);
    // data that is not a set's template has no images, and is no error
    for data in [json!("text"), json!({"spec": {"template": 7}}), json!([1])] {
        let r: ControllerRevision =
            serde_json::from_value(json!({"metadata": {"name": "x"}, "data": data}))
                .expect("revision");
        assert!(r.images().is_empty());
    }
}

#[test]
fn nulls_and_missing_parts_decode_to_nothing() {
    let nulls = json!({"metadata": null, "spec": null, "status": null});
    let d: Deployment = serde_json::from_value(nulls.clone()).expect("deployment");
    assert!(d.metadata.name.is_none() && d.spec.is_none() && d.status.is_none());
    let row = DeploymentRow::from_object(&d);
    assert_eq!((row.desired, row.revision), (1, None));
    let h: HorizontalPodAutoscaler = serde_json::from_value(nulls.clone()).expect("hpa");
    assert_eq!(HpaRow::from_object(&h).min, 1);
    let s: StatefulSet = serde_json::from_value(nulls.clone()).expect("statefulset");
    assert!(StatefulSetRow::from_object(&s).containers.is_empty());
    let ds: DaemonSet = serde_json::from_value(nulls.clone()).expect("daemonset");
    assert_eq!(DaemonSetRow::from_object(&ds).desired, 0);
    let j: Job = serde_json::from_value(nulls.clone()).expect("job");
    assert_eq!(JobRow::from_object(&j).state, JobState::Running);
    let c: CronJob = serde_json::from_value(nulls).expect("cronjob");
    assert_eq!(CronJobRow::from_object(&c).active, 0);
    // nulls deeper in: a template without containers, conditions without type or status
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"annotations": null, "labels": null},
        "spec": {"selector": null, "template": {"spec": {"containers": null}}},
        "status": {"conditions": null}
    }))
    .expect("deployment");
    assert!(DeploymentRow::from_object(&d).containers.is_empty());
    let d: Deployment = serde_json::from_str(
        r#"{"metadata": {"annotations": {"deployment.kubernetes.io/revision": null, "a": null}}}"#,
    )
    .expect("deployment");
    assert_eq!(d.metadata.annotations.map(|a| a.len()), Some(0));
    let ds: DaemonSet = serde_json::from_value(json!({
        "spec": {"template": {"spec": {"containers": null, "nodeSelector": null}}},
        "status": {"numberReady": null}
    }))
    .expect("daemonset");
    assert!(DaemonSetRow::from_object(&ds).node_selector.is_empty());
    let j: Job = serde_json::from_value(json!({
        "status": {"conditions": [{"type": null, "status": null}]}
    }))
    .expect("job");
    assert_eq!(JobRow::from_object(&j).state, JobState::Running);
    let e: Event = serde_json::from_value(json!({
        "metadata": null, "involvedObject": null, "type": null, "count": null
    }))
    .expect("event");
    assert!(!EventRow::is_warning(&e));
    assert_eq!(EventRow::from_object(&e).count, 1);
    let c: CronJob = serde_json::from_value(json!({"status": {"active": null}})).expect("cronjob");
    assert_eq!(CronJobRow::from_object(&c).active, 0);
    let r: ControllerRevision =
        serde_json::from_value(json!({"metadata": null, "data": null, "revision": null}))
            .expect("revision");
    assert!(RevisionRow::from_object(&r).images.is_empty());
}
