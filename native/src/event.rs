//! One CloudEvents line to its item record, with the checks of `govmon/contract/events.py`.
//!
//! This is a *fast path*, not a second contract: a line is accepted here only when it
//! is plainly valid, and everything else - escapes other than those `json::unescape`
//! writes out, duplicate keys, unusual timestamps, unknown types, inspection findings, any failed check - returns `None`
//! and is decided by the Python path (msgspec), which also words the refusal.  So the
//! rule to keep is one-sided: never accept what msgspec refuses.  The Python tests
//! (`tests/unit/rules/test_replay_native.py`) check that, and that records are equal, on
//! generated years and on mutated lines.
//!
//! Strings are borrowed from the line (`&str`), or from its unescaped copy (`lib.rs`);
//! a string still holding an escape defers the line (`json.rs`).

use crate::instant;
use crate::json::{Cursor, Value};

/// `NonEmpty` of the contract: 1 to 200 characters (code points, as msgspec counts).
fn non_empty(text: &str) -> Option<&str> {
    chars_within(text, 1, 200)
}

fn chars_within(text: &str, least: usize, most: usize) -> Option<&str> {
    // A byte length within bounds settles it for ASCII; count characters otherwise.
    let count = if text.is_ascii() { text.len() } else { text.chars().count() };
    (least..=most).contains(&count).then_some(text)
}

fn one_of<'a>(text: &'a str, allowed: &[&str]) -> Option<&'a str> {
    allowed.contains(&text).then_some(text)
}

// The `data` members of the event types routed here; each type allows a subset
// (`Shape`), and anything else in `data` is refused by the contract (`_Data` forbids
// unknown fields), so it goes to Python.
const DATA_KEYS: [&str; 19] = [
    "unit_id", "name", "category", "case_id", "kind", "limit_days", "extra_days", "reason",
    "dispute_id", "liable", "incident_id", "level", "action", "policy_id", "by_principal",
    "task_id", "due", "datasets", "report_id",
];
const UNIT_ID: usize = 0;
const NAME: usize = 1;
const CATEGORY: usize = 2;
const CASE_ID: usize = 3;
const KIND: usize = 4;
const LIMIT_DAYS: usize = 5;
const EXTRA_DAYS: usize = 6;
const REASON: usize = 7;
const DISPUTE_ID: usize = 8;
const LIABLE: usize = 9;
const INCIDENT_ID: usize = 10;
const LEVEL: usize = 11;
const ACTION: usize = 12;
const POLICY_ID: usize = 13;
const BY_PRINCIPAL: usize = 14;
const TASK_ID: usize = 15;
const DUE: usize = 16;
const DATASETS: usize = 17;
const REPORT_ID: usize = 18;

struct Data<'a> {
    values: [Option<Value<'a>>; 19],
    present: u32,
}

impl<'a> Data<'a> {
    fn parse(cursor: &mut Cursor<'a>) -> Option<Self> {
        let mut data = Data { values: Default::default(), present: 0 };
        cursor.expect(b'{')?;
        cursor.skip_space();
        loop {
            let key = cursor.string()?;
            let slot = DATA_KEYS.iter().position(|known| *known == key)?;
            if data.present & (1 << slot) != 0 {
                return None; // a duplicate key: msgspec keeps the last, Python decides
            }
            data.present |= 1 << slot;
            cursor.expect(b':')?;
            data.values[slot] = Some(cursor.value()?);
            if !cursor.next_member()? {
                return Some(data);
            }
        }
    }

    /// Exactly these required members, plus any of `optional`: else None.
    fn shaped(&self, required: &[usize], optional: &[usize]) -> Option<()> {
        let mask = |slots: &[usize]| slots.iter().fold(0_u32, |mask, slot| mask | 1 << slot);
        let (required, optional) = (mask(required), mask(optional));
        (self.present & required == required && self.present & !(required | optional) == 0)
            .then_some(())
    }

    fn text(&self, slot: usize) -> Option<&'a str> {
        match self.values[slot] {
            Some(Value::Str(text)) => Some(text),
            _ => None,
        }
    }

    fn id(&self, slot: usize) -> Option<&'a str> {
        non_empty(self.text(slot)?)
    }

    fn flag(&self, slot: usize) -> Option<bool> {
        match self.values[slot] {
            Some(Value::Bool(flag)) => Some(flag),
            _ => None,
        }
    }

    /// 1 to 366 working days (`PositiveDays`).
    fn days(&self, slot: usize) -> Option<i64> {
        match self.values[slot] {
            Some(Value::Int(days)) if (1..=366).contains(&days) => Some(days),
            _ => None,
        }
    }

    /// `list[NonEmpty]` of 1 to 1000 entries.
    fn datasets(&self) -> Option<Vec<&'a str>> {
        match &self.values[DATASETS] {
            Some(Value::Strs(names)) if (1..=1000).contains(&names.len()) => {
                names.iter().all(|name| non_empty(name).is_some()).then(|| names.clone())
            }
            _ => None,
        }
    }
}

/// The envelope: CloudEvents attributes, and `data`.
struct Envelope<'a> {
    specversion: &'a str,
    id: &'a str,
    source: &'a str,
    kind: &'a str,
    time: &'a str,
    data: Data<'a>,
}

fn envelope(line: &[u8]) -> Option<Envelope<'_>> {
    let mut cursor = Cursor::new(line)?;
    let mut strings: [Option<&str>; 5] = [None; 5];
    let mut optional_seen = [false; 3];
    let mut data = None;
    cursor.expect(b'{')?;
    loop {
        let key = cursor.string()?;
        cursor.expect(b':')?;
        let known = ["specversion", "id", "source", "type", "time"].iter().position(|k| *k == key);
        if let Some(slot) = known {
            if strings[slot].is_some() {
                return None; // duplicate
            }
            strings[slot] = Some(match cursor.value()? {
                Value::Str(text) => text,
                _ => return None,
            });
        } else if key == "data" {
            if data.is_some() || !cursor.object_follows() {
                return None;
            }
            data = Some(Data::parse(&mut cursor)?);
        } else {
            let value = cursor.value()?;
            // Optional attributes: a string or null, else msgspec refuses the event;
            // other members are extensions, allowed whatever their (plain) value.
            if let Some(slot) =
                ["subject", "datacontenttype", "dataschema"].iter().position(|k| *k == key)
            {
                if optional_seen[slot] || !matches!(value, Value::Str(_) | Value::Null) {
                    return None;
                }
                optional_seen[slot] = true;
            }
        }
        if !cursor.next_member()? {
            break;
        }
    }
    if !cursor.at_end() {
        return None;
    }
    let [specversion, id, source, kind, time] = strings;
    Some(Envelope { specversion: specversion?, id: id?, source: source?, kind: kind?,
                    time: time?, data: data? })
}

/// What `govmon.rules.marks.HANDLERS` makes of an event: `(kind, item id, fields)`
/// with fields `(at, what, event_id, source, unit_id, arg, text, names)`, cut after
/// the last one the handler gives (`cut`).
pub struct Record<'a> {
    pub kind: &'static str,
    pub item_id: &'a str,
    pub at: i64,
    pub what: &'static str,
    pub event_id: &'a str,
    pub source: &'a str,
    pub unit_id: Option<&'a str>,
    pub arg: i64,
    pub text: Option<&'a str>,
    pub names: Vec<&'a str>,
    pub cut: usize,
}

/// The record of one line, or `None`: the Python path decides it.
pub fn record(line: &[u8]) -> Option<Record<'_>> {
    let e = envelope(line)?;
    if e.specversion != "1.0" {
        return None;
    }
    let event_id = non_empty(e.id)?;
    let source = chars_within(e.source, 1, 500)?;
    let at = instant::parse(e.time)?;
    let d = &e.data;
    let base = |kind, item_id, what| Record {
        kind, item_id, at, what, event_id, source, unit_id: None, arg: 0, text: None,
        names: Vec::new(), cut: 4,
    };
    let record = match e.kind {
        "gov.application.received" => {
            d.shaped(&[CASE_ID, UNIT_ID, KIND], &[LIMIT_DAYS])?;
            let kind = one_of(d.text(KIND)?, &["disclosure", "service"])?;
            let limit = match d.values[LIMIT_DAYS] {
                None | Some(Value::Null) if kind == "service" => return None, // cross-check
                None | Some(Value::Null) => 0,
                _ => d.days(LIMIT_DAYS)?,
            };
            Record { unit_id: Some(d.id(UNIT_ID)?), arg: limit, text: Some(kind), cut: 7,
                     ..base("case", d.id(CASE_ID)?, "received") }
        }
        "gov.application.extended" => {
            d.shaped(&[CASE_ID, EXTRA_DAYS], &[])?;
            Record { arg: d.days(EXTRA_DAYS)?, cut: 6,
                     ..base("case", d.id(CASE_ID)?, "extended") }
        }
        "gov.application.suspended" | "gov.application.resumed" => {
            d.shaped(&[CASE_ID, REASON], &[])?;
            d.id(REASON)?;
            let what = if e.kind == "gov.application.suspended" { "suspended" } else { "resumed" };
            base("case", d.id(CASE_ID)?, what)
        }
        "gov.application.corrected" | "gov.application.replied" | "gov.application.withdrawn" => {
            d.shaped(&[CASE_ID], &[])?;
            let what = match e.kind {
                "gov.application.corrected" => "corrected",
                "gov.application.replied" => "replied",
                _ => "withdrawn",
            };
            base("case", d.id(CASE_ID)?, what)
        }
        "gov.application.disputed" => {
            d.shaped(&[DISPUTE_ID, CASE_ID, UNIT_ID, KIND, LIABLE], &[])?;
            one_of(d.text(KIND)?, &["reconsideration", "litigation"])?;
            Record { unit_id: Some(d.id(UNIT_ID)?), arg: i64::from(d.flag(LIABLE)?),
                     text: Some(d.id(CASE_ID)?), cut: 7,
                     ..base("dispute", d.id(DISPUTE_ID)?, "disputed") }
        }
        "gov.opinion.detected" => {
            d.shaped(&[INCIDENT_ID, UNIT_ID, LEVEL], &[])?;
            let level = one_of(d.text(LEVEL)?, &["especially_major", "major", "large", "general"])?;
            Record { unit_id: Some(d.id(UNIT_ID)?), text: Some(level), cut: 7,
                     ..base("incident", d.id(INCIDENT_ID)?, "detected") }
        }
        "gov.opinion.responded" => {
            d.shaped(&[INCIDENT_ID, ACTION], &[])?;
            let action = one_of(d.text(ACTION)?, &["authoritative_info", "press_conference"])?;
            Record { text: Some(action), cut: 7,
                     ..base("incident", d.id(INCIDENT_ID)?, "responded") }
        }
        "gov.policy.issued" => {
            d.shaped(&[POLICY_ID, UNIT_ID], &[])?;
            Record { unit_id: Some(d.id(UNIT_ID)?), cut: 5,
                     ..base("policy", d.id(POLICY_ID)?, "issued") }
        }
        "gov.policy.interpreted" => {
            d.shaped(&[POLICY_ID, BY_PRINCIPAL], &[])?;
            Record { arg: i64::from(d.flag(BY_PRINCIPAL)?), cut: 6,
                     ..base("policy", d.id(POLICY_ID)?, "interpreted") }
        }
        "gov.datashare.assigned" => {
            d.shaped(&[TASK_ID, UNIT_ID, DUE, DATASETS], &[])?;
            Record { unit_id: Some(d.id(UNIT_ID)?), arg: instant::parse(d.text(DUE)?)?,
                     names: d.datasets()?, cut: 8,
                     ..base("task", d.id(TASK_ID)?, "assigned") }
        }
        "gov.datashare.delivered" => {
            d.shaped(&[TASK_ID, DATASETS], &[])?;
            Record { names: d.datasets()?, cut: 8,
                     ..base("task", d.id(TASK_ID)?, "delivered") }
        }
        "gov.report.submitted" => {
            d.shaped(&[REPORT_ID, UNIT_ID], &[])?;
            Record { unit_id: Some(d.id(UNIT_ID)?), cut: 5,
                     ..base("report", d.id(REPORT_ID)?, "submitted") }
        }
        "gov.unit.registered" => {
            d.shaped(&[UNIT_ID, NAME, CATEGORY], &[])?;
            let unit = d.id(UNIT_ID)?;
            Record { unit_id: Some(unit),
                     text: Some(one_of(d.text(CATEGORY)?, &["county", "municipal"])?),
                     names: vec![d.id(NAME)?], cut: 8,
                     ..base("unit", unit, "registered") }
        }
        // Inspection findings (a float and a long note) and unknown types: Python.
        _ => return None,
    };
    Some(record)
}
