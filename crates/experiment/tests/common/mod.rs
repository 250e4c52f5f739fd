//! Experiment texts the integration tests share; the bad cases append to them.
#![allow(dead_code)] // each test binary uses its own subset

/// A small valid file; the bad cases append to it, so their line numbers start at 13.
pub const BASE: &str = r#"name = "t"
duration = "10s"

[[host]]
name = "client"
[[host]]
name = "server"

[[link]]
name = "wan"
between = ["client", "server"]
delay = "10ms"
"#;

/// A bulk workload to append to [`BASE`] (lines 13–19).
pub const BULK: &str = r#"
[[workload]]
name = "w"
kind = "bulk"
from = "client"
to = "server:80"
bytes = "1MB"
"#;

/// Three hosts in a chain, a–b–c: `a` and `c` are joined only through `b`. What the cases
/// append starts at line 19 (a key appended directly extends `[[link]]` "bc").
pub const CHAIN: &str = r#"name = "t"
duration = "10s"

[[host]]
name = "a"
[[host]]
name = "b"
[[host]]
name = "c"

[[link]]
name = "ab"
between = ["a", "b"]
delay = "10ms"
[[link]]
name = "bc"
between = ["b", "c"]
delay = "10ms"
"#;

/// A request workload "web" from `a` to `b:80` (6 lines, after a blank line).
pub const WEB: &str = r#"
[[workload]]
name = "web"
kind = "request"
from = "a"
to = "b:80"
response = "1KB"
"#;

/// A request workload "api" from `c` to `b:81` (6 lines, after a blank line), answered as
/// "web" is.
pub const API: &str = r#"
[[workload]]
name = "api"
kind = "request"
from = "c"
to = "b:81"
response = "1KB"
"#;

/// `n` flood workloads "syn0", "syn1", … from `c` at `b:80`, each 10 SYNs per second.
pub fn floods(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "\n[[workload]]\nname = \"syn{i}\"\nkind = \"flood\"\nfrom = \"c\"\nto = \"b:80\"\nrate = 10\n"
            )
        })
        .collect()
}
