//! The functions Step Functions adds to JSONata: `$partition`, `$range`, `$hash`, `$random`
//! (with an optional seed), `$uuid` and `$parse`.

use std::rc::Rc;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::error::{JsonataError, Result};
use super::eval::Ev;
use super::value::{Val, array, string};

fn query_error(message: String) -> JsonataError {
    JsonataError::new("States.QueryEvaluationError", message)
}

/// `$partition(array, size)`: consecutive chunks of `size` items; the last may be shorter.
pub(crate) fn partition<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = args.first().cloned().unwrap_or(Val::Undef);
    let size = args.get(1).and_then(|v| v.as_num());
    let Some(size) = size.filter(|s| *s >= 1.0 && s.fract() == 0.0) else {
        return Err(query_error(
            "$partition: the partition size must be a positive integer".into(),
        ));
    };
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let items = a.members();
    let chunks = items
        .chunks(size as usize)
        .map(|c| array(c.to_vec()))
        .collect();
    Ok(array(chunks))
}

/// `$range(start, end, step)`: numbers from `start` to `end` inclusive.
pub(crate) fn range<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let nums: Vec<Option<f64>> = (0..3)
        .map(|i| args.get(i).and_then(|v| v.as_num()))
        .collect();
    let (Some(start), Some(end), Some(step)) = (nums[0], nums[1], nums[2]) else {
        return Ok(Val::Undef);
    };
    if step == 0.0 {
        return Err(query_error("$range: step must not be 0".into()));
    }
    let count = ((end - start) / step).floor() + 1.0;
    if count > 1000.0 * 1000.0 {
        return Err(query_error(
            "$range: the range must not have more than 1000000 items".into(),
        ));
    }
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let v = start + i * step;
        if (step > 0.0 && v > end) || (step < 0.0 && v < end) {
            break;
        }
        out.push(Val::Num(v));
        i += 1.0;
    }
    // A sequence, as AWS's function returns it: one number comes back unwrapped (recorded in
    // the conformance corpus). No recording shows an empty range; it stays an empty array
    // rather than turning into "nothing".
    if out.is_empty() {
        return Ok(array(out));
    }
    Ok(Val::Arr(std::rc::Rc::new(super::value::Arr {
        items: out,
        seq: true,
        ..Default::default()
    })))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `$hash(value, algorithm)`: the hex digest of a string, with MD5, SHA-1, SHA-256 (the
/// default), SHA-384 or SHA-512.
pub(crate) fn hash<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(value) = args.first().and_then(|v| v.as_str()) else {
        return Ok(Val::Undef);
    };
    let algorithm = args.get(1).and_then(|v| v.as_str()).unwrap_or("SHA-256");
    let bytes = value.as_bytes();
    let digest = match algorithm {
        "MD5" => hex(&Md5::digest(bytes)),
        "SHA-1" => hex(&Sha1::digest(bytes)),
        "SHA-256" => hex(&Sha256::digest(bytes)),
        "SHA-384" => hex(&Sha384::digest(bytes)),
        "SHA-512" => hex(&Sha512::digest(bytes)),
        other => {
            return Err(query_error(format!(
                "$hash: unsupported algorithm {other}; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            )));
        }
    };
    Ok(string(&digest))
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The next value of the evaluation's generator, in [0, 1).
pub(crate) fn next_random(ev: &Ev<'_>) -> f64 {
    let mut state = ev.rng.get();
    if state == 0 {
        // Seed from the clock and a per-process hasher key.
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        state = h.finish() | 1;
    }
    let v = splitmix(&mut state);
    ev.rng.set(state);
    unit(v)
}

/// `$random([seed])`: a number in [0, 1); the same seed always gives the same number.
pub(crate) fn random<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    match args.first().and_then(|v| v.as_num()) {
        Some(seed) => {
            let mut state = seed.to_bits() ^ 0x5DEE_CE66_D1CE_4E5B;
            Ok(Val::Num(unit(splitmix(&mut state))))
        }
        None => Ok(Val::Num(next_random(ev))),
    }
}

/// `$uuid()`: a random version 4 UUID.
pub(crate) fn uuid<'a>(ev: &Ev<'a>, _: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(4) {
        let v = (next_random(ev) * 4_294_967_296.0) as u32;
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    Ok(string(&format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )))
}

/// `$parse(text)`: the JSON value a string holds.
pub(crate) fn parse<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(text) = args.first().and_then(|v| v.as_str()) else {
        return Ok(Val::Undef);
    };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| query_error(format!("$parse: the string is not valid JSON: {e}")))?;
    Ok(from_json(&value))
}

/// An owned copy of a JSON value (for values that do not outlive the evaluation's input).
pub(crate) fn from_json<'a>(v: &serde_json::Value) -> Val<'a> {
    use serde_json::Value;
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Val::Str(Rc::from(s.as_str())),
        Value::Array(items) => array(items.iter().map(from_json).collect()),
        Value::Object(m) => Val::Obj(Rc::new(
            m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect(),
        )),
    }
}
