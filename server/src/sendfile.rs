//! A client's connection that sends media bytes lent from a file's map
//! with sendfile(2), from the file, as nginx does: hyper hands the
//! connection slices to write, and a slice that lies in a live map
//! ([`crate::media::file_at`]) goes out from the page cache without being
//! copied through the process or faulted into its memory. Everything else
//! is written as usual.

use std::{
    io::{self, IoSlice},
    pin::Pin,
    task::{Context, Poll, ready},
};

use rustix::net::{SendAncillaryBuffer, SendFlags, sendmsg};
use tokio::{
    io::{AsyncRead, AsyncWrite, Interest, ReadBuf},
    net::TcpStream,
};

use crate::media::file_at;

pub struct Connection(TcpStream);

impl Connection {
    pub fn new(stream: TcpStream) -> Self {
        Self(stream)
    }

    /// Writes as much of `bufs` as the socket takes now, in order: runs of
    /// plain slices with one system call, slices of a file by sendfile.
    /// Stops at the first short write. `WouldBlock` when nothing could be
    /// written.
    fn write_now(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut written = 0;
        let mut rest = bufs;
        while let Some(first) = rest.first() {
            let (wanted, result) = match file_at(first) {
                Some((file, offset)) => {
                    let mut offset = offset;
                    let sent = self.0.try_io(Interest::WRITABLE, || {
                        rustix::fs::sendfile(&self.0, file, Some(&mut offset), first.len())
                            .map_err(io::Error::from)
                    });
                    rest = &rest[1..];
                    (first.len(), sent)
                }
                None => {
                    // `first` is plain: look up only the slices after it.
                    let plain = 1 + rest[1..]
                        .iter()
                        .take_while(|b| file_at(b).is_none())
                        .count();
                    let (run, after) = rest.split_at(plain);
                    rest = after;
                    // Headers before a file's bytes wait for them (MSG_MORE),
                    // so both leave in full segments, as with nginx's
                    // tcp_nopush.
                    let flags = if rest.is_empty() {
                        SendFlags::NOSIGNAL
                    } else {
                        SendFlags::NOSIGNAL | SendFlags::MORE
                    };
                    let sent = self.0.try_io(Interest::WRITABLE, || {
                        sendmsg(&self.0, run, &mut SendAncillaryBuffer::default(), flags)
                            .map_err(io::Error::from)
                    });
                    (run.iter().map(|b| b.len()).sum(), sent)
                }
            };
            match result {
                Ok(n) => {
                    written += n;
                    if n < wanted {
                        break;
                    }
                }
                // What was written stands; the error comes again next time.
                Err(_) if written > 0 => break,
                Err(error) => return Err(error),
            }
        }
        Ok(written)
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            ready!(this.0.poll_write_ready(cx))?;
            match this.write_now(bufs) {
                // Not writable after all (the readiness is cleared): wait again.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then queues body bytes as they are rather than copying them
        // into its own buffer: the slices keep their addresses in the map.
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
