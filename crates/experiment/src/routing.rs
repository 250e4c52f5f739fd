//! Routes: which channel (link direction) a node puts a packet for each node on (a host; or
//! a router, where a flood's spoofed SYNs enter, for their answers).
//!
//! Nodes are the hosts (0..hosts) then the routers. Routes are computed once per resolved
//! world ([`crate::check`] builds one per sweep point), never per run or per packet:
//! - a host with one link sends everything on it (a default route), and keeps no table;
//! - a host with two links or more, and every router, keeps one next hop per node, from a shortest-path search
//!   (Dijkstra) from that node, by hop count or by propagation delay (ties broken by hops,
//!   then by the order of the links in the file). Only routers forward: a path never
//!   crosses a host (Linux's `ip_forward` is 0 by default).
//!
//! Memory is one entry per (router or host with ≥ 2 links, node): a star of n clients keeps one
//! table of n + 2 entries (the router's), not n². Static routes (`[[route]]`) then replace single
//! entries. Hop-by-hop forwarding on shortest-path next hops is loop-free, since each hop
//! strictly shortens the remaining distance (each link costs at least one hop); only static
//! routes can make a loop, and [`Routes::walk`] finds it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// No channel: a node has no route to that host.
const NONE: u32 = u32::MAX;

/// What shortest paths minimise (the top-level `routing` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Metric {
    /// The number of links crossed.
    #[default]
    Hops,
    /// The sum of the links' propagation delays (then the number of links).
    Delay,
}

/// One link as routing sees it: its ends and each direction's propagation delay.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub a: usize,
    pub b: usize,
    /// Nanoseconds, a → b and b → a.
    pub forward_delay: u64,
    pub reverse_delay: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeRoutes {
    /// No link at all.
    Isolated,
    /// One link: every packet goes on this channel.
    Default(u32),
    /// Its table starts here in `tables` (one entry per host).
    Table(u32),
}

/// Every node's next hops, and where each channel leads.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    hosts: usize,
    nodes: Vec<NodeRoutes>,
    tables: Vec<u32>,
    /// The node at the far end of each channel (channel `2·link` is the link's forward
    /// direction, `2·link + 1` its reverse).
    channel_to: Vec<u32>,
}

/// Where following the routes from one node toward a host ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// The host was reached after crossing this many routers.
    Reached { routers: u32 },
    /// `at` has no route toward the host (or `at` is another host, which does not forward).
    NoRoute { at: usize },
    /// The routes go round in a circle through `at`.
    Loop { at: usize },
}

impl Routes {
    /// Shortest-path routes over `edges` between `nodes` nodes, the first `hosts` of which
    /// are hosts (which do not forward).
    pub fn compute(hosts: usize, nodes: usize, edges: &[Edge], metric: Metric) -> Routes {
        // Each node's outgoing channels, as (channel, neighbour, cost), in link order.
        let mut degree = vec![0u32; nodes + 1];
        for e in edges {
            degree[e.a] += 1;
            degree[e.b] += 1;
        }
        let mut start = Vec::with_capacity(nodes + 1);
        let mut total = 0u32;
        for d in &degree[..nodes] {
            start.push(total);
            total += d;
        }
        start.push(total);
        let mut fill = start.clone();
        let mut adjacent = vec![(0u32, 0u32, 0u64); total as usize];
        let mut channel_to = Vec::with_capacity(edges.len() * 2);
        for (i, e) in edges.iter().enumerate() {
            let cost = |delay: u64| match metric {
                Metric::Hops => 0,
                Metric::Delay => delay,
            };
            for (from, to, channel, c) in [
                (e.a, e.b, 2 * i, cost(e.forward_delay)),
                (e.b, e.a, 2 * i + 1, cost(e.reverse_delay)),
            ] {
                adjacent[fill[from] as usize] = (channel as u32, to as u32, c);
                fill[from] += 1;
            }
            channel_to.push(e.b as u32);
            channel_to.push(e.a as u32);
        }
        let mut routes = Routes {
            hosts,
            nodes: Vec::with_capacity(nodes),
            tables: Vec::new(),
            channel_to,
        };
        let out = |n: usize| &adjacent[start[n] as usize..start[n + 1] as usize];
        // Reused by every search: (primary cost, hops) and the first channel of the path.
        let mut dist = vec![(u64::MAX, u32::MAX); nodes];
        let mut first = vec![NONE; nodes];
        let mut heap = BinaryHeap::new();
        for n in 0..nodes {
            match out(n) {
                [] => routes.nodes.push(NodeRoutes::Isolated),
                // A host with one link: a default route. A router keeps a table even
                // with one link, so that it never sends a packet back where it came from.
                [(channel, _, _)] if n < hosts => routes.nodes.push(NodeRoutes::Default(*channel)),
                _ => {
                    dist.fill((u64::MAX, u32::MAX));
                    first.fill(NONE);
                    dist[n] = (0, 0);
                    heap.push(Reverse(((0u64, 0u32), n as u32)));
                    while let Some(Reverse((d, v))) = heap.pop() {
                        let v = v as usize;
                        if d > dist[v] || (v != n && v < hosts) {
                            // Stale, or a host: it is reached but forwards nothing.
                            continue;
                        }
                        for &(channel, w, c) in out(v) {
                            let w = w as usize;
                            let next = (d.0.saturating_add(c), d.1 + 1);
                            if next < dist[w] {
                                dist[w] = next;
                                first[w] = if v == n { channel } else { first[v] };
                                heap.push(Reverse((next, w as u32)));
                            }
                        }
                    }
                    routes
                        .nodes
                        .push(NodeRoutes::Table(routes.tables.len() as u32));
                    routes.tables.extend_from_slice(&first);
                }
            }
        }
        routes
    }

    /// The routes over resolved links, the first `hosts` nodes being hosts.
    pub fn for_links(
        hosts: usize,
        nodes: usize,
        links: &[crate::spec::LinkSpec],
        metric: Metric,
    ) -> Routes {
        let edges: Vec<Edge> = links
            .iter()
            .map(|l| Edge {
                a: l.a,
                b: l.b,
                forward_delay: l.forward.delay.as_nanos(),
                reverse_delay: l.reverse.delay.as_nanos(),
            })
            .collect();
        Routes::compute(hosts, nodes, &edges, metric)
    }

    /// The channel `node` puts a packet for node `to` on, if it has a route.
    #[inline]
    pub fn next(&self, node: usize, to: usize) -> Option<u32> {
        match self.nodes[node] {
            NodeRoutes::Default(channel) => Some(channel),
            NodeRoutes::Table(at) => {
                let c = self.tables[at as usize + to];
                (c != NONE).then_some(c)
            }
            NodeRoutes::Isolated => None,
        }
    }

    /// Whether `node` has no link at all.
    pub fn isolated(&self, node: usize) -> bool {
        self.nodes[node] == NodeRoutes::Isolated
    }

    /// The node channel `channel` leads to.
    #[inline]
    pub fn channel_to(&self, channel: u32) -> usize {
        self.channel_to[channel as usize] as usize
    }

    /// How many channels there are (two per link).
    pub fn channels(&self) -> usize {
        self.channel_to.len()
    }

    /// A static route: `node` sends packets for host `to` on `channel` (which leaves it).
    /// A node with one link has no other choice, and keeps its default route.
    pub fn set(&mut self, node: usize, to: usize, channel: u32) {
        if let NodeRoutes::Table(at) = self.nodes[node] {
            self.tables[at as usize + to] = channel;
        }
    }

    /// Follows the routes from `from` toward node `to`.
    pub fn walk(&self, from: usize, to: usize) -> Walk {
        self.walk_with(from, to, |_| {})
    }

    /// [`walk`](Self::walk), handing `each` every channel taken, in order.
    pub fn walk_with(&self, from: usize, to: usize, mut each: impl FnMut(u32)) -> Walk {
        let mut at = from;
        let mut routers = 0u32;
        // A loop-free path visits each node once.
        for _ in 0..=self.nodes.len() {
            if at == to {
                return Walk::Reached { routers };
            }
            if at != from && at < self.hosts {
                return Walk::NoRoute { at };
            }
            let Some(channel) = self.next(at, to) else {
                return Walk::NoRoute { at };
            };
            if at != from {
                routers += 1;
            }
            each(channel);
            at = self.channel_to(channel);
        }
        Walk::Loop { at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(a: usize, b: usize, delay: u64) -> Edge {
        Edge {
            a,
            b,
            forward_delay: delay,
            reverse_delay: delay,
        }
    }

    #[test]
    fn stars_keep_one_table_and_hosts_do_not_forward() {
        // Hosts 0..3, router 3: a star.
        let edges = [edge(0, 3, 1), edge(1, 3, 1), edge(2, 3, 1)];
        let r = Routes::compute(3, 4, &edges, Metric::Hops);
        assert_eq!(
            r.tables.len(),
            4,
            "only the router keeps a table, an entry per node"
        );
        assert_eq!(r.next(0, 2), Some(0));
        assert_eq!(r.next(3, 2), Some(5));
        // A host reaches the router itself (where a flood may enter) through its link.
        assert_eq!(r.walk(1, 3), Walk::Reached { routers: 0 });
        assert_eq!(r.walk(0, 2), Walk::Reached { routers: 1 });
        // Host 1 in the middle of a chain does not forward.
        let chain = [edge(0, 1, 1), edge(1, 2, 1)];
        let r = Routes::compute(3, 3, &chain, Metric::Hops);
        assert_eq!(r.walk(0, 2), Walk::NoRoute { at: 1 });
    }

    #[test]
    fn delay_and_hops_choose_different_paths() {
        // Host 0 and host 1, joined directly (10 ns) and through router 2 (1 + 1 ns).
        let edges = [edge(0, 1, 10), edge(0, 2, 1), edge(2, 1, 1)];
        let hops = Routes::compute(2, 3, &edges, Metric::Hops);
        assert_eq!(hops.next(0, 1), Some(0));
        let delay = Routes::compute(2, 3, &edges, Metric::Delay);
        assert_eq!(delay.next(0, 1), Some(2));
        assert_eq!(delay.walk(0, 1), Walk::Reached { routers: 1 });
    }

    #[test]
    fn static_routes_can_loop() {
        // 0 — r2 — r3 — 1, and r2 — r3 again through r4: r3 sends back to r2.
        let edges = [
            edge(0, 2, 1),
            edge(2, 3, 1),
            edge(3, 1, 1),
            edge(2, 4, 1),
            edge(4, 3, 1),
        ];
        let mut r = Routes::compute(2, 5, &edges, Metric::Hops);
        assert_eq!(r.walk(0, 1), Walk::Reached { routers: 2 });
        r.set(3, 1, 3); // r3 → r2 (link 1's reverse)
        assert!(matches!(r.walk(0, 1), Walk::Loop { .. }));
    }
}
