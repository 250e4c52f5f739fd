//! `%{ assert tcpi_X == N }%` blocks: packetdrill runs them as Python against the socket's
//! `TCP_INFO`. Here only assertions comparing a `TCP_INFO` field synack knows with a number
//! are understood; any other Python makes the script unsupported.

/// The `TCP_INFO` fields synack can report.
pub const KNOWN_FIELDS: &[&str] = &[
    "tcpi_snd_cwnd",
    "tcpi_snd_ssthresh",
    "tcpi_snd_mss",
    "tcpi_advmss",
    "tcpi_unacked",
    "tcpi_rto",
    "tcpi_total_retrans",
    "tcpi_ca_state",
    "tcpi_sacked",
];

/// One assertion: `field OP value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    pub field: String,
    pub op: &'static str,
    pub value: i64,
}

impl Assertion {
    pub fn holds(&self, actual: i64) -> bool {
        match self.op {
            "==" => actual == self.value,
            "!=" => actual != self.value,
            "<" => actual < self.value,
            "<=" => actual <= self.value,
            ">" => actual > self.value,
            _ => actual >= self.value,
        }
    }
}

/// The assertions of a code block, or why synack cannot run it.
pub fn assertions(code: &str) -> Result<Vec<Assertion>, String> {
    let joined = code.replace("\\\n", " ");
    let mut out = Vec::new();
    for stmt in joined
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if stmt.starts_with('#') || stmt.starts_with("print") {
            continue;
        }
        // Scripts name Linux's constant before comparing ssthresh with it; only its own
        // value is taken.
        if let Some((name, value)) = stmt.split_once('=') {
            if name.trim() == INFINITE_SSTHRESH.0
                && number(value.trim()) == Some(INFINITE_SSTHRESH.1)
            {
                continue;
            }
        }
        let Some(rest) = stmt.strip_prefix("assert ") else {
            return Err(format!("Python statement `{stmt}`"));
        };
        // The message after the first top-level comma is for humans.
        let cond = rest.split(',').next().unwrap_or("").trim();
        for part in cond.split(" and ") {
            out.push(comparison(part.trim())?);
        }
    }
    Ok(out)
}

fn comparison(s: &str) -> Result<Assertion, String> {
    const OPS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];
    let bad = || format!("Python expression `{s}`");
    let op = OPS.iter().find(|op| s.contains(*op)).ok_or_else(bad)?;
    let (l, r) = s.split_once(op).ok_or_else(bad)?;
    let (l, r) = (l.trim(), r.trim());
    if l.starts_with("tcpi_") && !KNOWN_FIELDS.contains(&l) {
        return Err(format!("TCP_INFO field {l} (synack does not report it)"));
    }
    let (field, value) = match (l.parse::<i64>(), number(r)) {
        (Err(_), Some(v)) => (l, v),
        _ => return Err(bad()),
    };
    if !field.starts_with("tcpi_") {
        return Err(bad());
    }
    if !KNOWN_FIELDS.contains(&field) {
        return Err(format!(
            "TCP_INFO field {field} (synack does not report it)"
        ));
    }
    Ok(Assertion {
        field: field.to_string(),
        op,
        value,
    })
}

/// include/net/tcp.h's `TCP_INFINITE_SSTHRESH`: the ssthresh `TCP_INFO` reports before the
/// first reduction.
const INFINITE_SSTHRESH: (&str, i64) = ("TCP_INFINITE_SSTHRESH", 0x7fff_ffff);

/// A number (decimal, or hexadecimal after `0x`), `TCP_INFINITE_SSTHRESH`, or one of the
/// names packetdrill's Python knows for `tcpi_ca_state` (include/net/tcp.h's
/// `enum tcp_ca_state`).
fn number(s: &str) -> Option<i64> {
    const CA_STATES: [&str; 5] = [
        "TCP_CA_Open",
        "TCP_CA_Disorder",
        "TCP_CA_CWR",
        "TCP_CA_Recovery",
        "TCP_CA_Loss",
    ];
    if s == INFINITE_SSTHRESH.0 {
        return Some(INFINITE_SSTHRESH.1);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    s.parse()
        .ok()
        .or_else(|| CA_STATES.iter().position(|&n| n == s).map(|i| i as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asserts_on_known_fields_parse_and_others_do_not() {
        let a = assertions(" assert tcpi_snd_cwnd == 10, 'cwnd=%d' % tcpi_snd_cwnd ").unwrap();
        assert_eq!(a[0].field, "tcpi_snd_cwnd");
        assert!(a[0].holds(10) && !a[0].holds(11));
        let a = assertions("assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state").unwrap();
        assert_eq!((a[0].field.as_str(), a[0].value), ("tcpi_ca_state", 3));
        let e = assertions("assert tcpi_lost == 1, tcpi_lost").unwrap_err();
        assert!(e.contains("tcpi_lost"), "{e}");
        assert!(assertions("import os").is_err());
        // Linux's constant, named as scripts name it, and nothing else.
        assert!(assertions("TCP_INFINITE_SSTHRESH = 0x7fffffff")
            .unwrap()
            .is_empty());
        assert!(assertions("TCP_INFINITE_SSTHRESH = 5").is_err());
        assert!(assertions("x = 1").is_err());
        let a = assertions("assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH").unwrap();
        assert_eq!(a[0].value, 0x7fff_ffff);
    }
}
