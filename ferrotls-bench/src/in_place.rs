//! Bulk through each implementation's in-place API: the sender seals
//! records straight into the transfer buffer and the receiver opens them
//! where they lie, so neither side copies plaintext through a buffer of
//! its own. ferrotls: `seal_into` / `open_in_place`; rustls: its unbuffered
//! connections (`encrypt` / `next_record`). Same accounting as buffered
//! bulk: send = the sender's calls, recv = the receiver's.

use rustls::client::UnbufferedClientConnection;
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{ConnectionState, UnbufferedStatus};

use crate::bench::{drive_handshake, BulkTotals, Configs, TRANSFER_BUF};
use crate::measure::{Clock, Meter};
use crate::pki::SERVER_NAME;
use crate::tls::{check_kind, rustls_kind, Ferrotls, Kind, Rustls, TlsImpl};

/// ferrotls: after an untimed handshake, the server seals `writes` ×
/// `write_size` bytes into the transfer buffer; the client opens them.
pub fn ferrotls_bulk(
    cfg: &Configs<Ferrotls>,
    expected: &Kind,
    write_size: usize,
    writes: u64,
    clock: Clock,
) -> Result<BulkTotals, String> {
    use crate::tls::Conn;
    let mut buf = vec![0u8; TRANSFER_BUF];
    let (mut mc, mut ms) = (Meter::default(), Meter::default());
    let mut client = Ferrotls::new_client(&cfg.client)?;
    let mut server = Ferrotls::new_server(&cfg.server)?;
    drive_handshake(&mut client, &mut server, &mut buf, clock, &mut mc, &mut ms)?;
    check_kind(expected, &client.kind(), &server.kind())?;

    let data = vec![0u8; write_size];
    timed_writes(write_size, writes, |send, recv| {
        let (mut taken, mut received) = (0, 0);
        while taken < data.len() {
            let sealed = send.measure(clock, || server.seal_into(&data[taken..], &mut buf));
            let sealed = sealed.map_err(|e| format!("seal_into: {e}"))?;
            if sealed.written == 0 {
                return Err("seal_into wrote nothing".into());
            }
            taken += sealed.taken;
            received += recv.measure(clock, || -> Result<usize, String> {
                let (mut at, mut got) = (0, 0);
                while at < sealed.written {
                    let opened = client
                        .open_in_place(&mut buf[at..sealed.written])
                        .map_err(|e| format!("open_in_place: {e}"))?;
                    if opened.consumed == 0 {
                        return Err("a partial record in the transfer buffer".into());
                    }
                    got += opened.plaintext.len();
                    at += opened.consumed;
                }
                Ok(got)
            })?;
        }
        Ok(received)
    })
}

/// One untimed write (caches, buffers and allocator warmed, as for
/// buffered bulk), then `writes` timed ones. `one_write` moves one write
/// of `write_size` bytes, timing the sender into its first meter and the
/// receiver into its second; it returns the plaintext bytes that arrived.
fn timed_writes(
    write_size: usize,
    writes: u64,
    mut one_write: impl FnMut(&mut Meter, &mut Meter) -> Result<usize, String>,
) -> Result<BulkTotals, String> {
    let mut totals = BulkTotals::default();
    let mut received = 0u64;
    for timed in std::iter::once(false).chain(std::iter::repeat_n(true, writes as usize)) {
        let (mut send, mut recv) = (Meter::default(), Meter::default());
        let got = one_write(&mut send, &mut recv)?;
        if timed {
            totals.send.add(&send);
            totals.recv.add(&recv);
            totals.bytes += write_size as u64;
            received += got as u64;
        }
    }
    check_received(&totals, received)?;
    Ok(totals)
}

fn check_received(totals: &BulkTotals, received: u64) -> Result<(), String> {
    match received == totals.bytes {
        true => Ok(()),
        false => Err(format!(
            "sent {} bytes but {received} arrived",
            totals.bytes
        )),
    }
}

/// The two sides of rustls' unbuffered API behind one name.
trait Unbuffered {
    type Data;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data>;
}

impl Unbuffered for UnbufferedClientConnection {
    type Data = rustls::client::ClientConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
}

impl Unbuffered for UnbufferedServerConnection {
    type Data = rustls::server::ServerConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
}

/// Takes one side of a handshake as far as `incoming` allows, appending
/// what it sends to `outgoing`. True once it may write application data.
fn advance<U: Unbuffered>(
    conn: &mut U,
    incoming: &mut Vec<u8>,
    outgoing: &mut Vec<u8>,
) -> Result<bool, String> {
    let mut out = vec![0u8; TRANSFER_BUF];
    loop {
        let UnbufferedStatus { discard, state } = conn.process(incoming);
        let (stop, may_write) = match state.map_err(|e| format!("rustls: {e}"))? {
            ConnectionState::EncodeTlsData(mut enc) => {
                let n = enc
                    .encode(&mut out)
                    .map_err(|e| format!("rustls encode: {e:?}"))?;
                outgoing.extend_from_slice(&out[..n]);
                (false, false)
            }
            ConnectionState::TransmitTlsData(tx) => {
                tx.done();
                (false, false)
            }
            ConnectionState::BlockedHandshake => (true, false),
            ConnectionState::WriteTraffic(_) => (true, true),
            other => {
                return Err(format!(
                    "rustls: unexpected state during the handshake: {other:?}"
                ))
            }
        };
        incoming.drain(..discard);
        if stop {
            return Ok(may_write);
        }
    }
}

/// rustls' unbuffered connections: after an untimed handshake, the server
/// encrypts `writes` × `write_size` bytes into the transfer buffer, as many
/// whole records at a time as fit; the client reads them in place.
pub fn rustls_bulk(
    cfg: &Configs<Rustls>,
    expected: &Kind,
    write_size: usize,
    writes: u64,
    clock: Clock,
) -> Result<BulkTotals, String> {
    let name = rustls::pki_types::ServerName::try_from(SERVER_NAME)
        .map_err(|e| e.to_string())?
        .to_owned();
    let mut client =
        UnbufferedClientConnection::new(cfg.client.clone(), name).map_err(|e| e.to_string())?;
    let mut server =
        UnbufferedServerConnection::new(cfg.server.clone()).map_err(|e| e.to_string())?;
    let (mut to_client, mut to_server) = (Vec::new(), Vec::new());
    let mut done = false;
    for _ in 0..32 {
        let c = advance(&mut client, &mut to_client, &mut to_server)?;
        let s = advance(&mut server, &mut to_server, &mut to_client)?;
        if c && s && to_client.is_empty() && to_server.is_empty() {
            done = true;
            break;
        }
    }
    if !done {
        return Err("the unbuffered handshake did not complete".into());
    }
    check_kind(expected, &rustls_kind(&client), &rustls_kind(&server))?;

    // Whole records fit: 15 × (2^14 + overhead) < 256 KiB.
    const CHUNK: usize = 15 * 16 * 1024;
    let mut buf = vec![0u8; TRANSFER_BUF];
    let data = vec![0u8; write_size];
    timed_writes(write_size, writes, |send, recv| {
        let mut received = 0;
        for chunk in data.chunks(CHUNK) {
            let written = send.measure(clock, || -> Result<usize, String> {
                match server.process(&mut []).state {
                    Ok(ConnectionState::WriteTraffic(mut w)) => w
                        .encrypt(chunk, &mut buf)
                        .map_err(|e| format!("rustls encrypt: {e:?}")),
                    other => Err(format!("rustls: not ready to write: {other:?}")),
                }
            })?;
            received += recv.measure(clock, || {
                rustls_read_in_place(&mut client, &mut buf[..written])
            })?;
        }
        Ok(received)
    })
}

/// Reads every record in `buf` in place; returns the plaintext bytes.
fn rustls_read_in_place(
    client: &mut UnbufferedClientConnection,
    buf: &mut [u8],
) -> Result<usize, String> {
    let (mut at, mut got) = (0, 0);
    while at < buf.len() {
        let UnbufferedStatus { mut discard, state } = client.process(&mut buf[at..]);
        match state.map_err(|e| format!("rustls: {e}"))? {
            ConnectionState::ReadTraffic(mut read) => {
                while let Some(record) = read.next_record() {
                    let record = record.map_err(|e| format!("rustls: {e}"))?;
                    got += record.payload.len();
                    discard += record.discard;
                }
            }
            other => return Err(format!("rustls: unexpected state while reading: {other:?}")),
        }
        if discard == 0 {
            return Err("rustls read nothing".into());
        }
        at += discard;
    }
    Ok(got)
}
