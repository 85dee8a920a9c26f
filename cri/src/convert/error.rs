//! The runtime's errors: gRPC statuses and the model's [`CriError`].

use podsim_model::io::CriError;
use tonic::Status;

/// CRI -> model: the model's error for a gRPC status (what the client reads).
pub fn cri_error(status: &Status) -> CriError {
    match status.code() {
        tonic::Code::NotFound => CriError::NotFound,
        tonic::Code::Unavailable => CriError::Unavailable,
        tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => CriError::DeadlineExceeded,
        // A transport failure (connection refused, reset) surfaces as Unknown with a transport source.
        tonic::Code::Unknown if status.message().contains("transport") => CriError::Unavailable,
        _ => CriError::Failed(status.message().to_string()),
    }
}

/// model -> CRI: the gRPC status of a runtime error (what the simulated server answers).
pub fn grpc_status(error: CriError) -> Status {
    match error {
        CriError::NotFound => Status::not_found("not found"),
        CriError::Unavailable => Status::unavailable("containerd is not running"),
        CriError::DeadlineExceeded => Status::deadline_exceeded("the runtime did not answer in time"),
        CriError::Failed(message) => Status::unknown(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_comes_back_the_same() {
        let errors = [
            CriError::NotFound,
            CriError::Unavailable,
            CriError::DeadlineExceeded,
            CriError::Failed("failed to create shim task: OCI runtime create failed".into()),
            CriError::Failed(String::new()),
        ];
        for error in errors {
            assert_eq!(cri_error(&grpc_status(error.clone())), error);
        }
    }

    #[test]
    fn statuses_map_to_the_models_errors() {
        assert_eq!(cri_error(&Status::not_found("x")), CriError::NotFound);
        assert_eq!(cri_error(&Status::unavailable("x")), CriError::Unavailable);
        assert_eq!(cri_error(&Status::deadline_exceeded("x")), CriError::DeadlineExceeded);
        assert_eq!(cri_error(&Status::cancelled("x")), CriError::DeadlineExceeded);
        assert_eq!(cri_error(&Status::unknown("boom")), CriError::Failed("boom".into()));
        assert_eq!(cri_error(&Status::invalid_argument("bad")), CriError::Failed("bad".into()));
    }

    /// The one loss: a runtime failure whose message speaks of the transport reads as `Unavailable`,
    /// as tonic reports a broken connection that way.
    #[test]
    fn a_failure_that_names_the_transport_reads_as_unavailable() {
        assert_eq!(
            cri_error(&grpc_status(CriError::Failed("transport error".into()))),
            CriError::Unavailable
        );
    }
}
