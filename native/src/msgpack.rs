//! A record as the MessagePack array `[kind, item id, [mark fields]]` that msgspec
//! encodes from the Python path's tuples and pass 2 decodes into `Mark`s
//! (`govmon/replay_partition.py`).  Only the few shapes records use.

use crate::event::Record;

fn array(out: &mut Vec<u8>, len: usize) {
    if len < 16 {
        out.push(0x90 | len as u8);
    } else if len <= 0xffff {
        out.push(0xdc);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn text(out: &mut Vec<u8>, value: &str) {
    let len = value.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(value.as_bytes());
}

fn optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => text(out, value),
        None => out.push(0xc0),
    }
}

fn int(out: &mut Vec<u8>, value: i64) {
    if (0..=0x7f).contains(&value) {
        out.push(value as u8);
    } else {
        out.push(0xd3);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Appends the record to `out`.
pub fn encode(out: &mut Vec<u8>, r: &Record) {
    array(out, 3);
    text(out, r.kind);
    text(out, r.item_id);
    array(out, r.cut);
    int(out, r.at);
    text(out, r.what);
    text(out, r.event_id);
    text(out, r.source);
    if r.cut > 4 {
        optional(out, r.unit_id);
    }
    if r.cut > 5 {
        int(out, r.arg);
    }
    if r.cut > 6 {
        optional(out, r.text);
    }
    if r.cut > 7 {
        array(out, r.names.len());
        for name in &r.names {
            text(out, name);
        }
    }
}
