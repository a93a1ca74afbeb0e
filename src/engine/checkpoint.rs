//! Background checkpoints of the derived indexes.
//!
//! A write is acknowledged after its store commit and its in-memory index update; the vector
//! graph reaches disk later, here: after [`EngineConfig::checkpoint_passages`] inserted passages
//! or [`EngineConfig::checkpoint_interval`] after a change, whichever comes first, and at
//! shutdown. A crash in between costs only a replay of the store's change log at the next open,
//! so a write costs what the document costs, not what the corpus costs. (BM25 commits with
//! every write: a tantivy commit writes the new segment, not the index.)
//!
//! [`EngineConfig::checkpoint_passages`]: super::EngineConfig::checkpoint_passages
//! [`EngineConfig::checkpoint_interval`]: super::EngineConfig::checkpoint_interval

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::Result;
use crate::index::{Indexes, VectorSaveReport};

struct State {
    stop: bool,
    /// When the oldest unsaved change was seen (None: nothing unsaved known).
    dirty_since: Option<Instant>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Serialises checkpoints (background and explicit).
    saving: Mutex<()>,
}

/// The checkpoint thread and its controls.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    pub(super) fn start(
        indexes: Arc<Indexes>,
        passages: usize,
        interval: Duration,
    ) -> Checkpointer {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                stop: false,
                dirty_since: None,
            }),
            wake: Condvar::new(),
            saving: Mutex::new(()),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("index-checkpoint".into())
            .spawn(move || run(s, indexes, passages.max(1), interval))
            .expect("spawn the checkpoint thread");
        Checkpointer {
            shared,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Tells the thread a write happened (it decides whether a checkpoint is due).
    pub(super) fn nudge(&self) {
        let mut st = self.shared.state.lock();
        st.dirty_since.get_or_insert_with(Instant::now);
        drop(st);
        self.shared.wake.notify_one();
    }

    /// A checkpoint now, if anything was inserted since the last one.
    pub(super) fn run_now(&self, indexes: &Indexes) -> Result<Option<VectorSaveReport>> {
        checkpoint(&self.shared, indexes)
    }

    /// Stops the thread (after the checkpoint it may be writing).
    pub(super) fn stop(&self) {
        self.shared.state.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
    }
}

fn checkpoint(shared: &Shared, indexes: &Indexes) -> Result<Option<VectorSaveReport>> {
    let _one = shared.saving.lock();
    if indexes.vector.unsaved_inserts() == 0 {
        shared.state.lock().dirty_since = None;
        return Ok(None);
    }
    shared.state.lock().dirty_since = None;
    let report = indexes.save()?;
    tracing::debug!(?report, "index checkpoint");
    Ok(Some(report))
}

fn run(shared: Arc<Shared>, indexes: Arc<Indexes>, passages: usize, interval: Duration) {
    loop {
        let due = {
            let mut st = shared.state.lock();
            loop {
                if st.stop {
                    return;
                }
                let many = indexes.vector.unsaved_inserts() >= passages;
                let old = st.dirty_since.is_some_and(|t| t.elapsed() >= interval);
                if many || old {
                    break true;
                }
                let wait = st
                    .dirty_since
                    .map(|t| interval.saturating_sub(t.elapsed()))
                    .unwrap_or(interval);
                shared
                    .wake
                    .wait_for(&mut st, wait.max(Duration::from_millis(10)));
            }
        };
        if due {
            if let Err(e) = checkpoint(&shared, &indexes) {
                tracing::error!(error = %e.chain(), "index checkpoint failed; retrying later");
                let mut st = shared.state.lock();
                st.dirty_since = Some(Instant::now());
                if !st.stop {
                    shared.wake.wait_for(&mut st, interval);
                }
            }
        }
    }
}
