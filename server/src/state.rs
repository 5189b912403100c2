//! What the routes share. The router holds one [`AppState`]; each handler
//! asks only for the part it needs (`State<SharedStore>`,
//! `State<ViewerState>`, …), which axum takes from it through `FromRef`.

use std::sync::Arc;

use app::{
    clock::SharedClock,
    link::LinkBase,
    store::{JobWaker, SharedStore},
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    media::MediaStore,
    viewer::{LinkMisses, ReportLimits},
};

/// Cloned for every request (axum hands each handler its own), so its
/// parts are cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: Arc<LeptosOptions>,
    pub store: SharedStore,
    pub media: Arc<MediaStore>,
    pub clock: SharedClock,
    /// Wakes this process's job runners when work was queued.
    pub jobs: JobWaker,
    pub link_misses: Arc<LinkMisses>,
    pub report_limits: Arc<ReportLimits>,
    /// `MAX_UPLOAD_BYTES`.
    pub max_upload_bytes: u64,
    /// Whether the sender hears of opens (email is set up).
    pub notify_opens: bool,
    /// Where links point (`SHORT_LINK_URL`).
    pub links: LinkBase,
}

/// The recipients' side: links, their pages, video and reports.
#[derive(Clone)]
pub struct ViewerState {
    pub store: SharedStore,
    pub media: Arc<MediaStore>,
    pub clock: SharedClock,
    pub jobs: JobWaker,
    pub link_misses: Arc<LinkMisses>,
    pub report_limits: Arc<ReportLimits>,
    pub notify_opens: bool,
    pub links: LinkBase,
}

/// Uploads: where recordings go, and how large they may be.
#[derive(Clone)]
pub struct UploadState {
    pub store: SharedStore,
    pub media: Arc<MediaStore>,
    pub clock: SharedClock,
    /// Wakes this process's processing worker for a new recording.
    pub jobs: JobWaker,
    pub max_upload_bytes: u64,
}

/// The rep's own video: who asks, and where the bytes are.
#[derive(Clone)]
pub struct MediaState {
    pub store: SharedStore,
    pub media: Arc<MediaStore>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.leptos_options)
    }
}

impl FromRef<AppState> for SharedStore {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
}

impl FromRef<AppState> for ViewerState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            media: state.media.clone(),
            clock: state.clock.clone(),
            jobs: state.jobs.clone(),
            link_misses: state.link_misses.clone(),
            report_limits: state.report_limits.clone(),
            notify_opens: state.notify_opens,
            links: state.links.clone(),
        }
    }
}

impl FromRef<AppState> for UploadState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            media: state.media.clone(),
            clock: state.clock.clone(),
            jobs: state.jobs.clone(),
            max_upload_bytes: state.max_upload_bytes,
        }
    }
}

impl FromRef<AppState> for MediaState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            media: state.media.clone(),
        }
    }
}
