//! A container's probes as a manifest writes them, defaulted and validated as the API server does
//! (pkg/apis/core/v1/defaults.go `SetDefaults_Probe`, `SetDefaults_HTTPGetAction`;
//! pkg/apis/core/validation `validateProbe`, `validateHandler`, `validateHTTPGetAction`,
//! `ValidatePortNumOrName`, and the per-kind rules of `validateContainerCommon`/`validateInitContainers`:
//! liveness and startup need `successThreshold` 1, a readiness probe takes no
//! `terminationGracePeriodSeconds`, a plain init container and an ephemeral container take no probe).
//! Every field of `Probe` is known: any other word is an error.

use serde::Deserialize;

use super::lifecycle::ExecM;
use super::{FieldError, ListKind};
use crate::pod::{
    ExecAction, GrpcAction, HttpGetAction, PortValue, Probe, ProbeHandler, TcpSocketAction,
    DEFAULT_FAILURE_THRESHOLD, DEFAULT_PERIOD_SECONDS, DEFAULT_SUCCESS_THRESHOLD, DEFAULT_TIMEOUT_SECONDS,
};

/// `Probe` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ProbeM {
    #[serde(default)]
    exec: Option<ExecM>,
    #[serde(default)]
    http_get: Option<HttpGetM>,
    #[serde(default)]
    tcp_socket: Option<TcpSocketM>,
    #[serde(default)]
    grpc: Option<GrpcM>,
    #[serde(default)]
    initial_delay_seconds: Option<i32>,
    #[serde(default)]
    timeout_seconds: Option<i32>,
    #[serde(default)]
    period_seconds: Option<i32>,
    #[serde(default)]
    success_threshold: Option<i32>,
    #[serde(default)]
    failure_threshold: Option<i32>,
    #[serde(default)]
    termination_grace_period_seconds: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HttpGetM {
    #[serde(default)]
    path: Option<String>,
    port: PortValue,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    http_headers: Vec<HttpHeaderM>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpHeaderM {
    name: String,
    #[allow(dead_code)]
    value: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TcpSocketM {
    port: PortValue,
    #[serde(default)]
    host: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrpcM {
    port: i32,
    #[serde(default)]
    service: Option<String>,
}

/// Which probe of a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProbeField {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeField {
    fn name(self) -> &'static str {
        match self {
            ProbeField::Liveness => "livenessProbe",
            ProbeField::Readiness => "readinessProbe",
            ProbeField::Startup => "startupProbe",
        }
    }
}

/// The largest port number.
const MAX_PORT: i32 = 65_535;
/// The longest IANA service name (a named port).
const MAX_PORT_NAME: usize = 15;

/// Validates and defaults one probe of a container of `kind` (`restartable`: a sidecar).
pub(super) fn read_probe(
    probe: Option<&ProbeM>,
    field: ProbeField,
    kind: ListKind,
    restartable: bool,
) -> Result<Option<Probe>, FieldError> {
    let Some(p) = probe else { return Ok(None) };
    let at = |sub: &str| format!("{}{sub}", field.name());
    match kind {
        ListKind::Ephemeral => return Err((at(""), "may not be set for ephemeral containers".into())),
        ListKind::Init if !restartable => {
            return Err((at(""), "may not be set for init containers without restartPolicy=Always".into()))
        }
        _ => {}
    }
    let handler = read_handler(p).map_err(|(f, m)| (at(&f), m))?;
    let numbers = [
        (".initialDelaySeconds", p.initial_delay_seconds),
        (".timeoutSeconds", p.timeout_seconds),
        (".periodSeconds", p.period_seconds),
        (".successThreshold", p.success_threshold),
        (".failureThreshold", p.failure_threshold),
    ];
    for (name, value) in numbers {
        if value.is_some_and(|v| v < 0) {
            return Err((at(name), "must be greater than or equal to 0".into()));
        }
    }
    let positive_or = |v: Option<i32>, default: i32| v.filter(|&v| v > 0).unwrap_or(default);
    let probe = Probe {
        handler,
        initial_delay_seconds: p.initial_delay_seconds.unwrap_or(0),
        timeout_seconds: positive_or(p.timeout_seconds, DEFAULT_TIMEOUT_SECONDS),
        period_seconds: positive_or(p.period_seconds, DEFAULT_PERIOD_SECONDS),
        success_threshold: positive_or(p.success_threshold, DEFAULT_SUCCESS_THRESHOLD),
        failure_threshold: positive_or(p.failure_threshold, DEFAULT_FAILURE_THRESHOLD),
        termination_grace_period_seconds: p.termination_grace_period_seconds,
    };
    if field != ProbeField::Readiness && probe.success_threshold != 1 {
        return Err((at(".successThreshold"), "must be 1".into()));
    }
    match (field, probe.termination_grace_period_seconds) {
        (ProbeField::Readiness, Some(_)) => {
            Err((at(".terminationGracePeriodSeconds"), "must not be set for readinessProbes".into()))
        }
        (_, Some(g)) if g <= 0 => {
            Err((at(".terminationGracePeriodSeconds"), "must be greater than 0".into()))
        }
        _ => Ok(Some(probe)),
    }
}

/// `validateHandler`: exactly one handler, each valid.
fn read_handler(p: &ProbeM) -> Result<ProbeHandler, FieldError> {
    let set = [p.exec.is_some(), p.http_get.is_some(), p.tcp_socket.is_some(), p.grpc.is_some()];
    match set.iter().filter(|&&s| s).count() {
        0 => return Err((String::new(), "must specify a handler type".into())),
        1 => {}
        _ => return Err((String::new(), "may not specify more than 1 handler type".into())),
    }
    if let Some(e) = &p.exec {
        return Ok(ProbeHandler::Exec(ExecAction { command: e.command()? }));
    }
    if let Some(h) = &p.http_get {
        validate_port(&h.port).map_err(|m| (".httpGet.port".into(), m))?;
        let scheme = h.scheme.clone().unwrap_or_else(|| "HTTP".into());
        if scheme != "HTTP" && scheme != "HTTPS" {
            return Err((
                ".httpGet.scheme".into(),
                format!("Unsupported value: {scheme:?}: supported values: \"HTTP\", \"HTTPS\""),
            ));
        }
        if let Some(bad) = h.http_headers.iter().find(|h| !is_http_header_name(&h.name)) {
            return Err((
                ".httpGet.httpHeaders".into(),
                format!("{:?}: not a valid HTTP header name", bad.name),
            ));
        }
        let path = h.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".into());
        let host = h.host.clone().unwrap_or_default();
        return Ok(ProbeHandler::HttpGet(HttpGetAction { path, port: h.port.clone(), host, scheme }));
    }
    if let Some(t) = &p.tcp_socket {
        validate_port(&t.port).map_err(|m| (".tcpSocket.port".into(), m))?;
        let host = t.host.clone().unwrap_or_default();
        return Ok(ProbeHandler::TcpSocket(TcpSocketAction { port: t.port.clone(), host }));
    }
    let g = p.grpc.as_ref().expect("one handler is set");
    validate_port(&PortValue::Number(g.port)).map_err(|m| (".grpc.port".into(), m))?;
    Ok(ProbeHandler::Grpc(GrpcAction { port: g.port, service: g.service.clone() }))
}

/// `ValidatePortNumOrName`: a number from 1 to 65535, or an IANA service name.
fn validate_port(port: &PortValue) -> Result<(), String> {
    match port {
        PortValue::Number(n) if (1..=MAX_PORT).contains(n) => Ok(()),
        PortValue::Number(_) => Err(format!("must be between 1 and {MAX_PORT}, inclusive")),
        PortValue::Name(name) if is_port_name(name) => Ok(()),
        PortValue::Name(name) => Err(format!(
            "{name:?}: must be no more than {MAX_PORT_NAME} characters of lower-case letters, digits and '-', with a letter"
        )),
    }
}

/// `IsValidPortName`: 1-15 characters of `a-z0-9-`, at least one letter, no `-` at either end or twice.
fn is_port_name(name: &str) -> bool {
    let chars_ok = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (1..=MAX_PORT_NAME).contains(&name.len())
        && chars_ok
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// apimachinery's `IsHTTPHeaderName` (validation.go, `httpHeaderNameFmt` = `[-A-Za-z0-9]+`, "the Go
/// HTTP library's definition of a valid header field name, a stricter subset than RFC7230"), as
/// `validateHTTPGetAction` applies it to a probe's and a lifecycle hook's `httpHeaders`.
pub(crate) fn is_http_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use crate::manifest::PodManifest;
    use crate::pod::{Pod, PortValue, ProbeHandler};

    fn pod(containers: &str, init: &str) -> Result<Pod, String> {
        let json = format!(
            r#"{{"metadata":{{"name":"p"}},"spec":{{"initContainers":[{init}],"containers":[{containers}]}}}}"#
        );
        let manifest: PodManifest = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        manifest.into_pod().map_err(|e| e.to_string())
    }

    fn with_probe(field: &str, probe: &str) -> Result<Pod, String> {
        pod(&format!(r#"{{"name":"app","image":"i:1","{field}":{probe}}}"#), "")
    }

    #[test]
    fn probes_get_the_api_defaults() {
        let p = with_probe("livenessProbe", r#"{"exec":{"command":["workload","check","live"]}}"#).unwrap();
        let probe = p.spec.containers[0].liveness_probe.clone().unwrap();
        assert_eq!(
            (probe.initial_delay_seconds, probe.period_seconds, probe.timeout_seconds),
            (0, 10, 1),
            "SetDefaults_Probe"
        );
        assert_eq!((probe.success_threshold, probe.failure_threshold), (1, 3));
        let p = with_probe(
            "readinessProbe",
            r#"{"httpGet":{"port":8080},"periodSeconds":0,"successThreshold":2}"#,
        )
        .unwrap();
        let probe = p.spec.containers[0].readiness_probe.clone().unwrap();
        assert_eq!(probe.period_seconds, 10, "0 is defaulted");
        assert_eq!(probe.success_threshold, 2, "a readiness probe may need several successes");
        let ProbeHandler::HttpGet(h) = probe.handler else { panic!("httpGet") };
        assert_eq!((h.path.as_str(), h.scheme.as_str(), h.port), ("/", "HTTP", PortValue::Number(8080)));
        let p = with_probe("startupProbe", r#"{"tcpSocket":{"port":"http"},"failureThreshold":30}"#).unwrap();
        assert_eq!(p.spec.containers[0].startup_probe.as_ref().unwrap().failure_threshold, 30);
        let p = with_probe("livenessProbe", r#"{"grpc":{"port":9000,"service":"x"}}"#).unwrap();
        assert!(p.spec.containers[0].has_liveness_probe());
    }

    #[test]
    fn invalid_probes_are_refused_as_the_api_server_refuses_them() {
        let cases: &[(&str, &str, &str)] = &[
            ("livenessProbe", r#"{}"#, "spec.containers[0].livenessProbe: must specify a handler type"),
            (
                "livenessProbe",
                r#"{"exec":{"command":["a"]},"tcpSocket":{"port":1}}"#,
                "spec.containers[0].livenessProbe: may not specify more than 1 handler type",
            ),
            ("livenessProbe", r#"{"exec":{"command":[]}}"#, "spec.containers[0].livenessProbe.exec.command: Required value"),
            (
                "livenessProbe",
                r#"{"exec":{"command":["a"]},"periodSeconds":-1}"#,
                "spec.containers[0].livenessProbe.periodSeconds: must be greater than or equal to 0",
            ),
            (
                "livenessProbe",
                r#"{"exec":{"command":["a"]},"successThreshold":2}"#,
                "spec.containers[0].livenessProbe.successThreshold: must be 1",
            ),
            (
                "startupProbe",
                r#"{"exec":{"command":["a"]},"successThreshold":3}"#,
                "spec.containers[0].startupProbe.successThreshold: must be 1",
            ),
            (
                "readinessProbe",
                r#"{"exec":{"command":["a"]},"terminationGracePeriodSeconds":5}"#,
                "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: must not be set for readinessProbes",
            ),
            (
                "livenessProbe",
                r#"{"exec":{"command":["a"]},"terminationGracePeriodSeconds":0}"#,
                "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: must be greater than 0",
            ),
            (
                "livenessProbe",
                r#"{"httpGet":{"port":70000}}"#,
                "spec.containers[0].livenessProbe.httpGet.port: must be between 1 and 65535, inclusive",
            ),
            (
                "livenessProbe",
                r#"{"httpGet":{"port":80,"scheme":"FTP"}}"#,
                "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"",
            ),
            (
                "livenessProbe",
                r#"{"grpc":{"port":0}}"#,
                "spec.containers[0].livenessProbe.grpc.port: must be between 1 and 65535, inclusive",
            ),
        ];
        for (field, probe, message) in cases {
            assert_eq!(with_probe(field, probe).unwrap_err(), *message, "{probe}");
        }
    }

    #[test]
    fn unknown_probe_words_are_errors() {
        let e = with_probe("livenessProbe", r#"{"exec":{"command":["a"]},"periodSecond":5}"#).unwrap_err();
        assert!(e.contains("unknown field `periodSecond`"), "{e}");
        let e = with_probe("livenessProbe", r#"{"exec":{"cmd":["a"]}}"#).unwrap_err();
        assert!(e.contains("unknown field `cmd`"), "{e}");
    }

    #[test]
    fn probes_are_for_regular_containers_and_sidecars_only() {
        let probe = r#"{"exec":{"command":["a"]}}"#;
        let init = format!(r#"{{"name":"init","image":"i:1","startupProbe":{probe}}}"#);
        let app = r#"{"name":"app","image":"i:1"}"#;
        assert_eq!(
            pod(app, &init).unwrap_err(),
            "spec.initContainers[0].startupProbe: may not be set for init containers without restartPolicy=Always"
        );
        let sidecar =
            format!(r#"{{"name":"side","image":"i:1","restartPolicy":"Always","startupProbe":{probe}}}"#);
        assert!(pod(app, &sidecar).unwrap().spec.init_containers[0].has_startup_probe());
    }

    /// HashContainer covers the name and the image only (kuberuntime/helpers.go `HashContainer`
    /// hashes `hashableContainer{Name, Image}`): a probe does not change it.
    #[test]
    fn a_probe_does_not_change_the_container_hash() {
        let plain = pod(r#"{"name":"app","image":"i:1"}"#, "").unwrap();
        let probed = with_probe("livenessProbe", r#"{"exec":{"command":["a"]}}"#).unwrap();
        assert_eq!(plain.spec.containers[0].hash(), probed.spec.containers[0].hash());
    }
}
