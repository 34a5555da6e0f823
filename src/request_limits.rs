//! Bounds on what one connection can cost us: a deadline for every request (a body dripped a byte at a
//! time cannot hold a connection for ever), the connection cap per worker, and the file descriptors to
//! carry it. Header reads are bounded by actix's `client_request_timeout` (set in `startup`).

use std::time::Duration;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::AppError;

/// Middleware: the body must arrive and the handler must answer within `server.request_timeout_secs`;
/// otherwise 408, and the connection is closed. A streamed response (CSV export) counts until its head.
pub async fn enforce_deadline(
    deadline: Duration,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    tokio::time::timeout(deadline, next.call(req))
        .await
        .unwrap_or_else(|_| Err(AppError::RequestTimeout.into()))
}

/// Raises the soft open-files limit to the hard one (Docker and ECS default the soft limit low) and
/// returns the soft limit now in force.
pub fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// Connections per worker: the configured cap, lowered so that every worker at its cap still leaves
/// descriptors for the database pool, the listener and logs. Past it a worker stops accepting until a
/// connection closes, instead of failing `accept` with EMFILE.
pub fn connections_per_worker(configured: usize, workers: usize, open_files: u64) -> usize {
    const RESERVED: u64 = 256;
    let usable = open_files.saturating_sub(RESERVED) / workers.max(1) as u64;
    configured.min(usable as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_never_outgrows_the_descriptors() {
        assert_eq!(connections_per_worker(10_000, 2, 1_048_576), 10_000);
        assert_eq!(connections_per_worker(10_000, 2, 1024), 384);
        assert_eq!(connections_per_worker(10_000, 4, 100), 1);
    }

    #[test]
    fn the_soft_open_files_limit_is_raised_to_the_hard_one() {
        let now = raise_open_files_limit();
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(limit.rlim_cur, limit.rlim_max);
        assert_eq!(now, limit.rlim_cur);
    }
}
