//! A local media file sent from a memory map, with no read into a buffer on
//! a blocking thread per chunk. A range up to [`WHOLE_RANGE`] (what players
//! ask for while seeking) is handed to hyper as the mapped bytes themselves,
//! with no copy. Playback to the end goes out in small pieces copied from
//! the map: a viewer whose socket is full holds one piece, and a piece lent
//! from the map would hold every page the kernel maps around a fault (64 KiB
//! at a time), which for a thousand slow viewers is most of the memory.
//! Either way the pages leave the process once used, so it holds pieces, not
//! whole files.
//!
//! The server's connections ([`crate::sendfile`]) send lent bytes with
//! sendfile(2) from the file itself, found by their address in the map
//! ([`file_at`]): the bytes are neither copied through the process nor
//! faulted into it, as nginx sends files.
//!
//! Stored files are written once under a new key and never changed or
//! truncated (only unlinked, which leaves an open map whole), which is what
//! makes a map of them sound, and what lets the requests for one file share
//! its map.

use std::{
    collections::{BTreeMap, HashMap},
    fs::File,
    io,
    ops::Deref,
    os::fd::{AsRawFd, BorrowedFd, RawFd},
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock, Weak},
};

use axum::body::{Body, Bytes};
use futures::channel::oneshot;
use memmap2::{Advice, Mmap, UncheckedAdvice};

/// Bytes per piece of playback to the end.
const PIECE: usize = 16 * 1024;
/// A bounded range up to this size is lent from the map as one piece.
const WHOLE_RANGE: usize = 4 * 1024 * 1024;
/// What Linux maps around a read fault of a file (`fault_around_bytes`):
/// pages given back are given back in whole blocks of this.
const FAULT_AROUND: usize = 64 * 1024;

/// The maps of the files being sent, shared by the requests for each: a
/// thousand viewers of one recording make one map and one trip to the
/// blocking pool, not a thousand.
#[derive(Debug, Default)]
pub struct Maps(Mutex<HashMap<PathBuf, Weak<FileMap>>>);

impl Maps {
    /// The file at `path`, mapped; `None` for an empty file, which cannot be
    /// mapped.
    pub async fn map(&self, path: &Path) -> io::Result<Option<Arc<FileMap>>> {
        if let Some(map) = self.open().get(path).and_then(Weak::upgrade) {
            return Ok(Some(map));
        }
        let map = map(path).await?;
        if let Some(map) = &map {
            let mut open = self.open();
            open.retain(|_, kept| kept.strong_count() > 0);
            open.insert(path.to_owned(), Arc::downgrade(map));
        }
        Ok(map)
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Weak<FileMap>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A stored file, mapped, and open for sendfile while it is.
pub struct FileMap {
    map: Mmap,
    file: File,
}

impl FileMap {
    fn new(map: Mmap, file: File) -> Arc<Self> {
        let this = Arc::new(Self { map, file });
        live().insert(
            this.map.as_ptr() as usize,
            (this.map.len(), this.file.as_raw_fd()),
        );
        this
    }
}

impl Deref for FileMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // Before the map and the file go (fields drop after this), so the
        // address and the descriptor are never found once stale.
        live().remove(&(self.map.as_ptr() as usize));
    }
}

/// Every live map: its start address, length and file.
type Live = BTreeMap<usize, (usize, RawFd)>;

fn live() -> std::sync::RwLockWriteGuard<'static, Live> {
    live_maps()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn live_maps() -> &'static RwLock<Live> {
    static LIVE: RwLock<Live> = RwLock::new(BTreeMap::new());
    &LIVE
}

/// The file and offset that `bytes` were lent from, if they lie within one
/// live map.
///
/// The descriptor is borrowed for as long as `bytes` are: while the caller
/// holds bytes lent from a map (hyper holds them until they are written),
/// that map and its file stay open.
pub fn file_at(bytes: &[u8]) -> Option<(BorrowedFd<'_>, u64)> {
    let (fd, offset) = live_at(bytes.as_ptr() as usize, bytes.len())?;
    // SAFETY: the map containing `bytes` is alive (they borrow from it), and
    // its file is closed only after its entry is removed (see `Drop`).
    Some((unsafe { BorrowedFd::borrow_raw(fd) }, offset))
}

/// The file of the live map holding the `len` bytes at address `at`, and
/// their offset in it.
fn live_at(at: usize, len: usize) -> Option<(RawFd, u64)> {
    let live = live_maps()
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (&start, &(map_len, fd)) = live.range(..=at).next_back()?;
    let offset = at - start;
    if len == 0 || offset.checked_add(len)? > map_len {
        return None;
    }
    Some((fd, offset as u64))
}

/// The file at `path`, mapped (on a blocking thread: opening can wait on the
/// disk).
async fn map(path: &Path) -> io::Result<Option<Arc<FileMap>>> {
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
        Ok(Some(FileMap::new(map, file)))
    })
    .await
    .map_err(io::Error::other)?
}

/// Bytes `start..end` of the map as a response body.
pub fn body(map: Arc<FileMap>, start: usize, end: usize) -> Body {
    let end = end.min(map.len());
    let start = start.min(end);
    if end - start <= WHOLE_RANGE {
        let lent = Bytes::from_owner(Lent { map, start, end });
        return Body::from_stream(futures::stream::once(
            async move { Ok::<_, io::Error>(lent) },
        ));
    }
    // hyper queues what a body yields, hundreds of KiB per connection: the
    // next piece is made only once the last one is written (dropped).
    let pieces = futures::stream::unfold(
        (start, None),
        move |(at, last): (usize, Option<Written>)| {
            let map = map.clone();
            async move {
                if at >= end {
                    return None;
                }
                if let Some(written) = last {
                    let _ = written.await;
                }
                let until = (at + PIECE).min(end);
                let (done, written) = oneshot::channel();
                let piece = Bytes::from_owner(Copied {
                    bytes: map[at..until].to_vec(),
                    _done: done,
                });
                give_back(&map, at, until, FAULT_AROUND);
                Some((Ok::<_, io::Error>(piece), (until, Some(written))))
            }
        },
    );
    Body::from_stream(pieces)
}

/// Completes (cancelled) when its piece is dropped.
type Written = oneshot::Receiver<()>;

/// A piece copied from the map, telling the body when it has been written.
struct Copied {
    bytes: Vec<u8>,
    _done: oneshot::Sender<()>,
}

impl AsRef<[u8]> for Copied {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Part of a map, owned by the bytes hyper is writing.
struct Lent {
    map: Arc<FileMap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.end]
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        // Written: the pages are dropped from the process (they stay in the
        // page cache for the next viewer).
        give_back(&self.map, self.start, self.end, page_size());
    }
}

/// Drops the pages of `start..end` from the process, widened to whole
/// `blocks` (the last block as far as the map goes).
fn give_back(map: &FileMap, start: usize, end: usize, blocks: usize) {
    let first = start / blocks * blocks;
    let last = end.div_ceil(blocks).saturating_mul(blocks).min(map.len());
    if last > first {
        // SAFETY: the map is a read-only shared map of a file that does not
        // change; MADV_DONTNEED only unmaps its pages, and a later read (by
        // any piece still lent, of this request or another) faults the same
        // bytes back in from the file. No borrowed byte can change.
        let _ = unsafe {
            map.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, first, last - first)
        };
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

    #[tokio::test]
    async fn playback_holds_one_piece_until_it_is_written() {
        use futures::FutureExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; WHOLE_RANGE + 1]).unwrap();
        let map = map(&path).await.unwrap().unwrap();
        let mut stream = body(map, 0, WHOLE_RANGE + 1).into_data_stream();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.len(), PIECE);
        assert!(
            stream.next().now_or_never().is_none(),
            "no second piece while the first is unwritten"
        );
        drop(first);
        assert_eq!(stream.next().await.unwrap().unwrap().len(), PIECE);
    }

    #[tokio::test]
    async fn lent_bytes_are_found_in_their_file_while_the_map_lives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; 3 * 4096]).unwrap();
        let map = map(&path).await.unwrap().unwrap();
        let (_, offset) = file_at(&map[4096..8192]).expect("inside the map");
        assert_eq!(offset, 4096);
        assert!(file_at(&map[..]).is_some(), "the whole map");
        assert!(file_at(b"not mapped").is_none());
        assert!(file_at(&map[0..0]).is_none(), "nothing to send");
        let address = map[100..].as_ptr() as usize;
        assert!(live_at(address, 1).is_some());
        drop(map);
        assert!(
            live_at(address, 1).is_none(),
            "a map's addresses go with it"
        );
    }

    #[tokio::test]
    async fn a_connection_sends_lent_bytes_from_the_file_between_plain_ones() {
        use bytes::Buf;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let map = map(&path).await.unwrap().unwrap();
        let range = only_piece(body(map.clone(), 77, data.len() - 5)).await;
        assert!(file_at(&range).is_some(), "lent from the map, not copied");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        let (stream, _) = listener.accept().await.unwrap();
        let mut connection = crate::sendfile::Connection::new(stream);
        let mut all = Bytes::from_static(b"HTTP/1.1 206\r\n\r\n")
            .chain(range)
            .chain(Bytes::from_static(b"after"));
        connection.write_all_buf(&mut all).await.unwrap();
        connection.shutdown().await.unwrap();
        drop(connection);

        let mut expected = b"HTTP/1.1 206\r\n\r\n".to_vec();
        expected.extend_from_slice(&data[77..data.len() - 5]);
        expected.extend_from_slice(b"after");
        let got = reader.await.unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the bytes arrive whole and in order");
    }

    /// The one piece of a short range's body.
    async fn only_piece(body: Body) -> Bytes {
        let mut stream = body.into_data_stream();
        let first = stream.next().await.unwrap().unwrap();
        assert!(stream.next().await.is_none(), "one piece");
        first
    }

    #[tokio::test]
    async fn requests_for_one_file_share_its_map_while_it_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let (one, other) = (dir.path().join("one"), dir.path().join("other"));
        std::fs::write(&one, b"one").unwrap();
        std::fs::write(&other, b"other").unwrap();
        let maps = Maps::default();
        let first = maps.map(&one).await.unwrap().unwrap();
        let second = maps.map(&one).await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        let elsewhere = maps.map(&other).await.unwrap().unwrap();
        assert_eq!(&elsewhere[..], b"other");
        let kept = Arc::downgrade(&first);
        drop((first, second));
        assert!(kept.upgrade().is_none(), "a map goes when nobody sends it");
        assert_eq!(&maps.map(&one).await.unwrap().unwrap()[..], b"one");
    }
}
