//! Recordings in an S3-compatible bucket (`MEDIA_URL=s3://bucket/prefix`),
//! through the `object_store` crate: uploads go up in parts streamed from the
//! checked file, playback streams the byte range asked for. Credentials,
//! region and endpoint come from the usual AWS variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT` for other S3
//! servers, `AWS_ALLOW_HTTP=true` for plain http).

use std::{io, path::Path as FsPath, sync::Arc};

use axum::{
    body::Body,
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use http::{Method, StatusCode, header};
use object_store::{
    GetOptions, GetRange, ObjectStore, WriteMultipart,
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
};
use tokio::io::AsyncReadExt;
use url::Url;

/// Size of each uploaded part (S3 wants at least 5 MiB but the last).
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts in flight at once while uploading.
const PARTS_IN_FLIGHT: usize = 4;

/// How long a presigned media URL works (`MEDIA_REDIRECT`): long enough to
/// start playing, short enough that a revoked link is soon refused.
const PRESIGNED_FOR: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    /// The same store, to sign URLs with.
    s3: Arc<AmazonS3>,
    prefix: Path,
    url: String,
    redirect: bool,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("url", &self.url).finish()
    }
}

fn io_error(error: object_store::Error) -> io::Error {
    match error {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, error),
        other => io::Error::other(other),
    }
}

impl Bucket {
    /// The bucket and key prefix of an `s3://bucket/prefix` URL.
    pub fn from_url(url: &Url) -> anyhow::Result<Self> {
        anyhow::ensure!(url.scheme() == "s3", "expected an s3://bucket/prefix URL");
        let name = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow::anyhow!("the URL names no bucket"))?;
        let s3 = Arc::new(AmazonS3Builder::from_env().with_bucket_name(name).build()?);
        Ok(Self {
            store: s3.clone(),
            s3,
            prefix: Path::from(url.path().trim_matches('/')),
            url: url.to_string(),
            redirect: false,
        })
    }

    /// With `on`, media requests are answered with a redirect to the bucket.
    pub fn redirecting(self, on: bool) -> Self {
        Self {
            redirect: on,
            ..self
        }
    }

    /// `307` to a presigned URL of the object: the player fetches (and
    /// seeks) from the bucket itself, which answers ranges.
    async fn redirect_to(&self, key: &str) -> Response {
        use object_store::signer::Signer;
        match self
            .s3
            .signed_url(Method::GET, &self.path(key), PRESIGNED_FOR)
            .await
        {
            Ok(url) => match http::HeaderValue::from_str(url.as_str()) {
                Ok(location) => (
                    StatusCode::TEMPORARY_REDIRECT,
                    [
                        (header::LOCATION, location),
                        // A presigned URL is for this request only.
                        (
                            header::CACHE_CONTROL,
                            http::HeaderValue::from_static("no-store"),
                        ),
                    ],
                )
                    .into_response(),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            },
            Err(error) => {
                tracing::error!(%error, "could not sign a media URL");
                StatusCode::BAD_GATEWAY.into_response()
            }
        }
    }

    fn path(&self, key: &str) -> Path {
        self.prefix.child(key)
    }

    /// Uploads the file at `file` as `key`, a part at a time.
    pub async fn put_file(&self, file: &FsPath, key: &str) -> io::Result<()> {
        let upload = self
            .store
            .put_multipart(&self.path(key))
            .await
            .map_err(io_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut file = tokio::fs::File::open(file).await?;
        let mut buffer = vec![0; 1024 * 1024];
        loop {
            let read = match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(error);
                }
            };
            // Waits while enough parts are on their way: memory stays bounded.
            if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(io_error(error));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(io_error)?;
        Ok(())
    }

    /// Downloads `key` into the file `dest`, a part at a time.
    pub async fn get_file(&self, key: &str, dest: &FsPath) -> io::Result<()> {
        use tokio::io::AsyncWriteExt;
        let found = self.store.get(&self.path(key)).await.map_err(io_error)?;
        let mut parts = found.into_stream();
        let mut file = tokio::fs::File::create(dest).await?;
        while let Some(part) = parts.next().await {
            file.write_all(&part.map_err(io_error)?).await?;
        }
        file.sync_all().await
    }

    /// A small object (a poster, a sprite) whole, without ranges.
    pub async fn serve_whole(&self, key: &str, content_type: &'static str) -> Response {
        match self.store.get(&self.path(key)).await {
            Ok(found) => (
                [(header::CONTENT_TYPE, content_type)],
                Body::from_stream(found.into_stream().map(|part| part.map_err(io_error))),
            )
                .into_response(),
            Err(object_store::Error::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
            Err(error) => {
                tracing::error!(%error, "could not read an image from the bucket");
                StatusCode::BAD_GATEWAY.into_response()
            }
        }
    }

    pub async fn delete(&self, key: &str) -> io::Result<()> {
        self.store.delete(&self.path(key)).await.map_err(io_error)
    }

    /// The file's bytes, or the one range asked for. The size is the one
    /// recorded when it was stored, so no request to the bucket is needed to
    /// answer a range that cannot be satisfied. Several ranges in one request
    /// are answered with the whole file, as HTTP allows.
    pub async fn serve(
        &self,
        file: &app::store::MediaFile,
        method: &Method,
        headers: &http::HeaderMap,
    ) -> Response {
        if self.redirect {
            return self.redirect_to(&file.key).await;
        }
        let size = u64::try_from(file.size_bytes).unwrap_or(0);
        let part = match super::ranges::plan(headers, &file.key, size) {
            Ok(part) => part,
            Err(answered) => return *answered,
        };
        let body = if part.sends_nothing(method) {
            Body::empty()
        } else {
            let options = GetOptions {
                range: Some(GetRange::Bounded(part.start..part.end)),
                ..GetOptions::default()
            };
            match self.store.get_opts(&self.path(&file.key), options).await {
                Ok(found) => {
                    Body::from_stream(found.into_stream().map(|part| part.map_err(io_error)))
                }
                Err(object_store::Error::NotFound { .. }) => {
                    tracing::error!(key = %file.key, "a recording is missing from the bucket");
                    return StatusCode::NOT_FOUND.into_response();
                }
                Err(error) => {
                    tracing::error!(%error, "could not read a recording from the bucket");
                    return StatusCode::BAD_GATEWAY.into_response();
                }
            }
        };
        part.respond(&file.content_type, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_s3_urls_with_a_bucket_are_taken() {
        assert!(Bucket::from_url(&Url::parse("https://bucket/prefix").unwrap()).is_err());
        assert!(Bucket::from_url(&Url::parse("s3:///prefix").unwrap()).is_err());
        let bucket = Bucket::from_url(&Url::parse("s3://recordings/team/a").unwrap()).unwrap();
        assert_eq!(bucket.path("k.webm").as_ref(), "team/a/k.webm");
    }
}
