//! `docker.format.stats` and `docker.format.top` print what `docker stats
//! --no-stream` and `docker top` print for the same container.

mod common;

use common::{assert_success, docker, lua, sleeper, Cleanup};

/// The cells of a table line (columns are 3 or more spaces apart, cells
/// have at most single spaces inside, as in "436KiB / 23.54GiB").
fn cells(line: &str) -> Vec<String> {
    line.split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn stats_and_top_tables_as_the_docker_cli_prints_them() {
    let t = Cleanup::new("fmtstats");
    let name = t.container("c");
    sleeper(&t, &name);
    let ours = assert_success(&lua(&format!(
        r#"local f = require("docker.format")
           local c = docker.containers.get("{name}")
           io.write(f.stats({{ c:stats() }}), "--\n", f.top(c:top("-o pid,args")))"#
    )));
    let (stats, top) = ours.split_once("--\n").unwrap();
    let theirs = docker(&["stats", "--no-stream", &name]);
    let (ours_lines, their_lines): (Vec<_>, Vec<_>) =
        (stats.lines().collect(), theirs.lines().collect());
    assert_eq!(ours_lines.len(), 2, "{stats}");
    assert_eq!(
        cells(ours_lines[0]),
        cells(their_lines[0]),
        "{stats}\n{theirs}"
    );
    let (o, d) = (cells(ours_lines[1]), cells(their_lines[1]));
    assert_eq!(o.len(), 8, "{o:?}");
    // Id, name, memory limit, block I/O and pids agree; CPU, memory use and
    // network counters move between the two samples.
    assert_eq!((&o[0], &o[1], &o[6], &o[7]), (&d[0], &d[1], &d[6], &d[7]));
    assert_eq!(o[3].split(" / ").nth(1), d[3].split(" / ").nth(1));
    assert!(o[2].ends_with('%') && o[4].ends_with('%'), "{o:?}");
    assert_eq!(
        top.trim_end(),
        docker(&["top", &name, "-o", "pid,args"]),
        "docker top"
    );

    let bad = common::lua("require('docker.format').stats({1})");
    assert!(
        common::stderr_of(&bad)
            .contains("format.stats: bad sample #1 (table expected, got number)"),
        "{}",
        common::describe(&bad)
    );
}

/// `c:stats{stream = false}` carries the figures `docker stats` shows beside
/// the engine's own fields, computed as the CLI does: the memory limit, pids
/// and block I/O agree with `docker stats --no-stream`; a busy container
/// shows CPU; the sums agree with the raw fields; a stream's samples too.
#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn stats_carry_the_figures_the_cli_computes() {
    let t = Cleanup::new("statsfig");
    let name = t.container("busy");
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &t.label(),
        "--memory",
        "64m",
        "alpine",
        "sh",
        "-c",
        "sleep 300 & sleep 300 & while :; do :; done",
    ]);
    let out = assert_success(&lua(&format!(
        r#"local c = docker.containers.get("{name}")
           local s = c:stats{{stream = false}}
           local rx, tx = 0, 0
           for _, n in pairs(s.networks or {{}}) do rx, tx = rx + n.rx_bytes, tx + n.tx_bytes end
           print(s.mem_limit, s.pids, s.cpu_percent > 1, s.mem_usage > 0, s.mem_usage <= s.mem_limit,
             math.abs(s.mem_percent - s.mem_usage / s.mem_limit * 100) < 1e-9,
             s.net_rx == rx, s.net_tx == tx, s.id == c.id, s.cpu_stats ~= nil,
             math.type(s.mem_usage), math.type(s.block_read))
           for sample in c:stats{{stream = true}} do
             print(sample.mem_limit, sample.pids, math.type(sample.cpu_percent))
             break
           end"#
    )));
    let theirs = docker(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.MemUsage}}|{{.PIDs}}",
        &name,
    ]);
    let (mem, pids) = theirs.trim().split_once('|').unwrap();
    assert_eq!(mem.split(" / ").nth(1), Some("64MiB"), "{theirs}");
    assert_eq!(
        out,
        format!(
            "67108864\t{pids}\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\tinteger\tinteger\n\
             67108864\t{pids}\tfloat\n"
        )
    );
    assert_eq!(pids, "3", "sh (running the loop) and two sleeps: {theirs}");
}
