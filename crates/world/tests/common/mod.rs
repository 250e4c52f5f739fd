//! What the world's integration tests share. Each test binary compiles this module and uses
//! part of it, hence `dead_code` allowed.
#![allow(dead_code)]

use synack_experiment::config::Experiment;
use synack_world::WorldSpec;

/// One CUBIC bulk transfer (`linux` profile, 20 s) from `client` to `server` over one
/// 10 Mbps, 20 ms link whose queue is `queue` (a TOML value); `client` holds extra keys of
/// the client's `[[host]]` and `extra` more tables.
pub fn bulk_over_bottleneck(name: &str, queue: &str, client: &str, extra: &str) -> WorldSpec {
    let text = format!(
        r#"
name = "{name}"
duration = "20s"
[tcp]
profile = "linux"
[[host]]
name = "client"
{client}
[[host]]
name = "server"
[[link]]
name = "path"
between = ["client", "server"]
delay = "20ms"
bandwidth = "10Mbps"
queue = {queue}
[[workload]]
name = "transfer"
kind = "bulk"
from = "client"
to = "server:80"
bytes = "1GB"
{extra}
"#
    );
    world_of(&text)
}

/// The world of the first sweep point of experiment `text` (which must check).
pub fn world_of(text: &str) -> WorldSpec {
    let exp = Experiment::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let checked = synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}"));
    checked.points[0].world.clone()
}
