//! The lead intake: visitors' valid submissions wait in one bounded queue per task, and a few writers
//! each take everything waiting and store it in one transaction (`db::lead_insert`). Under load that is
//! one commit for many leads instead of one each (group commit); alone, a lead is stored at once, with no
//! waiting for company. Each visitor is answered after the commit that holds their lead.
//!
//! Bounds: at most `leads.intake_queue` submissions wait (beyond that the form answers 503 with
//! `Retry-After` at once, and says so in the log); at most `leads.intake_batch` go in one transaction;
//! `leads.intake_writers` transactions run at a time (each holds one pooled connection while it does).

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::config::LeadSettings;
use crate::db::leads::{AddedBy, Stored, insert_many};
use crate::db::outbox::Notify;
use crate::db::{DbPool, DbResult};
use crate::domain::LeadSubmission;
use crate::error::AppError;

/// What a visitor's submission came to, and how many leads shared its transaction.
#[derive(Debug)]
pub struct Receipt {
    pub stored: DbResult<Stored>,
    pub batch: usize,
}

struct Waiting {
    lead: LeadSubmission,
    reply: oneshot::Sender<Receipt>,
}

pub struct LeadIntake {
    sender: mpsc::Sender<Waiting>,
    receiver: Arc<Mutex<mpsc::Receiver<Waiting>>>,
    capacity: usize,
}

impl LeadIntake {
    /// An intake with no writers yet ([`start`](Self::start) adds them): submissions wait until then.
    pub fn new(settings: &LeadSettings) -> Self {
        let capacity = settings.intake_queue.max(1);
        let (sender, receiver) = mpsc::channel(capacity);
        Self {
            sender,
            receiver: Arc::new(Mutex::new(receiver)),
            capacity,
        }
    }

    /// Starts the writers on the current (actix) runtime. They stop when the intake is dropped.
    pub fn start(&self, pool: &DbPool, settings: &LeadSettings, notify: Notify) {
        let batch_max = settings.intake_batch.max(1);
        for _ in 0..settings.intake_writers.max(1) {
            let (pool, receiver) = (pool.clone(), self.receiver.clone());
            tokio::task::spawn_local(write_batches(pool, receiver, batch_max, notify));
        }
    }

    /// Queues a valid submission and waits for the commit that stores it. A full queue is answered at
    /// once with 503 and `Retry-After`: the visitor keeps what they typed and sends it again.
    pub async fn submit(&self, lead: LeadSubmission) -> Result<Receipt, AppError> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::TrySendError::Full(_)) =
            self.sender.try_send(Waiting { lead, reply })
        {
            tracing::warn!(
                waiting = self.capacity,
                "lead intake full (leads.intake_queue); answered 503 with Retry-After"
            );
            return Err(AppError::Busy {
                what: "lead intake",
                retry_after_secs: 1,
            });
        }
        answer.await.map_err(|_| {
            AppError::DatabaseUnavailable("the lead writer stopped before answering".into())
        })
    }
}

/// One writer: takes the first waiting submission, then every other one already waiting (up to
/// `batch_max`), and stores them together. Taking turns at the queue keeps one writer's batch whole.
async fn write_batches(
    pool: DbPool,
    receiver: Arc<Mutex<mpsc::Receiver<Waiting>>>,
    batch_max: usize,
    notify: Notify,
) {
    let mut batch = Vec::with_capacity(batch_max);
    loop {
        {
            let mut queue = receiver.lock().await;
            if queue.recv_many(&mut batch, batch_max).await == 0 {
                return; // the intake is gone: the task is stopping
            }
        }
        let (leads, replies): (Vec<_>, Vec<_>) = batch
            .drain(..)
            .map(|waiting| (waiting.lead, waiting.reply))
            .unzip();
        let results = insert_many(&pool, &leads, AddedBy::Visitor, notify).await;
        let size = leads.len();
        for (reply, stored) in replies.into_iter().zip(results) {
            // A visitor who left before the commit loses nothing: the lead is stored all the same.
            let _ = reply.send(Receipt {
                stored,
                batch: size,
            });
        }
    }
}
