//! `govmon_scan`: the compiled pass 1 of `govmon replay` (see `govmon/replay_scan.py`),
//! and Kafka's key hash for the services' partitioner (`keyhash.rs`).
//!
//! A `Router` splits blocks of whole JSON Lines, turns each plainly valid event into
//! the record `govmon.rules.marks` would make of it, MessagePack-encodes it into its
//! item's bucket and hands back full bucket frames for Python to write; every other
//! line is handed back untouched, with its index in the block, for the Python path to
//! accept or refuse.  Nothing is decided here that Python would decide differently
//! (`event.rs` says how); it only saves the interpreter's per-event work.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

mod event;
mod instant;
mod json;
mod msgpack;
mod keyhash;

/// FNV-1a: a fixed hash, so Python routes the lines left to it (`Router.index`) to the
/// same bucket as the scanner does.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[pyclass(module = "govmon_scan")]
struct Router {
    pending: Vec<Vec<u8>>, // encoded records per bucket, not yet handed out
    queued: Vec<usize>,    // records in each pending buffer
    batch: usize,
}

type Frames<'py> = Bound<'py, PyList>; // [(bucket, frame bytes, records)]

impl Router {
    fn take<'py>(&mut self, py: Python<'py>, bucket: usize, frames: &Frames<'py>) -> PyResult<()> {
        frames.append((bucket, PyBytes::new(py, &self.pending[bucket]), self.queued[bucket]))?;
        self.pending[bucket].clear();
        self.queued[bucket] = 0;
        Ok(())
    }
}

#[pymethods]
impl Router {
    /// `count` buckets; a bucket's frame is handed out once it holds `batch` records.
    #[new]
    fn new(count: usize, batch: usize) -> PyResult<Self> {
        if count == 0 || batch == 0 {
            return Err(pyo3::exceptions::PyValueError::new_err("count and batch must be >= 1"));
        }
        Ok(Router { pending: vec![Vec::new(); count], queued: vec![0; count], batch })
    }

    /// The bucket of an item id.
    fn index(&self, item_id: &str) -> usize {
        (fnv1a(item_id) % self.pending.len() as u64) as usize
    }

    /// Returns `(frames, deferred, latest, lines)`: the frames filled by this block,
    /// `(index, line)` of every line left to Python, the latest instant routed (or None)
    /// and the number of lines in the block.  Events dated after `as_of` (when given)
    /// are dropped, as the Python path does; a line longer than `max_bytes` (newline
    /// included) is left to Python, which measures it without the whitespace around it.
    #[pyo3(signature = (block, max_bytes, as_of=None))]
    #[allow(clippy::type_complexity)]
    fn scan<'py>(
        &mut self,
        py: Python<'py>,
        block: &[u8],
        max_bytes: usize,
        as_of: Option<i64>,
    ) -> PyResult<(Frames<'py>, Bound<'py, PyList>, Option<i64>, usize)> {
        let frames = PyList::empty(py);
        let deferred = PyList::empty(py);
        let mut latest: Option<i64> = None;
        let mut lines = 0;
        let mut start = 0;
        while start < block.len() {
            let end = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i + 1);
            let line = &block[start..end];
            let index = lines;
            lines += 1;
            start = end;
            // Lines with escapes are parsed from their unescaped copy (see json::unescape).
            let unescaped = match memchr::memchr(b'\\', line) {
                Some(_) if line.len() <= max_bytes => json::unescape(line),
                _ => None,
            };
            let text = unescaped.as_deref().unwrap_or(line);
            match if line.len() <= max_bytes { event::record(text) } else { None } {
                None => deferred.append((index, PyBytes::new(py, line)))?,
                Some(record) if as_of.is_none_or(|limit| record.at <= limit) => {
                    latest = Some(latest.map_or(record.at, |seen| seen.max(record.at)));
                    let bucket = self.index(record.item_id);
                    msgpack::encode(&mut self.pending[bucket], &record);
                    self.queued[bucket] += 1;
                    if self.queued[bucket] >= self.batch {
                        self.take(py, bucket, &frames)?;
                    }
                }
                Some(_) => {} // after as_of: ignored
            }
        }
        Ok((frames, deferred, latest, lines))
    }

    /// The frames of every bucket still holding records (the end of pass 1).
    fn flush<'py>(&mut self, py: Python<'py>) -> PyResult<Frames<'py>> {
        let frames = PyList::empty(py);
        for bucket in 0..self.pending.len() {
            if self.queued[bucket] > 0 {
                self.take(py, bucket, &frames)?;
            }
        }
        Ok(frames)
    }
}

/// Kafka's murmur2 of a record key (see `keyhash.rs`), for the services' partitioner.
#[pyfunction]
fn murmur2(key: &[u8]) -> u32 {
    keyhash::murmur2(key)
}

#[pymodule]
fn govmon_scan(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(murmur2, module)?)?;
    module.add_class::<Router>()
}
