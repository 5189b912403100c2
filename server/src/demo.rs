//! Demo mode: on an empty database, a demo rep and the demo recording, so a
//! fresh install has something to share.

use app::{
    domain::{RecipientName, RecordingTitle},
    store::{NewRep, Rep, SharedStore},
};
use axum::body::Bytes;

use crate::media::MediaStore;

pub const DEMO_EMAIL: &str = "demo@example.com";
pub const DEMO_TITLE: &str = "Demo recording: product walkthrough";
/// 45 s of test pattern and tone, made by `scripts/make-demo-recording.sh`.
pub const DEMO_RECORDING: &[u8] = include_bytes!("../assets/demo-recording.webm");

/// Creates the demo rep and recording when no rep exists yet (the
/// recording is processed like any upload). Returns the demo rep when it
/// was created now.
pub async fn seed_if_empty(
    store: &SharedStore,
    media: &MediaStore,
    now: jiff::Timestamp,
) -> anyhow::Result<Option<Rep>> {
    if store.first_rep().await?.is_some() {
        return Ok(None);
    }
    let rep = store
        .create_rep(NewRep {
            email: DEMO_EMAIL.into(),
            name: RecipientName::parse("Demo Rep").expect("a valid name"),
            time_zone: None,
            // Set by `set_demo_password` at every start.
            password_hash: None,
        })
        .await?;
    media
        .add_recording(
            store,
            rep.id,
            RecordingTitle::parse(DEMO_TITLE).expect("a valid title"),
            futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(DEMO_RECORDING))]),
            u64::MAX,
            now,
        )
        .await?;
    tracing::info!(
        email = DEMO_EMAIL,
        "demo mode: created the demo rep and the demo recording"
    );
    Ok(Some(rep))
}

/// Gives the demo rep `DEMO_PASSWORD` at every start in demo mode; without
/// it, a random password the first time only, printed on standard output
/// once (a password printed at every start would end up in every log).
pub async fn set_demo_password(
    store: &SharedStore,
    configured: Option<&str>,
) -> anyhow::Result<()> {
    let Some((rep, hash)) = store.rep_credentials(DEMO_EMAIL).await? else {
        return Ok(());
    };
    let random;
    let password = match configured {
        // Set anew only when it changed: a new password ends the rep's
        // sessions, and `cargo leptos watch` restarts at every change.
        Some(password)
            if hash
                .as_deref()
                .is_some_and(|hash| app::auth::password_matches(password, hash)) =>
        {
            return Ok(());
        }
        Some(password) => password,
        None if hash.is_some() => return Ok(()),
        None => {
            random = app::link::random_alphanumerics(16);
            random.as_str()
        }
    };
    let password = app::domain::NewPassword::parse(password)
        .map_err(|e| anyhow::anyhow!("DEMO_PASSWORD: {e}"))?;
    store
        .set_password_hash(rep.id, &app::auth::hash_password(&password)?)
        .await?;
    if configured.is_none() {
        println!(
            "Demo sign-in: {DEMO_EMAIL} with the password {} (shown this once; \
             DEMO_PASSWORD sets one)",
            password.as_str()
        );
    }
    Ok(())
}
