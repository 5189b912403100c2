//! Signing in and out.

use leptos::prelude::*;

use super::ApiError;

/// Signs the rep in and sends them where they were going (`next`, a path on
/// this site). Any failure says only "Wrong email or password", so the form
/// does not tell which emails have accounts.
#[server(endpoint = "auth/signin")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), ApiError> {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;

    use super::ssr::{answer, context, internal};
    use crate::{
        auth::{SignInLimits, password_matches, start_session},
        store::SharedStore,
    };

    answer(async move {
        let store = context::<SharedStore>()?;
        let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
        let client = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map(|ConnectInfo(addr)| addr.ip())
            .map_err(internal)?;
        let email = email.trim().to_lowercase();
        // No account has a longer address; such input is not worth a key.
        if email.len() > 254 || password.len() > 4096 {
            return Err(ApiError::WrongCredentials);
        }
        if let Some(limits) = use_context::<SignInLimits>()
            && !limits.allow(&email, client)
        {
            return Err(ApiError::TooManyTries);
        }
        let credentials = store.rep_credentials(&email).await.map_err(internal)?;
        // Unknown emails are checked against a hash too, so both take as long.
        let (rep, hash) = match credentials {
            Some((rep, Some(hash))) => (Some(rep), hash),
            _ => (None, crate::auth::dummy_hash().to_string()),
        };
        let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
            .await
            .map_err(internal)?;
        let rep = rep.filter(|_| matches).ok_or(ApiError::WrongCredentials)?;
        start_session(&parts, rep.id).await.map_err(internal)?;
        leptos_axum::redirect(&safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

/// Ends the session on the server and goes to the sign-in page.
#[server(endpoint = "auth/signout")]
pub async fn sign_out() -> Result<(), ApiError> {
    use super::ssr::{answer, internal};

    answer(async move {
        let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
        crate::auth::end_session(&parts).await.map_err(internal)?;
        leptos_axum::redirect("/signin");
        Ok(())
    })
    .await
}

/// Where to go after signing in: a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/signin") =>
        {
            path.to_string()
        }
        _ => "/recordings".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_only_returns_to_paths_on_this_site() {
        assert_eq!(safe_next(Some("/recordings/3")), "/recordings/3");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "recordings",
            "/signin",
        ] {
            assert_eq!(safe_next(Some(bad)), "/recordings", "{bad}");
        }
        assert_eq!(safe_next(None), "/recordings");
    }
}
