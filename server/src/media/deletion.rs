//! The media-deletion queue's handler: deletes the file (or object) of a
//! deleted recording, or of an upload no recording claimed, retrying until
//! it is gone. A file a current recording uses is left alone.

use std::{collections::HashMap, io, sync::Arc};

use app::store::{Job, MediaDeletion, PendingMedia, Queue, SharedStore};
use async_trait::async_trait;

use super::MediaStore;
use crate::jobs::{Completion, Failure, Handler};

pub struct DeleteMedia {
    store: SharedStore,
    media: Arc<MediaStore>,
}

impl DeleteMedia {
    pub fn new(store: SharedStore, media: Arc<MediaStore>) -> Self {
        Self { store, media }
    }
}

#[async_trait]
impl Handler for DeleteMedia {
    type Batch = Result<HashMap<PendingMedia, MediaDeletion>, String>;

    const QUEUE: Queue = Queue::MediaDeletion;
    const CONCURRENCY: usize = 4;
    /// Until it is done: with the backoff's cap, every 10 minutes at most.
    const MAX_ATTEMPTS: i64 = i64::MAX;

    async fn prepare(&self, jobs: &[Job]) -> Self::Batch {
        let ids: Vec<PendingMedia> = jobs.iter().map(|job| PendingMedia(job.subject)).collect();
        self.store.media_deletions(&ids).await.map_err(|error| {
            tracing::error!(%error, "could not read what media to delete");
            error.to_string()
        })
    }

    async fn run(&self, job: &Job, batch: &Self::Batch) -> Result<Completion, Failure> {
        let deletions = batch
            .as_ref()
            .map_err(|_| Failure::Transient("could not read what to delete".into()))?;
        let Some(deletion) = deletions.get(&PendingMedia(job.subject)) else {
            // Claimed by a recording meanwhile: nothing to do.
            return Ok(Completion::Done);
        };
        if deletion.in_use {
            return Ok(Completion::Done);
        }
        match self.media.remove(&deletion.key).await {
            Ok(()) => {
                tracing::info!(key = deletion.key, "media deleted");
                Ok(Completion::Done)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Completion::Done),
            Err(error) => Err(Failure::Transient(error.to_string())),
        }
    }
}
