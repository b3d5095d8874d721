//! Stopping in order and keeping the background work alive.
//!
//! [`Shutdown`] is the one stop signal of an instance (SIGTERM, Ctrl-C, or `Running::stop`): the
//! server stops accepting, live streams end, and every worker finishes the round it is in and
//! stops. Workers run under [`supervise`]: one that panics is logged and started again after a
//! pause (1 s, doubling to a minute), and each records a heartbeat in [`Workers`] that the
//! readiness check reads. Inside a round, [`isolate`] runs one item (a parcel, a complaint) on
//! its own task, so its failure or panic is logged and the round goes on.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// The first pause before a panicked worker starts again; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest pause before a restart. A worker that ran this long before failing is paused
/// [`FIRST_BACKOFF`] again.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long past its next round a worker may go without a heartbeat (a round that began or
/// ended) before it counts as stuck.
const STUCK_AFTER: Duration = Duration::from_secs(10 * 60);

/// The instance's stop signal, cheap to clone; once triggered it stays triggered.
#[derive(Clone, Debug, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the stop (again is a no-op).
    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes once the stop is triggered; owns its token, so it can be handed to a task.
    pub fn wait(&self) -> WaitForCancellationFutureOwned {
        self.0.clone().cancelled_owned()
    }
}

/// One worker's heartbeat.
#[derive(Debug, Clone, Copy)]
struct Beat {
    /// The pause between its rounds.
    every: Duration,
    /// False between a panic and the restart, and after it stopped.
    running: bool,
    restarts: u32,
    /// Set while a round is under way.
    round_started: Option<Instant>,
    last_round_end: Option<Instant>,
    /// When it was (re)started.
    since: Instant,
}

/// A worker as the readiness check shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStatus {
    pub name: &'static str,
    /// Running, and its last heartbeat recent enough for its schedule.
    pub healthy: bool,
    /// How often it was started again after a panic.
    pub restarts: u32,
    /// Since its last round ended; `None` before the first one ends.
    pub last_round_ms_ago: Option<u64>,
}

/// The heartbeats of this instance's background workers, cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Workers(Arc<Mutex<BTreeMap<&'static str, Beat>>>);

impl Workers {
    fn update(&self, name: &'static str, change: impl FnOnce(&mut Beat)) {
        let mut beats = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(beat) = beats.get_mut(name) {
            change(beat);
        }
    }

    fn register(&self, name: &'static str, every: Duration) {
        let mut beats = self.0.lock().unwrap_or_else(|p| p.into_inner());
        beats.insert(
            name,
            Beat {
                every,
                running: true,
                restarts: 0,
                round_started: None,
                last_round_end: None,
                since: Instant::now(),
            },
        );
    }

    /// Every worker, by name.
    pub fn snapshot(&self) -> Vec<WorkerStatus> {
        let beats = self.0.lock().unwrap_or_else(|p| p.into_inner());
        beats
            .iter()
            .map(|(&name, b)| {
                let last_beat = [b.round_started, b.last_round_end]
                    .into_iter()
                    .flatten()
                    .chain([b.since])
                    .max()
                    .unwrap_or(b.since);
                WorkerStatus {
                    name,
                    healthy: b.running && last_beat.elapsed() <= b.every + STUCK_AFTER,
                    restarts: b.restarts,
                    last_round_ms_ago: b
                        .last_round_end
                        .map(|end| u64::try_from(end.elapsed().as_millis()).unwrap_or(u64::MAX)),
                }
            })
            .collect()
    }
}

/// A supervised worker's handle on its schedule, the stop signal and its heartbeat.
pub struct Worker {
    name: &'static str,
    every: Duration,
    shutdown: Shutdown,
    workers: Workers,
}

impl Worker {
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Runs `round` now and again `every` after each one ends, until the stop. A round that has
    /// begun is never cut short: the stop is seen between rounds, and ends the pause at once.
    pub async fn rounds<F, Fut>(&self, mut round: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        while !self.shutdown.is_triggered() {
            let name = self.name;
            self.workers
                .update(name, |b| b.round_started = Some(Instant::now()));
            round().await;
            self.workers.update(name, |b| {
                b.round_started = None;
                b.last_round_end = Some(Instant::now());
            });
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = self.shutdown.0.cancelled() => {}
            }
        }
    }
}

/// A panic's message, when it has one.
fn panic_text(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

/// Starts the worker `name` (`start` given its [`Worker`]) on a task of its own and keeps it
/// going: a panic is logged with its message and the worker starts again after a pause (1 s,
/// doubling to a minute). The returned task ends once the worker has stopped after the stop
/// signal.
pub fn supervise<S, Fut>(
    name: &'static str,
    every: Duration,
    shutdown: &Shutdown,
    workers: &Workers,
    start: S,
) -> JoinHandle<()>
where
    S: Fn(Worker) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let shutdown = shutdown.clone();
    let workers = workers.clone();
    workers.register(name, every);
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let worker = Worker {
                name,
                every,
                shutdown: shutdown.clone(),
                workers: workers.clone(),
            };
            let began = Instant::now();
            let run = start(worker);
            let outcome = tokio::spawn(run).await;
            workers.update(name, |b| {
                b.running = false;
                b.round_started = None;
            });
            if began.elapsed() >= MAX_BACKOFF {
                backoff = FIRST_BACKOFF;
            }
            match outcome {
                Ok(()) if shutdown.is_triggered() => break,
                Ok(()) => tracing::error!(
                    worker = name,
                    "background worker {name} ended by itself; starting it again in {backoff:?}"
                ),
                Err(e) if e.is_panic() => {
                    let text = panic_text(e.into_panic());
                    tracing::error!(
                        worker = name,
                        "background worker {name} panicked: {text}; starting it again in {backoff:?}"
                    );
                }
                // Cancelled: the runtime is going away.
                Err(_) => break,
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.0.cancelled() => break,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            workers.update(name, |b| {
                b.running = true;
                b.restarts += 1;
                b.since = Instant::now();
            });
        }
    })
}

/// Runs one item of a round on its own task: its error is logged as a warning, its panic as an
/// error, and either way the caller goes on with the next item. `Some` with its value when it
/// succeeded.
pub async fn isolate<T, E, Fut>(what: impl std::fmt::Display + Send, item: Fut) -> Option<T>
where
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: std::fmt::Debug + Send + 'static,
{
    match tokio::spawn(item).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(e)) => {
            tracing::warn!("{what} failed: {e:?}");
            None
        }
        Err(e) if e.is_panic() => {
            tracing::error!("{what} panicked: {}", panic_text(e.into_panic()));
            None
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

    #[tokio::test]
    async fn a_panicking_worker_is_restarted_and_stops_promptly_when_told() {
        let shutdown = Shutdown::new();
        let workers = Workers::default();
        let starts = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicU32::new(0));
        let handle = supervise("test", Duration::from_millis(10), &shutdown, &workers, {
            let (starts, done) = (starts.clone(), done.clone());
            move |worker: Worker| {
                let first = starts.fetch_add(1, SeqCst) == 0;
                let done = done.clone();
                async move {
                    if first {
                        panic!("the first start fails");
                    }
                    let done = &done;
                    worker
                        .rounds(|| async move {
                            done.fetch_add(1, SeqCst);
                        })
                        .await;
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), async {
            while done.load(SeqCst) < 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("rounds run after the restart");
        let status = workers.snapshot();
        assert_eq!(status.len(), 1);
        assert_eq!(status[0].name, "test");
        assert_eq!(status[0].restarts, 1);
        assert!(status[0].healthy, "{status:?}");
        assert!(status[0].last_round_ms_ago.is_some());
        assert_eq!(starts.load(SeqCst), 2);

        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(1), handle)
            .await
            .expect("the worker stops promptly")
            .unwrap();
        assert!(!workers.snapshot()[0].healthy);
    }

    #[tokio::test]
    async fn an_items_failure_or_panic_is_contained() {
        assert_eq!(isolate("ok", async { Ok::<_, String>(7) }).await, Some(7));
        assert_eq!(
            isolate("fails", async { Err::<u8, _>("no".to_string()) }).await,
            None
        );
        let panics = async {
            if true {
                panic!("an item panics");
            }
            Ok::<u8, String>(1)
        };
        assert_eq!(isolate("panics", panics).await, None);
    }
}
