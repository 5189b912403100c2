//! Server functions of the Settings page: the signed-in rep's own name,
//! time zone and password.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::ApiError;
use crate::views::Profile;

#[server(endpoint = "settings/get", input = Json)]
pub async fn get_profile() -> Result<Profile, ApiError> {
    use super::ssr::{Ctx, answer};

    answer(async move { Ok(ssr::profile(&Ctx::load().await?.rep)) }).await
}

/// Posted by the Settings form (form encoding, so it works without scripts).
#[server(endpoint = "settings/profile")]
pub async fn save_profile(name: String, time_zone: String) -> Result<Profile, ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, back_to_page},
    };
    use crate::domain::{RecipientError, RecipientName, ZoneName};

    answer(async move {
        // A rep's name follows the same rules as a recipient's.
        let name = RecipientName::parse(&name).map_err(|e| match e {
            RecipientError::EmptyName => ApiError::invalid(Field::RepName, "Enter your name."),
            other => ApiError::invalid(Field::RepName, other),
        })?;
        let zone =
            ZoneName::parse(&time_zone).map_err(|e| ApiError::invalid(Field::TimeZone, e))?;
        let ctx = Ctx::load().await?;
        ctx.store.update_rep(ctx.rep.id, &name, &zone).await?;
        let rep = ctx
            .store
            .rep_by_id(ctx.rep.id)
            .await?
            .ok_or(ApiError::SignedOut)?;
        back_to_page("/settings", "profile");
        Ok(ssr::profile(&rep))
    })
    .await
}

/// Changes the password; the current one must be given (checked under the
/// same limits as signing in). Every other session of the rep ends; this
/// one goes on. Posted by the Settings form (form encoding, so it works
/// without scripts).
#[server(endpoint = "settings/password")]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    use super::{
        Field,
        ssr::{Ctx, answer, back_to_page, context, internal},
    };
    use crate::{
        auth::{ClientAddr, PasswordGuard, hash_password, keep_session},
        domain::NewPassword,
    };

    answer(async move {
        let new = NewPassword::parse(&new).map_err(|e| ApiError::invalid(Field::NewPassword, e))?;
        let ctx = Ctx::load().await?;
        let guard = context::<PasswordGuard>()?;
        let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
        let client = parts
            .extensions
            .get::<ClientAddr>()
            .ok_or_else(|| internal("no client address on the request"))?
            .0;
        if !guard.0.admit(&ctx.rep.email, client) {
            return Err(ApiError::TooManyTries);
        }
        let hash = ctx
            .store
            .rep_credentials(&ctx.rep.email)
            .await?
            .and_then(|(_, hash)| hash)
            .unwrap_or_default();
        let matches = guard
            .0
            .verify(current, hash)
            .await
            .ok_or(ApiError::TooManyTries)?;
        if !matches {
            guard.0.failed(&ctx.rep.email);
            return Err(ApiError::invalid(
                Field::CurrentPassword,
                "That is not your current password.",
            ));
        }
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        let epoch = ctx
            .store
            .set_password_hash(ctx.rep.id, &hash)
            .await?
            .ok_or(ApiError::SignedOut)?;
        keep_session(&parts, epoch).await?;
        back_to_page("/settings", "password");
        Ok(())
    })
    .await
}

/// Signs the rep out of every browser and device, this one included.
/// Posted by the Settings page's form.
#[server(endpoint = "settings/signout-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), ApiError> {
    use super::ssr::{Ctx, answer, internal};

    answer(async move {
        let ctx = Ctx::load().await?;
        ctx.store.end_sessions(ctx.rep.id).await?;
        let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
        crate::auth::end_session(&parts).await?;
        leptos_axum::redirect("/signin");
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::{store::Rep, views::Profile};

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
