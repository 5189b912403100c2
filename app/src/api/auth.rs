//! Signing in and out.

use leptos::prelude::*;

use super::ApiError;

/// Signs the rep in and sends them where they were going (`next`, a page
/// on this site). A wrong email and a wrong password get the same answer,
/// so the form does not tell which emails have accounts.
#[server(endpoint = "auth/signin")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), ApiError> {
    use super::{
        Field,
        ssr::{answer, context, internal},
    };
    use crate::{
        auth::{ClientAddr, PasswordGuard, PublicUrl, start_session},
        store::SharedStore,
    };

    answer(async move {
        let store = context::<SharedStore>()?;
        let guard = context::<PasswordGuard>()?;
        let parts: http::request::Parts = leptos_axum::extract().await.map_err(internal)?;
        let client = parts
            .extensions
            .get::<ClientAddr>()
            .ok_or_else(|| internal("no client address on the request"))?
            .0;
        let email = email.trim().to_lowercase();
        // No account has a longer address; such input is not worth a key.
        if email.len() > 254 || password.len() > 4096 {
            return Err(ApiError::WrongCredentials);
        }
        if !guard.0.admit(&email, client) {
            return Err(ApiError::TooManyTries);
        }
        let credentials = store.rep_credentials(&email).await?;
        // Unknown emails are checked against a hash too, so both take as long.
        let (rep, hash) = match credentials {
            Some((rep, Some(hash))) => (Some(rep), hash),
            _ => (None, crate::auth::dummy_hash().to_string()),
        };
        let matches = guard
            .0
            .verify(password, hash)
            .await
            .ok_or(ApiError::TooManyTries)?;
        let Some(rep) = rep.filter(|_| matches) else {
            guard.0.failed(&email);
            return Err(ApiError::WrongCredentials);
        };
        if rep.disabled {
            return Err(ApiError::invalid(
                Field::Password,
                "This account is disabled. Ask whoever runs this server.",
            ));
        }
        start_session(&parts, &rep).await?;
        let site = context::<PublicUrl>()?;
        leptos_axum::redirect(&safe_next(next.as_deref(), &site.0));
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
        crate::auth::end_session(&parts).await?;
        leptos_axum::redirect("/signin");
        Ok(())
    })
    .await
}

/// Where to go after signing in: a page of this site, never another site.
/// `next` is read as browsers read it (the `url` crate follows the same
/// standard: tabs and newlines dropped, backslashes as slashes, `.`
/// segments removed) against `site` (`PUBLIC_URL`), and kept only if it
/// stays on `site`'s origin. The answer is a path (and query) that no browser
/// can read as another host: never `//…`, and always a valid header value.
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>, site: &url::Url) -> String {
    const HOME: &str = "/recordings";
    let Some(next) = next.filter(|n| n.starts_with('/') && n.len() <= 2_000) else {
        return HOME.into();
    };
    let Ok(url) = site.join(next) else {
        return HOME.into();
    };
    let path = url.path();
    if url.origin() != site.origin() || path.starts_with("//") || path.starts_with("/signin") {
        return HOME.into();
    }
    match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_only_returns_to_pages_of_this_site() {
        let site = url::Url::parse("https://rec.example").unwrap();
        let next = |n: &str| safe_next(Some(n), &site);
        assert_eq!(next("/recordings/3"), "/recordings/3");
        assert_eq!(next("/shares?sort=new"), "/shares?sort=new");
        assert_eq!(
            next("/recordings/%2F%2Fevil.example"),
            "/recordings/%2F%2Fevil.example"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\tevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "  //evil.example",
            " /\\evil.example",
            "/.//evil.example",
            "/./\\evil.example",
            "/%2e//evil.example",
            "/..//evil.example",
            "%2F%2Fevil.example",
            "/%09/evil.example",
            "https:evil.example",
            "recordings",
            "/signin",
            "/signin?next=//evil.example",
        ] {
            let went = next(bad);
            assert!(
                went == "/recordings" || (went.starts_with('/') && !went.starts_with("//")),
                "{bad:?} → {went:?}"
            );
            assert!(
                http::HeaderValue::from_str(&went).is_ok(),
                "{bad:?} → {went:?}"
            );
        }
        for bad in [
            "/\t/evil.example",
            "/.//evil.example",
            "/\n/evil.example",
            "/\\evil.example",
        ] {
            assert_eq!(next(bad), "/recordings", "{bad:?}");
        }
        assert_eq!(safe_next(None, &site), "/recordings");
    }
}
