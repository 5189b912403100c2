//! A local media file sent from a memory map: hyper writes the mapped pages
//! to the socket itself, with no read into a buffer on a blocking thread per
//! chunk and no copy. Pieces of the map are handed over one at a time, and
//! the pages of a piece leave the process's memory once it is written, so a
//! thousand slow viewers hold a piece each, not their whole files.
//!
//! Stored files are written once under a new key and never changed or
//! truncated (only unlinked, which leaves an open map whole), which is what
//! makes a map of them sound.

use std::{fs::File, io, path::Path, sync::Arc};

use axum::body::{Body, Bytes};
use memmap2::{Advice, Mmap, UncheckedAdvice};

/// Bytes per piece of an open-ended response (playback to the end).
const PIECE: usize = 64 * 1024;
/// A bounded range up to this size (what players ask for while seeking) is
/// one piece.
const WHOLE_RANGE: usize = 4 * 1024 * 1024;

/// The file at `path`, mapped (on a blocking thread: opening can wait on the
/// disk). `None` for an empty file, which cannot be mapped.
pub async fn map(path: &Path) -> io::Result<Option<Arc<Mmap>>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let file = File::open(&path)?;
        if file.metadata()?.len() == 0 {
            return Ok(None);
        }
        // SAFETY: stored files are never written or truncated after they
        // are stored (see the module's note), so the mapped bytes stay as
        // they are for as long as the map lives.
        let map = unsafe { Mmap::map(&file)? };
        // Players read on from where they are: let the kernel read ahead.
        let _ = map.advise(Advice::Sequential);
        Ok(Some(Arc::new(map)))
    })
    .await
    .map_err(io::Error::other)?
}

/// Bytes `start..end` of the map as a response body.
pub fn body(map: Arc<Mmap>, start: usize, end: usize) -> Body {
    let end = end.min(map.len());
    let piece = if end - start.min(end) <= WHOLE_RANGE {
        WHOLE_RANGE
    } else {
        PIECE
    };
    let pieces = futures::stream::unfold(start, move |at| {
        let map = map.clone();
        async move {
            if at >= end {
                return None;
            }
            let until = (at + piece).min(end);
            let bytes = Bytes::from_owner(Piece {
                map,
                start: at,
                end: until,
            });
            Some((Ok::<_, io::Error>(bytes), until))
        }
    });
    Body::from_stream(pieces)
}

/// Part of a map, owned by the bytes hyper is writing.
struct Piece {
    map: Arc<Mmap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Piece {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.end]
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        // The whole pages of this piece were written: drop them from the
        // process (they stay in the page cache for the next viewer).
        let page = page_size();
        let first = self.start.div_ceil(page) * page;
        let last = if self.end == self.map.len() {
            self.end
        } else {
            self.end / page * page
        };
        if last > first {
            // SAFETY: the map is a read-only shared map of a file that does
            // not change; MADV_DONTNEED only unmaps its pages, and a later
            // read (by another piece still alive) faults the same bytes back
            // in from the file. No borrowed byte can change.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, first, last - first)
            };
        }
    }
}

fn page_size() -> usize {
    use std::sync::OnceLock;
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(rustix::param::page_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    async fn collect(body: Body) -> (Vec<u8>, usize) {
        let mut stream = body.into_data_stream();
        let (mut all, mut pieces) = (Vec::new(), 0);
        while let Some(piece) = stream.next().await {
            all.extend_from_slice(&piece.unwrap());
            pieces += 1;
        }
        (all, pieces)
    }

    #[tokio::test]
    async fn a_range_is_sent_as_it_is_on_disk_in_pieces_when_long() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let map = map(&path).await.unwrap().unwrap();

        let (sent, pieces) = collect(body(map.clone(), 100, 200)).await;
        assert_eq!((sent.as_slice(), pieces), (&data[100..200], 1));
        let (sent, pieces) = collect(body(map.clone(), 5, data.len())).await;
        assert_eq!(sent, data[5..]);
        assert_eq!(pieces, (data.len() - 5).div_ceil(PIECE));
        // The map's pages were given back; the bytes read again are the same.
        let (again, _) = collect(body(map, 4095, 3 * 4096 + 7)).await;
        assert_eq!(again, data[4095..3 * 4096 + 7]);

        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(super::map(&empty).await.unwrap().is_none());
    }
}
