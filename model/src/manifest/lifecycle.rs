//! Reading and validating a container's `lifecycle` (pkg/apis/core/validation/validation.go
//! `validateLifecycle`, `validateHandler`, `validateSleepAction`, `validateExecAction`,
//! `validateHTTPGetAction`, `validateTCPSocketAction`). Unknown fields of a lifecycle or a handler
//! are errors: podsim runs what it reads, so it refuses what it would not run.

use serde::Deserialize;

use crate::pod::{Lifecycle, LifecycleHandler};

/// `lifecycle`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct LifecycleM {
    #[serde(default)]
    post_start: Option<HandlerM>,
    #[serde(default)]
    pre_stop: Option<HandlerM>,
}

/// `v1.LifecycleHandler`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HandlerM {
    #[serde(default)]
    exec: Option<ExecM>,
    #[serde(default)]
    http_get: Option<HttpGetM>,
    #[serde(default)]
    tcp_socket: Option<TcpSocketM>,
    #[serde(default)]
    sleep: Option<SleepM>,
}

/// `exec` (`v1.ExecAction`), of a lifecycle hook and of a probe alike.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExecM {
    #[serde(default)]
    command: Vec<String>,
}

impl ExecM {
    /// The command, which validation requires (`validateExecAction`): the error names the field
    /// below the handler.
    pub(super) fn command(&self) -> Result<Vec<String>, (String, String)> {
        if self.command.is_empty() {
            return Err((".exec.command".into(), "Required value".into()));
        }
        Ok(self.command.clone())
    }
}

/// `httpGet` (`httpHeaders` are validated and not kept: nothing in podsim answers them).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HttpGetM {
    #[serde(default)]
    path: Option<String>,
    port: PortM,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    scheme: Option<SchemeM>,
    #[serde(default)]
    http_headers: Vec<HeaderM>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderM {
    name: String,
    #[allow(dead_code)]
    value: String,
}

/// `URIScheme`: an unknown scheme is an error (validation's `NotSupported`).
#[derive(Clone, Copy, Debug, Deserialize)]
enum SchemeM {
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TcpSocketM {
    port: PortM,
    #[serde(default)]
    #[allow(dead_code)]
    host: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SleepM {
    seconds: i64,
}

/// An `IntOrString` port.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum PortM {
    Number(i64),
    Name(String),
}

impl PortM {
    /// `ValidatePortNumOrName`: a number in 1-65535, or an IANA service name (1-15 lowercase
    /// letters, digits and '-', with a letter, not starting or ending with '-', no "--").
    fn validate(&self) -> Result<String, String> {
        match self {
            PortM::Number(n) if (1..=65535).contains(n) => Ok(n.to_string()),
            PortM::Number(_) => Err("must be between 1 and 65535, inclusive".into()),
            PortM::Name(name) if is_iana_svc_name(name) => Ok(name.clone()),
            PortM::Name(_) => Err("must be a valid port name (IANA_SVC_NAME)".into()),
        }
    }
}

fn is_iana_svc_name(s: &str) -> bool {
    let chars_ok = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (1..=15).contains(&s.len())
        && chars_ok
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A field below the container, and what is wrong with it.
type FieldError = (String, String);

impl LifecycleM {
    /// `validateLifecycle` then the model's form: each hook must hold exactly one action.
    pub(super) fn into_lifecycle(self, grace_period_seconds: i64) -> Result<Lifecycle, FieldError> {
        let hook = |h: Option<HandlerM>, field: &str| -> Result<Option<LifecycleHandler>, FieldError> {
            h.map(|h| {
                h.into_handler(grace_period_seconds).map_err(|(f, m)| (format!("lifecycle.{field}{f}"), m))
            })
            .transpose()
        };
        Ok(Lifecycle {
            post_start: hook(self.post_start, "postStart")?,
            pre_stop: hook(self.pre_stop, "preStop")?,
        })
    }
}

impl HandlerM {
    /// `validateHandler`: more than one action is Forbidden at the second, none is Required.
    fn into_handler(self, grace_period_seconds: i64) -> Result<LifecycleHandler, FieldError> {
        let present = [
            ("exec", self.exec.is_some()),
            ("httpGet", self.http_get.is_some()),
            ("tcpSocket", self.tcp_socket.is_some()),
            ("sleep", self.sleep.is_some()),
        ];
        let mut set = present.iter().filter(|(_, p)| *p).map(|(n, _)| *n);
        let Some(_) = set.next() else {
            return Err((String::new(), "must specify a handler type".into()));
        };
        if let Some(second) = set.next() {
            return Err((format!(".{second}"), "may not specify more than 1 handler type".into()));
        }
        if let Some(exec) = self.exec {
            return Ok(LifecycleHandler::Exec { command: exec.command()? });
        }
        if let Some(get) = self.http_get {
            let path = get.path.unwrap_or_default();
            if path.is_empty() {
                return Err((".httpGet.path".into(), "Required value".into()));
            }
            let port = get.port.validate().map_err(|m| (".httpGet.port".to_string(), m))?;
            let scheme = match get.scheme.unwrap_or(SchemeM::Http) {
                SchemeM::Http => "HTTP",
                SchemeM::Https => "HTTPS",
            };
            if let Some(bad) = get.http_headers.iter().find(|h| !super::probe::is_http_header_name(&h.name)) {
                return Err((
                    ".httpGet.httpHeaders".into(),
                    format!("{:?}: not a valid HTTP header name", bad.name),
                ));
            }
            return Ok(LifecycleHandler::HttpGet {
                path,
                port,
                host: get.host.unwrap_or_default(),
                scheme: scheme.into(),
            });
        }
        if let Some(tcp) = self.tcp_socket {
            let port = tcp.port.validate().map_err(|m| (".tcpSocket.port".to_string(), m))?;
            return Ok(LifecycleHandler::TcpSocket { port });
        }
        let seconds = self.sleep.map_or(0, |s| s.seconds);
        // validateSleepAction with PodLifecycleSleepActionAllowZero (beta, on since 1.33).
        if seconds < 0 || seconds > grace_period_seconds {
            return Err((
                ".sleep".into(),
                format!("must be non-negative and less than terminationGracePeriodSeconds ({grace_period_seconds})"),
            ));
        }
        Ok(LifecycleHandler::Sleep { seconds })
    }
}

#[cfg(test)]
mod tests {
    use crate::manifest::PodManifest;
    use crate::pod::LifecycleHandler;

    fn pod(lifecycle: &str, grace: i64) -> Result<crate::pod::Pod, String> {
        let text = format!(
            r#"{{"metadata":{{"name":"p"}},"spec":{{"terminationGracePeriodSeconds":{grace},
                "containers":[{{"name":"a","image":"i:1","lifecycle":{lifecycle}}}]}}}}"#
        );
        let m: PodManifest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        m.into_pod().map_err(|e| e.to_string())
    }

    #[test]
    fn reads_each_action() {
        let p = pod(
            r#"{"postStart":{"exec":{"command":["workload","exit-after","1s","0"]}},"preStop":{"sleep":{"seconds":5}}}"#,
            30,
        )
        .unwrap();
        let l = &p.spec.containers[0].lifecycle;
        assert_eq!(
            l.post_start,
            Some(LifecycleHandler::Exec {
                command: vec!["workload".into(), "exit-after".into(), "1s".into(), "0".into()]
            })
        );
        assert_eq!(l.pre_stop, Some(LifecycleHandler::Sleep { seconds: 5 }));
        let p = pod(r#"{"preStop":{"httpGet":{"path":"/quit","port":"http"}}}"#, 30).unwrap();
        assert_eq!(
            p.spec.containers[0].lifecycle.pre_stop,
            Some(LifecycleHandler::HttpGet {
                path: "/quit".into(),
                port: "http".into(),
                host: String::new(),
                scheme: "HTTP".into()
            })
        );
        // The deprecated tcpSocket action passes validation; the kubelet fails it when it runs.
        let p = pod(r#"{"postStart":{"tcpSocket":{"port":8080}}}"#, 30).unwrap();
        assert_eq!(
            p.spec.containers[0].lifecycle.post_start,
            Some(LifecycleHandler::TcpSocket { port: "8080".into() })
        );
    }

    #[test]
    fn validation_refuses_what_the_api_server_refuses() {
        let cases = [
            (r#"{"preStop":{}}"#, "spec.containers[0].lifecycle.preStop: must specify a handler type"),
            (
                r#"{"preStop":{"sleep":{"seconds":1},"exec":{"command":["x"]}}}"#,
                "spec.containers[0].lifecycle.preStop.sleep: may not specify more than 1 handler type",
            ),
            (
                r#"{"postStart":{"exec":{"command":[]}}}"#,
                "spec.containers[0].lifecycle.postStart.exec.command",
            ),
            (r#"{"preStop":{"httpGet":{"port":80}}}"#, "spec.containers[0].lifecycle.preStop.httpGet.path"),
            (r#"{"preStop":{"httpGet":{"path":"/","port":0}}}"#, "httpGet.port: must be between 1 and 65535"),
            (
                r#"{"preStop":{"tcpSocket":{"port":"Not_A_Name"}}}"#,
                "tcpSocket.port: must be a valid port name",
            ),
            (
                r#"{"preStop":{"sleep":{"seconds":31}}}"#,
                "preStop.sleep: must be non-negative and less than terminationGracePeriodSeconds (30)",
            ),
            (r#"{"preStop":{"sleep":{"seconds":-1}}}"#, "preStop.sleep: must be non-negative"),
            // validateHTTPGetAction's IsHTTPHeaderName, as for a probe.
            (
                r#"{"postStart":{"httpGet":{"path":"/","port":80,"httpHeaders":[{"name":"a_b","value":"v"}]}}}"#,
                "postStart.httpGet.httpHeaders: \"a_b\": not a valid HTTP header name",
            ),
        ];
        for (lifecycle, want) in cases {
            let err = pod(lifecycle, 30).unwrap_err();
            assert!(err.contains(want), "{lifecycle}: {err}");
        }
        // Zero seconds is allowed (PodLifecycleSleepActionAllowZero, on since 1.33).
        assert!(pod(r#"{"preStop":{"sleep":{"seconds":0}}}"#, 30).is_ok());
        let header = r#"{"postStart":{"httpGet":{"path":"/","port":80,"httpHeaders":[{"name":"X-Probe-1","value":"v"}]}}}"#;
        assert!(pod(header, 30).is_ok(), "a header name of letters, digits and '-' is valid");
    }

    #[test]
    fn unknown_words_are_errors() {
        for lifecycle in [
            r#"{"preStp":{"sleep":{"seconds":1}}}"#,
            r#"{"preStop":{"sleeep":{"seconds":1}}}"#,
            r#"{"preStop":{"httpGet":{"path":"/","port":80,"scheme":"FTP"}}}"#,
        ] {
            assert!(pod(lifecycle, 30).is_err(), "{lifecycle} must be refused");
        }
    }

    #[test]
    fn active_deadline_must_be_positive() {
        let text = |v: i64| {
            format!(
                r#"{{"metadata":{{"name":"p"}},"spec":{{"activeDeadlineSeconds":{v},"containers":[{{"name":"a","image":"i:1"}}]}}}}"#
            )
        };
        let read = |v| serde_json::from_str::<PodManifest>(&text(v)).unwrap().into_pod();
        assert_eq!(read(5).unwrap().spec.active_deadline_seconds, Some(5));
        assert_eq!(read(0).unwrap_err().path, "spec.activeDeadlineSeconds");
        assert_eq!(read(1 << 31).unwrap_err().path, "spec.activeDeadlineSeconds");
    }
}
