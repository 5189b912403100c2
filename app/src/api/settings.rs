//! Server functions of the Settings page: the signed-in rep's own name,
//! time zone and password.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::domain::ShareError;

/// What the Settings page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub email: String,
    /// The rep's IANA zone; empty until chosen (the browser's is used).
    pub time_zone: String,
    /// Every zone to choose from.
    pub zones: Vec<String>,
}

#[server(endpoint = "settings/get", input = Json)]
pub async fn get_profile() -> Result<Profile, ShareError> {
    ssr::answer(async move {
        let (_, rep) = ssr::signed_in().await?;
        Ok(ssr::profile(&rep))
    })
    .await
}

/// Posted by the Settings form (form encoding, so it works without scripts).
#[server(endpoint = "settings/profile")]
pub async fn save_profile(name: String, time_zone: String) -> Result<Profile, ShareError> {
    use crate::domain::{Field, RecipientError, RecipientName};

    ssr::answer(async move {
        // A rep's name follows the same rules as a recipient's.
        let name = RecipientName::parse(&name).map_err(|e| match e {
            RecipientError::EmptyName => ShareError::invalid(Field::RepName, "Enter your name."),
            other => ShareError::invalid(Field::RepName, other),
        })?;
        if jiff::tz::TimeZone::get(&time_zone).is_err() {
            return Err(ShareError::invalid(
                Field::TimeZone,
                "Pick a time zone from the list.",
            ));
        }
        let (store, rep) = ssr::signed_in().await?;
        store
            .update_rep(rep.id, name.as_str(), &time_zone)
            .await
            .map_err(ssr::internal)?;
        let rep = store
            .rep_by_id(rep.id)
            .await
            .map_err(ssr::internal)?
            .ok_or(ShareError::SignedOut)?;
        crate::api::ssr::back_to_page("/settings", "profile");
        Ok(ssr::profile(&rep))
    })
    .await
}

/// Changes the password; the current one must be given. Posted by the
/// Settings form (form encoding, so it works without scripts).
#[server(endpoint = "settings/password")]
pub async fn change_password(current: String, new: String) -> Result<(), ShareError> {
    use crate::{
        auth::{hash_password, password_matches},
        domain::{Field, NewPassword},
    };

    ssr::answer(async move {
        let new =
            NewPassword::parse(&new).map_err(|e| ShareError::invalid(Field::NewPassword, e))?;
        let (store, rep) = ssr::signed_in().await?;
        let hash = store
            .rep_credentials(&rep.email)
            .await
            .map_err(ssr::internal)?
            .and_then(|(_, hash)| hash)
            .unwrap_or_default();
        let matches = tokio::task::spawn_blocking(move || password_matches(&current, &hash))
            .await
            .map_err(ssr::internal)?;
        if !matches {
            return Err(ShareError::invalid(
                Field::CurrentPassword,
                "That is not your current password.",
            ));
        }
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(ssr::internal)?
            .map_err(ssr::internal)?;
        store
            .set_password_hash(rep.id, &hash)
            .await
            .map_err(ssr::internal)?;
        crate::api::ssr::back_to_page("/settings", "password");
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::api::share_ssr::{answer, internal};
    use crate::{
        api::share_ssr::Ctx,
        domain::ShareError,
        store::{Rep, SharedStore},
    };

    use super::Profile;

    /// The signed-in rep, refused the way the share window's functions are.
    pub async fn signed_in() -> Result<(SharedStore, Rep), ShareError> {
        let ctx = Ctx::load().await?;
        Ok((ctx.store, ctx.rep))
    }

    /// Every IANA zone, sorted: read from the time zone database once.
    fn zones() -> &'static [String] {
        static ZONES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        ZONES.get_or_init(|| {
            let mut zones: Vec<String> =
                jiff::tz::db().available().map(|z| z.to_string()).collect();
            zones.sort();
            zones
        })
    }

    pub fn profile(rep: &Rep) -> Profile {
        Profile {
            name: rep.name.clone(),
            email: rep.email.clone(),
            time_zone: rep.time_zone.clone().unwrap_or_default(),
            zones: zones().to_vec(),
        }
    }
}
