//! One CloudEvents line to its item record, with the checks of `govmon/contract/events.py`.
//!
//! This is a *fast path*, not a second contract: a line is accepted here only when it
//! is plainly valid, and everything else - escaped strings, duplicate keys, unusual
//! timestamps, unknown types, inspection findings, any failed check - returns `None`
//! and is decided by the Python path (msgspec), which also words the refusal.  So the
//! rule to keep is one-sided: never accept what msgspec refuses.  The Python tests
//! (`tests/unit/test_replay_native.py`) check that, and that records are equal, on
//! generated years and on mutated lines.
//!
//! Strings are borrowed from the line (`&str`): serde refuses a borrowed string that
//! has escapes, which defers the line.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::instant;

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

#[derive(Deserialize)]
struct Envelope<'a> {
    specversion: &'a str,
    id: &'a str,
    source: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    time: &'a str,
    // Optional context attributes: a string or null (else msgspec refuses the event).
    #[allow(dead_code)]
    #[serde(borrow)]
    subject: Option<&'a str>,
    #[allow(dead_code)]
    #[serde(borrow)]
    datacontenttype: Option<&'a str>,
    #[allow(dead_code)]
    #[serde(borrow)]
    dataschema: Option<&'a str>,
    #[serde(borrow)]
    data: &'a RawValue,
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

// The `data` payloads, unknown fields refused as the contract's `_Data` does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registered<'a> { unit_id: &'a str, name: &'a str, category: &'a str }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Received<'a> { case_id: &'a str, unit_id: &'a str, kind: &'a str, limit_days: Option<i64> }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Extended<'a> { case_id: &'a str, extra_days: i64 }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Paused<'a> { case_id: &'a str, reason: &'a str }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseOnly<'a> { case_id: &'a str }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Disputed<'a> { dispute_id: &'a str, case_id: &'a str, unit_id: &'a str, kind: &'a str,
                      liable: bool }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Detected<'a> { incident_id: &'a str, unit_id: &'a str, level: &'a str }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Responded<'a> { incident_id: &'a str, action: &'a str }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Issued<'a> { policy_id: &'a str, unit_id: &'a str }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Interpreted<'a> { policy_id: &'a str, by_principal: bool }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assigned<'a> { task_id: &'a str, unit_id: &'a str, due: &'a str,
                      #[serde(borrow)] datasets: Vec<&'a str> }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Delivered<'a> { task_id: &'a str, #[serde(borrow)] datasets: Vec<&'a str> }

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submitted<'a> { report_id: &'a str, unit_id: &'a str }

fn data<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Option<T> {
    serde_json::from_str(raw.get()).ok()
}

/// 1 to 366 working days (`PositiveDays`).
fn days(value: i64) -> Option<i64> {
    (1..=366).contains(&value).then_some(value)
}

/// `list[NonEmpty]` of 1 to 1000 entries.
fn datasets(names: Vec<&str>) -> Option<Vec<&str>> {
    if names.is_empty() || names.len() > 1000 {
        return None;
    }
    for name in &names {
        non_empty(name)?;
    }
    Some(names)
}

/// The record of one line, or `None`: the Python path decides it.
pub fn record(line: &[u8]) -> Option<Record<'_>> {
    let e: Envelope = serde_json::from_slice(line).ok()?;
    if e.specversion != "1.0" {
        return None;
    }
    let event_id = non_empty(e.id)?;
    let source = chars_within(e.source, 1, 500)?;
    let at = instant::parse(e.time)?;
    let base = |kind, item_id, what| Record {
        kind, item_id, at, what, event_id, source, unit_id: None, arg: 0, text: None,
        names: Vec::new(), cut: 4,
    };
    let record = match e.kind {
        "gov.application.received" => {
            let d: Received = data(e.data)?;
            let limit = match d.limit_days {
                Some(value) => days(value)?,
                None if d.kind == "service" => return None, // refused by the cross-check
                None => 0,
            };
            Record { unit_id: Some(non_empty(d.unit_id)?), arg: limit,
                     text: Some(one_of(d.kind, &["disclosure", "service"])?), cut: 7,
                     ..base("case", non_empty(d.case_id)?, "received") }
        }
        "gov.application.extended" => {
            let d: Extended = data(e.data)?;
            Record { arg: days(d.extra_days)?, cut: 6,
                     ..base("case", non_empty(d.case_id)?, "extended") }
        }
        "gov.application.suspended" | "gov.application.resumed" => {
            let d: Paused = data(e.data)?;
            non_empty(d.reason)?;
            let what = if e.kind == "gov.application.suspended" { "suspended" } else { "resumed" };
            base("case", non_empty(d.case_id)?, what)
        }
        "gov.application.corrected" | "gov.application.replied" | "gov.application.withdrawn" => {
            let d: CaseOnly = data(e.data)?;
            let what = match e.kind {
                "gov.application.corrected" => "corrected",
                "gov.application.replied" => "replied",
                _ => "withdrawn",
            };
            base("case", non_empty(d.case_id)?, what)
        }
        "gov.application.disputed" => {
            let d: Disputed = data(e.data)?;
            one_of(d.kind, &["reconsideration", "litigation"])?;
            Record { unit_id: Some(non_empty(d.unit_id)?), arg: i64::from(d.liable),
                     text: Some(non_empty(d.case_id)?), cut: 7,
                     ..base("dispute", non_empty(d.dispute_id)?, "disputed") }
        }
        "gov.opinion.detected" => {
            let d: Detected = data(e.data)?;
            let level = one_of(d.level, &["especially_major", "major", "large", "general"])?;
            Record { unit_id: Some(non_empty(d.unit_id)?), text: Some(level), cut: 7,
                     ..base("incident", non_empty(d.incident_id)?, "detected") }
        }
        "gov.opinion.responded" => {
            let d: Responded = data(e.data)?;
            let action = one_of(d.action, &["authoritative_info", "press_conference"])?;
            Record { text: Some(action), cut: 7,
                     ..base("incident", non_empty(d.incident_id)?, "responded") }
        }
        "gov.policy.issued" => {
            let d: Issued = data(e.data)?;
            Record { unit_id: Some(non_empty(d.unit_id)?), cut: 5,
                     ..base("policy", non_empty(d.policy_id)?, "issued") }
        }
        "gov.policy.interpreted" => {
            let d: Interpreted = data(e.data)?;
            Record { arg: i64::from(d.by_principal), cut: 6,
                     ..base("policy", non_empty(d.policy_id)?, "interpreted") }
        }
        "gov.datashare.assigned" => {
            let d: Assigned = data(e.data)?;
            Record { unit_id: Some(non_empty(d.unit_id)?), arg: instant::parse(d.due)?,
                     names: datasets(d.datasets)?, cut: 8,
                     ..base("task", non_empty(d.task_id)?, "assigned") }
        }
        "gov.datashare.delivered" => {
            let d: Delivered = data(e.data)?;
            Record { names: datasets(d.datasets)?, cut: 8,
                     ..base("task", non_empty(d.task_id)?, "delivered") }
        }
        "gov.report.submitted" => {
            let d: Submitted = data(e.data)?;
            Record { unit_id: Some(non_empty(d.unit_id)?), cut: 5,
                     ..base("report", non_empty(d.report_id)?, "submitted") }
        }
        "gov.unit.registered" => {
            let d: Registered = data(e.data)?;
            let unit = non_empty(d.unit_id)?;
            Record { unit_id: Some(unit), text: Some(one_of(d.category, &["county", "municipal"])?),
                     names: vec![non_empty(d.name)?], cut: 8,
                     ..base("unit", unit, "registered") }
        }
        // Inspection findings (a float and a long note) and unknown types: Python.
        _ => return None,
    };
    Some(record)
}
