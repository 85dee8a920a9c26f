//! The timeline report: one self-contained HTML file (no network, no external scripts) showing a
//! run's [`History`](crate::history::History): one lane per pod with its sandbox and container states
//! over virtual time, restarts and backoffs, faults as marked spans, violations highlighted, and the
//! kubelet's decisions on hover.
//!
//! Everything is laid out here, in Rust, as HTML and inline SVG, so the page shows the whole run
//! without JavaScript, and its Content-Security-Policy forbids any outside resource. Horizontal
//! positions are percentages of the plot's width, so the chart follows the window's width; hover
//! texts are SVG `<title>`s. Stable hooks for tests and browsers: `#verdict`, `section.lane[data-pod]`
//! with `g.row.sandbox` and `g.row.container[data-container]` of `rect.span[data-id][data-state]`,
//! `rect.decision`, `rect.backoff`, `g.fault[data-kind]` in `#faults`, `g.violation[data-rule]`, and
//! the `#violations`, `#fault-list` and `#events` tables (the last: the Kubernetes Events the API server
//! holds, `tr.event-row[data-type][data-reason]`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use podsim_model::Millis;

use podsim_model::events::EventType;

use crate::events::EventRecord;
use crate::history::{FaultSpan, History, PodLane, Span, ViolationMark};

/// The plot width, in pixels, assumed when deciding whether a label fits or marks must be merged (the
/// page itself scales with the window; at 1400 pixels the plot is about this wide).
const NOMINAL_PLOT_PX: f64 = 1100.0;
/// The width of a character of the small labels, in nominal pixels.
const CHAR_PX: f64 = 6.2;
/// The height of the pod's own row (its name and the kubelet's decisions), in pixels.
const POD_ROW: u32 = 16;
/// The height of a sandbox or container row.
const ROW: u32 = 18;
/// The height of a rectangle inside a row.
const BAR: u32 = 14;
/// The height of one track of the fault row.
const FAULT_TRACK: u32 = 17;
/// At most this many fault tracks (overlapping faults beyond it share the last).
const MAX_FAULT_TRACKS: usize = 8;
/// At most this many decision marks per lane: decisions closer than a mark's width share one mark.
const DECISION_SLOTS: u64 = 550;
/// At most this many decisions are spelled out in one mark's hover text.
const MAX_LINES_PER_MARK: usize = 12;
/// At most this many Events are listed in the table.
const MAX_EVENT_ROWS: usize = 2_000;

/// Renders the report: a complete HTML document.
pub fn render(history: &History) -> String {
    let scale = Scale { end: history.end.max(1) };
    let lanes = ordered_lanes(history);
    // Violations by lane, or global (no pod, or a pod without a lane).
    let placed: Vec<Option<usize>> = history.violations.iter().map(|v| lane_of(&lanes, v)).collect();
    let mut by_lane: BTreeMap<usize, Vec<&ViolationMark>> = BTreeMap::new();
    let mut global: Vec<&ViolationMark> = Vec::new();
    for (v, lane) in history.violations.iter().zip(&placed) {
        match lane {
            Some(i) => by_lane.entry(*i).or_default().push(v),
            None => global.push(v),
        }
    }

    let mut out = String::with_capacity(32 * 1024);
    head(&mut out, history);
    summary(&mut out, history, &lanes);
    legend(&mut out);

    out.push_str("<main class=\"chart\" id=\"chart\">\n<div class=\"top\">\n");
    axis(&mut out, &scale);
    fault_row(&mut out, &scale, &history.faults);
    if !global.is_empty() {
        global_row(&mut out, &scale, &global);
    }
    out.push_str("</div>\n");
    overlay(&mut out, &scale, &history.faults);
    if lanes.is_empty() {
        out.push_str("<p class=\"empty\">No pod reached the node.</p>\n");
    }
    for (i, lane) in lanes.iter().enumerate() {
        let violations = by_lane.get(&i).map(Vec::as_slice).unwrap_or(&[]);
        pod_lane(&mut out, &scale, i, lane, violations);
    }
    out.push_str("</main>\n");

    violation_table(&mut out, &history.violations, &placed, &lanes);
    fault_table(&mut out, &history.faults);
    event_table(&mut out, &history.events, &lanes);
    out.push_str(
        "<footer>Written by <code>podsim run --report</code>. Times are virtual. Hover over a bar, a \
         tick or a marker for its details.</footer>\n</body>\n</html>\n",
    );
    out
}

/// Escapes text for HTML, both in text and in attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---- scale and formats ---------------------------------------------------------------------------

/// Maps virtual time onto the plot: 0 at the left, the end of the run at the right.
struct Scale {
    /// The end of the run (at least 1 ms).
    end: Millis,
}

impl Scale {
    /// `t` as a fraction of the plot, in percent (clamped to the plot).
    fn percent(&self, t: Millis) -> f64 {
        (t.min(self.end) as f64) * 100.0 / (self.end as f64)
    }

    /// `t` in nominal pixels.
    fn px(&self, t: Millis) -> f64 {
        self.percent(t) * NOMINAL_PLOT_PX / 100.0
    }

    /// An `x` attribute value.
    fn x(&self, t: Millis) -> String {
        pct(self.percent(t))
    }

    /// A `width` attribute value for `from..to`, at least `min` percent.
    fn width(&self, from: Millis, to: Millis, min: f64) -> String {
        pct((self.percent(to) - self.percent(from)).max(min))
    }
}

/// A percentage with at most three decimals: `12.5%`.
fn pct(value: f64) -> String {
    let mut s = format!("{value:.3}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s.push('%');
    s
}

/// A point in virtual time: `4.002s`, `1m00.002s`, `1h02m03.000s`.
fn fmt_time(t: Millis) -> String {
    let (h, m, s, ms) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}.{ms:03}s")
    } else if m > 0 {
        format!("{m}m{s:02}.{ms:03}s")
    } else {
        format!("{s}.{ms:03}s")
    }
}

/// A length of virtual time: `4ms`, `2.5s`, `3m20s`, `1h05m`.
fn fmt_duration(d: Millis) -> String {
    if d < 1000 {
        format!("{d}ms")
    } else if d < 60_000 {
        // (`is_multiple_of` is newer than the crate's minimum Rust.)
        let (seconds, millis) = (d / 1000, d % 1000);
        if millis == 0 {
            format!("{seconds}s")
        } else {
            format!("{:.1}s", d as f64 / 1000.0)
        }
    } else if d < 3_600_000 {
        let (m, s) = (d / 60_000, d / 1000 % 60);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s:02}s")
        }
    } else {
        let (h, m) = (d / 3_600_000, d / 60_000 % 60);
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{m:02}m")
        }
    }
}

/// `1 restart`, `2 restarts`.
fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Compares names with their numbers in numeric order: `pod-2` before `pod-10`.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, xa), (db, xb)) in ca.iter().zip(cb.iter()) {
        let ord = if *da && *db {
            let (ta, tb) = (xa.trim_start_matches('0'), xb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            xa.cmp(xb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

// ---- the lanes' data ------------------------------------------------------------------------------

/// How a decision reads on the chart.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DecisionKind {
    /// The pod worker changed state.
    Worker,
    /// A `computePodActions` plan.
    Plan,
    /// A container was not started (CrashLoopBackOff, ImagePullBackOff, ...).
    Backoff,
    /// A sync failed and will be retried.
    Failed,
}

impl DecisionKind {
    fn of(text: &str) -> DecisionKind {
        if text.contains("sync failed") {
            DecisionKind::Failed
        } else if text.contains(" not started: ") {
            DecisionKind::Backoff
        } else if text.contains("plan ") {
            DecisionKind::Plan
        } else {
            DecisionKind::Worker
        }
    }

    fn class(self) -> &'static str {
        match self {
            DecisionKind::Worker => "d-worker",
            DecisionKind::Plan => "d-plan",
            DecisionKind::Backoff => "d-backoff",
            DecisionKind::Failed => "d-failed",
        }
    }
}

/// One pod's lane, ready to draw.
struct Lane<'a> {
    /// The pod's UID.
    uid: &'a str,
    /// `namespace/name` (the pod's UID if no runtime object of it was ever seen).
    name: String,
    /// The recorded lane.
    pod: &'a PodLane,
    /// Its container rows: the containers seen in the runtime and those the kubelet did not start.
    containers: Vec<String>,
    /// Its decisions without the leading `uid: `.
    decisions: Vec<(Millis, &'a str)>,
    /// When it first shows.
    first: Millis,
}

/// The lanes in order of first appearance, then by name (numbers in numeric order).
fn ordered_lanes(history: &History) -> Vec<Lane<'_>> {
    let mut lanes: Vec<Lane<'_>> = history
        .pods
        .iter()
        .map(|(uid, pod)| {
            let prefix = format!("{uid}: ");
            let decisions: Vec<(Millis, &str)> = pod
                .decisions
                .iter()
                .map(|(t, text)| (*t, text.strip_prefix(&prefix).unwrap_or(text)))
                .collect();
            let mut containers: Vec<String> = pod.containers.keys().cloned().collect();
            for (_, text) in &decisions {
                if let Some((name, _)) = text.split_once(" not started: ") {
                    if !containers.iter().any(|c| c == name) {
                        containers.push(name.to_string());
                    }
                }
            }
            containers.sort_by(|a, b| natural_cmp(a, b));
            let first = pod
                .sandboxes
                .iter()
                .chain(pod.containers.values().flatten())
                .map(|s| s.from)
                .chain(decisions.iter().map(|(t, _)| *t))
                .min()
                .unwrap_or(0);
            let name = if pod.name.is_empty() { uid.clone() } else { pod.name.clone() };
            Lane { uid, name, pod, containers, decisions, first }
        })
        .collect();
    lanes.sort_by(|a, b| a.first.cmp(&b.first).then_with(|| natural_cmp(&a.name, &b.name)));
    lanes
}

/// The lane a violation belongs on: the pod the run named, else the one pod its detail names (as
/// `pod UID`, or the pod's name at its start, as the expectations write it: `web/app: ...`).
fn lane_of(lanes: &[Lane<'_>], v: &ViolationMark) -> Option<usize> {
    if let Some(pod) = v.pod.as_deref() {
        return lanes.iter().position(|l| l.name == pod);
    }
    let named = |l: &Lane<'_>| {
        let short = l.name.rsplit('/').next().unwrap_or(&l.name);
        v.detail.contains(&format!("pod {} ", l.uid))
            || v.detail.starts_with(&format!("{short}/"))
            || v.detail.starts_with(&format!("{short}:"))
    };
    let mut matching = lanes.iter().enumerate().filter(|(_, l)| named(l)).map(|(i, _)| i);
    match (matching.next(), matching.next()) {
        (Some(i), None) => Some(i),
        _ => None,
    }
}

/// The number of instances after the first in a row of spans (restarts, or recreated sandboxes).
fn new_instances(spans: &[Span]) -> usize {
    let mut ids: Vec<&str> = spans.iter().map(|s| s.id.as_str()).collect();
    ids.dedup();
    ids.len().saturating_sub(1)
}

/// The exit code in a span's detail (`..., exit 143 Error`).
fn exit_code(detail: &str) -> Option<i64> {
    let rest = &detail[detail.find(", exit ")? + ", exit ".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().ok()
}

/// The CSS class of a span's state.
fn state_class(span: &Span) -> &'static str {
    match span.state.as_str() {
        "ready" => "s-ready",
        "running" => "s-running",
        "created" => "s-created",
        "notready" => "s-notready",
        "exited" => match exit_code(&span.detail) {
            Some(0) => "s-exited-ok",
            _ => "s-exited-err",
        },
        _ => "s-unknown",
    }
}

// ---- the page -------------------------------------------------------------------------------------

const STYLE: &str = r#"
:root{--label:200px;--ok:#2e9d57;--created:#b4b9bf;--exok:#e3a21a;--exerr:#d9534f;--notready:#3a3f47;
--unknown:#8e6bbf;--fault:#7b4ddb;--viol:#e00034;--ink:#1d2127;--muted:#67707b;--line:#e3e6ea}
*{box-sizing:border-box}
body{margin:0;padding:16px 20px 40px;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
h1{font-size:20px;margin:0 0 4px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h2{font-size:15px;margin:26px 0 8px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.description{margin:0 0 8px;color:#3b424b;max-width:110ch}
.verdict{font-size:13px;font-weight:700;padding:3px 10px;border-radius:12px;color:#fff;letter-spacing:.02em}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--viol)}
.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0 0 10px;padding:0}
.meta div{display:flex;gap:6px}.meta dt{color:var(--muted)}.meta dd{margin:0;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:4px 13px;margin:0 0 10px;color:#3b424b;font-size:12px}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend i{display:inline-block;width:18px;height:11px;border-radius:2px}
.legend i.tick{width:3px;height:12px;border-radius:0}
.chart{position:relative;border:1px solid var(--line);border-radius:6px;padding:0 14px 6px 0}
.top{position:sticky;top:0;z-index:3;background:#fff;border-bottom:1px solid #c9ced4}
.row-grid,.lane{display:grid;grid-template-columns:var(--label) 1fr}
.row-grid .label{padding:0 10px;color:var(--muted);font-size:12px;align-self:center}
.axis-row .label{font-size:11px}
svg.plot{display:block;width:100%;overflow:visible}
svg.plot text{pointer-events:none}
.axis line{stroke:#9aa2ab}.axis text{font-size:11px;fill:var(--muted)}
.overlay{position:absolute;top:0;bottom:0;left:var(--label);right:14px;pointer-events:none;z-index:2}
.overlay .gl{position:absolute;top:0;bottom:0;border-left:1px solid rgba(0,0,0,.06)}
.overlay .band{position:absolute;top:0;bottom:0;background:rgba(123,77,219,.09);
border-left:1px solid rgba(123,77,219,.55);border-right:1px solid rgba(123,77,219,.55)}
.overlay .band.instant{border-right:0;border-left:2px dashed rgba(123,77,219,.6);background:none}
.fault rect{fill:var(--fault);fill-opacity:.8}.fault text{font-size:10.5px;fill:#fff;font-weight:600}
.fault.instant text{fill:var(--fault)}
.lane{border-top:1px solid var(--line)}
.lane.has-violation{background:#fff1f3;box-shadow:inset 4px 0 0 var(--viol)}
.labels{padding:0 10px;font-size:12px;min-width:0}
.labels div{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.pod-name{font-weight:700;font-size:12.5px}
.pod-name a{color:inherit;text-decoration:none}
.pod-name .warn{color:var(--viol);font-weight:700;margin-left:6px}
.row-label{color:#3b424b;padding-left:10px}.row-label small{color:var(--muted);margin-left:5px}
.track{fill:#f4f5f7}.has-violation .track{fill:#fbe7ea}
.podline{stroke:#d6dade;stroke-width:1}
.span{stroke:#fff;stroke-width:.6}
.s-ready,.s-running{fill:var(--ok)}.s-created{fill:var(--created)}.s-exited-ok{fill:var(--exok)}
.s-exited-err{fill:var(--exerr)}.s-notready{fill:var(--notready)}.s-unknown{fill:var(--unknown)}
.span:hover,.decision:hover,.fault:hover rect,.backoff:hover{stroke:#000;stroke-width:1.2}
.restart{stroke:#111;stroke-width:2}
.inst{font-size:10px;fill:#fff}
.backoff{fill:url(#hatch);stroke:#b35900;stroke-width:.6}
.decision{fill:#8b939c}.d-plan{fill:#2f6fd6}.d-backoff{fill:#e07400}.d-failed{fill:#8c1d1d}
.violation line{stroke:var(--viol);stroke-width:2}
.violation circle{fill:var(--viol);stroke:#fff;stroke-width:1.5}
.violation text{font-size:10.5px;font-weight:700;fill:var(--viol);paint-order:stroke;stroke:#fff;
stroke-width:3px}
table{border-collapse:collapse;width:100%;max-width:1400px;font-size:12.5px}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
#violations td.rule{color:var(--viol);font-weight:700}
#events tr.warning td:nth-child(4){color:#b35c00;font-weight:700}
.none{color:var(--muted)}
footer{margin-top:24px;color:var(--muted);font-size:12px}
"#;

fn head(out: &mut String, history: &History) {
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>podsim: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&history.scenario)
    );
    // Shared SVG definitions: the hatching of backoff periods.
    out.push_str(
        "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>\
         <pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffe2bf\"/>\
         <rect width=\"3\" height=\"6\" fill=\"#f08c1a\"/></pattern></defs></svg>\n",
    );
}

fn summary(out: &mut String, history: &History, lanes: &[Lane<'_>]) {
    let failed = !history.violations.is_empty();
    let verdict = if failed {
        format!("FAIL · {}", plural(history.violations.len(), "violation"))
    } else {
        "PASS".to_string()
    };
    let restarts: usize =
        lanes.iter().flat_map(|l| l.pod.containers.values()).map(|s| new_instances(s)).sum();
    let decisions: usize = lanes.iter().map(|l| l.decisions.len()).sum();
    let _ = write!(
        out,
        "<header class=\"summary\">\n<h1><span>podsim · <span id=\"scenario\">{}</span></span>\
         <span id=\"verdict\" class=\"verdict {}\" data-violations=\"{}\">{}</span></h1>\n\
         <p class=\"description\">{}</p>\n<dl class=\"meta\">",
        escape(&history.scenario),
        if failed { "fail" } else { "pass" },
        history.violations.len(),
        escape(&verdict),
        escape(&history.description),
    );
    let items = [
        ("seed", history.seed.to_string(), "seed"),
        ("virtual time", fmt_duration(history.end), "duration"),
        ("pods", lanes.len().to_string(), "pods"),
        ("faults", history.faults.len().to_string(), "fault-count"),
        ("container restarts", restarts.to_string(), "restarts"),
        ("kubelet decisions", decisions.to_string(), "decisions"),
        ("events", history.events.len().to_string(), "event-count"),
    ];
    for (label, value, id) in items {
        let _ = write!(out, "<div><dt>{label}</dt><dd id=\"{id}\">{}</dd></div>", escape(&value));
    }
    out.push_str("</dl>\n</header>\n");
}

fn legend(out: &mut String) {
    out.push_str("<div class=\"legend\" id=\"legend\">");
    let items = [
        ("background:var(--ok)", "", "ready / running"),
        ("background:var(--created)", "", "created"),
        ("background:var(--exok)", "", "exited 0"),
        ("background:var(--exerr)", "", "exited ≠ 0"),
        ("background:var(--notready)", "", "sandbox not ready"),
        ("background:var(--unknown)", "", "unknown"),
        ("background:repeating-linear-gradient(45deg,#f08c1a 0 3px,#ffe2bf 3px 6px)", "", "back-off"),
        ("background:#111", "tick", "new instance"),
        ("background:#2f6fd6", "tick", "plan"),
        ("background:#e07400", "tick", "not started"),
        ("background:#8c1d1d", "tick", "sync failed"),
        ("background:#8b939c", "tick", "pod worker"),
        ("background:rgba(123,77,219,.35);border:1px solid var(--fault)", "", "fault"),
        ("background:var(--viol);border-radius:50%;width:11px", "", "violation"),
    ];
    for (style, class, text) in items {
        let _ = write!(out, "<span><i class=\"{class}\" style=\"{style}\"></i>{text}</span>");
    }
    out.push_str("</div>\n");
}

/// A tick step giving about ten ticks over `end`.
fn tick_step(end: Millis) -> Millis {
    const STEPS: [Millis; 19] = [
        10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
        600_000, 900_000, 1_800_000, 3_600_000,
    ];
    STEPS.iter().copied().find(|s| end / s <= 12).unwrap_or(3_600_000 * (end / 3_600_000 / 10).max(1))
}

/// A tick's label: `0`, `500ms`, `30s`, `1m`, `1m30s`, `2h`.
fn tick_label(t: Millis, step: Millis) -> String {
    if t == 0 {
        "0".into()
    } else if step < 1000 {
        format!("{:.1}s", t as f64 / 1000.0)
    } else {
        fmt_duration(t)
    }
}

fn axis(out: &mut String, scale: &Scale) {
    let step = tick_step(scale.end);
    out.push_str(
        "<div class=\"row-grid axis-row\"><div class=\"label\">virtual time</div>\
         <svg class=\"plot axis\" id=\"axis\" height=\"24\">",
    );
    let mut t = 0;
    while t <= scale.end {
        let p = scale.percent(t);
        let anchor = if p < 2.0 {
            "start"
        } else if p > 98.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            out,
            "<line x1=\"{x}\" x2=\"{x}\" y1=\"17\" y2=\"24\"/><text class=\"tick\" x=\"{x}\" y=\"13\" \
             text-anchor=\"{anchor}\">{}</text>",
            tick_label(t, step),
            x = pct(p),
        );
        t += step;
    }
    out.push_str("<line x1=\"0\" x2=\"100%\" y1=\"23.5\" y2=\"23.5\"/></svg></div>\n");
}

/// A fault's parameters from its JSON: `pod=default/web duration=14s`.
fn fault_params(fault: &FaultSpan) -> String {
    match serde_json::from_str::<serde_json::Value>(&fault.text) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .filter(|(k, v)| k.as_str() != "kind" && !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        _ => fault.text.clone(),
    }
}

fn fault_title(fault: &FaultSpan) -> String {
    let when = if fault.to > fault.from {
        format!("{} – {} ({})", fmt_time(fault.from), fmt_time(fault.to), fmt_duration(fault.to - fault.from))
    } else {
        format!("at {} (instant)", fmt_time(fault.from))
    };
    format!("fault {}\n{}\n{when}", fault.kind, fault_params(fault))
}

fn fault_row(out: &mut String, scale: &Scale, faults: &[FaultSpan]) {
    // Greedy tracks: a fault (with its label) goes into the first track it does not overlap.
    let mut order: Vec<&FaultSpan> = faults.iter().collect();
    order.sort_by_key(|f| (f.from, f.to));
    let mut track_ends: Vec<f64> = Vec::new();
    let mut placed: Vec<(&FaultSpan, usize)> = Vec::new();
    for f in order {
        let from = scale.px(f.from);
        let until = scale.px(f.to).max(from + 5.0 + f.kind.len() as f64 * CHAR_PX + 6.0);
        let track = match track_ends.iter().position(|&end| end <= from) {
            Some(i) => i,
            None if track_ends.len() < MAX_FAULT_TRACKS => {
                track_ends.push(0.0);
                track_ends.len() - 1
            }
            None => MAX_FAULT_TRACKS - 1,
        };
        track_ends[track] = track_ends[track].max(until);
        placed.push((f, track));
    }
    let height = FAULT_TRACK * (track_ends.len().max(1) as u32) + 2;
    let _ = write!(
        out,
        "<div class=\"row-grid fault-row\"><div class=\"label\">faults</div>\
         <svg class=\"plot\" id=\"faults\" height=\"{height}\">"
    );
    if faults.is_empty() {
        let _ = write!(
            out,
            "<text x=\"0\" y=\"13\" class=\"none\" font-size=\"11\" fill=\"#67707b\">none</text>"
        );
    }
    for (f, track) in placed {
        let y = 1 + FAULT_TRACK * track as u32;
        let instant = f.to <= f.from;
        let _ = write!(
            out,
            "<g class=\"fault{}\" data-kind=\"{}\"><title>{}</title><rect x=\"{}\" y=\"{y}\" width=\"{}\" \
             height=\"{}\" rx=\"2\"/>",
            if instant { " instant" } else { "" },
            escape(&f.kind),
            escape(&fault_title(f)),
            scale.x(f.from),
            scale.width(f.from, f.to, 0.25),
            FAULT_TRACK - 3,
        );
        // The label inside a wide band, else just after the mark.
        let inside = !instant && scale.px(f.to) - scale.px(f.from) >= f.kind.len() as f64 * CHAR_PX + 8.0;
        let label_x =
            if inside { scale.px(f.from) + 4.0 } else { scale.px(f.to).max(scale.px(f.from)) + 5.0 };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\"{}>{}</text></g>",
            pct(label_x * 100.0 / NOMINAL_PLOT_PX),
            y + FAULT_TRACK - 7,
            if inside { "" } else { " style=\"fill:#5b34b0\"" },
            escape(&f.kind)
        );
    }
    out.push_str("</svg></div>\n");
}

fn violation_title(v: &ViolationMark) -> String {
    let pod = v.pod.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
    format!("violation {} at {}{pod}\n{}", v.rule, fmt_time(v.t), v.detail)
}

fn violation_mark(out: &mut String, scale: &Scale, v: &ViolationMark, height: u32) {
    let x = scale.x(v.t);
    let near_end = scale.px(v.t) + v.rule.len() as f64 * CHAR_PX + 12.0 > NOMINAL_PLOT_PX;
    let _ = write!(
        out,
        "<g class=\"violation\" data-rule=\"{rule}\"><title>{}</title><line x1=\"{x}\" x2=\"{x}\" y1=\"0\" \
         y2=\"{height}\"/><circle cx=\"{x}\" cy=\"8\" r=\"5.5\"/><text x=\"{x}\" y=\"12\" dx=\"{dx}\" \
         text-anchor=\"{anchor}\">{rule}</text></g>",
        escape(&violation_title(v)),
        rule = escape(&v.rule),
        dx = if near_end { -9 } else { 9 },
        anchor = if near_end { "end" } else { "start" },
    );
}

fn global_row(out: &mut String, scale: &Scale, violations: &[&ViolationMark]) {
    let _ = write!(
        out,
        "<div class=\"row-grid global-row has-violation\" id=\"node-violations\"><div class=\"label\">node \
         violations</div><svg class=\"plot\" height=\"18\">"
    );
    for v in violations {
        violation_mark(out, scale, v, 18);
    }
    out.push_str("</svg></div>\n");
}

/// The grid lines and the fault bands laid over all lanes.
fn overlay(out: &mut String, scale: &Scale, faults: &[FaultSpan]) {
    out.push_str("<div class=\"overlay\" aria-hidden=\"true\">");
    let step = tick_step(scale.end);
    let mut t = step;
    while t < scale.end {
        let _ = write!(out, "<div class=\"gl\" style=\"left:{}\"></div>", scale.x(t));
        t += step;
    }
    for f in faults {
        if f.to > f.from {
            let _ = write!(
                out,
                "<div class=\"band\" style=\"left:{};width:{}\"></div>",
                scale.x(f.from),
                scale.width(f.from, f.to, 0.0)
            );
        } else {
            let _ = write!(out, "<div class=\"band instant\" style=\"left:{}\"></div>", scale.x(f.from));
        }
    }
    out.push_str("</div>\n");
}

fn span_title(row: &str, span: &Span, end: Millis) -> String {
    let to = span.to.unwrap_or(end);
    let until = match span.to {
        Some(to) => fmt_time(to),
        None => format!("{} (end of run)", fmt_time(end)),
    };
    format!(
        "{row}: {}\n{}\n{} – {until} ({})",
        span.state,
        span.detail,
        fmt_time(span.from),
        fmt_duration(to.saturating_sub(span.from))
    )
}

/// A row of spans: a bar per span, a mark where a new instance begins, the instance's id on wide bars.
fn span_row(out: &mut String, scale: &Scale, row: &str, spans: &[Span], y: u32) {
    let mut order: Vec<&Span> = spans.iter().collect();
    order.sort_by_key(|s| s.from);
    let bar_y = y + (ROW - BAR) / 2;
    let mut previous: Option<&str> = None;
    let mut marks = String::new();
    for span in &order {
        let to = span.to.unwrap_or(scale.end);
        let _ = write!(
            out,
            "<rect class=\"span {}\" data-id=\"{}\" data-state=\"{}\" x=\"{}\" y=\"{bar_y}\" width=\"{}\" \
             height=\"{BAR}\"><title>{}</title></rect>",
            state_class(span),
            escape(&span.id),
            escape(&span.state),
            scale.x(span.from),
            scale.width(span.from, to, 0.08),
            escape(&span_title(row, span, scale.end)),
        );
        if previous.is_some_and(|p| p != span.id) {
            let x = scale.x(span.from);
            let _ = write!(
                marks,
                "<line class=\"restart\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/>",
                y,
                y + ROW
            );
        }
        // The instance's id on a wide enough bar.
        let label = span.detail.split(',').next().unwrap_or(&span.id);
        let label = label.strip_prefix("sandbox ").unwrap_or(label);
        let room = scale.px(to) - scale.px(span.from);
        if matches!(span.state.as_str(), "running" | "ready") && room >= label.len() as f64 * CHAR_PX + 10.0 {
            let _ = write!(
                marks,
                "<text class=\"inst\" x=\"{}\" y=\"{}\">{}</text>",
                pct((scale.px(span.from) + 4.0) * 100.0 / NOMINAL_PLOT_PX),
                bar_y + BAR - 4,
                escape(label)
            );
        }
        previous = Some(span.id.as_str());
    }
    out.push_str(&marks);
}

/// The back-off periods of a container: from a "not started" decision about it until its next instance
/// starts (or the run ends), with the decisions in it.
fn backoffs<'a>(
    container: &str,
    decisions: &[(Millis, &'a str)],
    spans: &[Span],
    end: Millis,
) -> Vec<(Millis, Millis, Vec<&'a str>)> {
    let mut periods: Vec<(Millis, Millis, Vec<&'a str>)> = Vec::new();
    for &(t, text) in decisions {
        let Some((name, reason)) = text.split_once(" not started: ") else { continue };
        if name != container {
            continue;
        }
        if let Some(last) = periods.last_mut() {
            if t >= last.0 && t <= last.1 {
                last.2.push(reason);
                continue;
            }
        }
        let until = spans
            .iter()
            .filter(|s| s.from > t && matches!(s.state.as_str(), "created" | "running"))
            .map(|s| s.from)
            .min()
            .unwrap_or(end);
        periods.push((t, until.max(t), vec![reason]));
    }
    periods
}

fn decision_marks(out: &mut String, scale: &Scale, decisions: &[(Millis, &str)]) {
    let slot_of = |t: Millis| (t.min(scale.end) as u128 * DECISION_SLOTS as u128 / scale.end as u128) as u64;
    let mut i = 0;
    while i < decisions.len() {
        let slot = slot_of(decisions[i].0);
        let mut j = i;
        while j < decisions.len() && slot_of(decisions[j].0) == slot {
            j += 1;
        }
        let group = &decisions[i..j];
        let kind = group.iter().map(|(_, text)| DecisionKind::of(text)).max().unwrap_or(DecisionKind::Worker);
        let mut title = String::new();
        if group.len() > 1 {
            let _ = writeln!(title, "{} kubelet decisions", group.len());
        } else {
            title.push_str("kubelet decision\n");
        }
        for (t, text) in group.iter().take(MAX_LINES_PER_MARK) {
            let _ = writeln!(title, "{}  {text}", fmt_time(*t));
        }
        if group.len() > MAX_LINES_PER_MARK {
            let _ = writeln!(title, "… and {} more", group.len() - MAX_LINES_PER_MARK);
        }
        let start = group[0].0;
        let height = if kind == DecisionKind::Worker { 8 } else { 12 };
        let _ = write!(
            out,
            "<rect class=\"decision {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{height}\"><title>{}</title></rect>",
            kind.class(),
            scale.x(start),
            POD_ROW - height - 1,
            pct(100.0 / DECISION_SLOTS as f64 * 0.9),
            escape(title.trim_end()),
        );
        i = j;
    }
}

fn pod_lane(out: &mut String, scale: &Scale, index: usize, lane: &Lane<'_>, violations: &[&ViolationMark]) {
    let rows = 1 + lane.containers.len() as u32;
    let height = POD_ROW + ROW * rows;
    let no_spans: Vec<Span> = Vec::new();
    let restarts: usize = lane.pod.containers.values().map(|s| new_instances(s)).sum();

    // The labels.
    let _ = write!(
        out,
        "<section class=\"lane{}\" id=\"lane-{index}\" data-pod=\"{}\">\n<div class=\"labels\">\
         <div class=\"pod-name\" style=\"height:{POD_ROW}px\" title=\"{}\"><a href=\"#lane-{index}\">{}</a>",
        if violations.is_empty() { "" } else { " has-violation" },
        escape(&lane.name),
        escape(&lane.name),
        escape(&lane.name),
    );
    if !violations.is_empty() {
        let _ = write!(out, "<span class=\"warn\">⚠ {}</span>", violations.len());
    }
    let sandboxes = new_instances(&lane.pod.sandboxes) + usize::from(!lane.pod.sandboxes.is_empty());
    let _ = write!(
        out,
        "</div><div class=\"row-label\" style=\"height:{ROW}px\">sandbox{}</div>",
        if sandboxes > 1 { format!("<small>{sandboxes} sandboxes</small>") } else { String::new() }
    );
    for name in &lane.containers {
        let spans = lane.pod.containers.get(name).unwrap_or(&no_spans);
        let n = new_instances(spans);
        let _ = write!(
            out,
            "<div class=\"row-label\" style=\"height:{ROW}px\" title=\"{}\">{}{}</div>",
            escape(name),
            escape(name),
            if n > 0 { format!("<small>{}</small>", plural(n, "restart")) } else { String::new() }
        );
    }
    let _ = write!(
        out,
        "</div>\n<svg class=\"plot\" height=\"{height}\" data-restarts=\"{restarts}\">\
         <line class=\"podline\" x1=\"0\" x2=\"100%\" y1=\"{y}\" y2=\"{y}\"/>",
        y = POD_ROW - 1
    );

    // The kubelet's decisions on the pod's own row.
    out.push_str("<g class=\"decisions\">");
    decision_marks(out, scale, &lane.decisions);
    out.push_str("</g>");

    // The sandbox row.
    let mut y = POD_ROW;
    let _ = write!(
        out,
        "<g class=\"row sandbox\"><rect class=\"track\" x=\"0\" y=\"{}\" width=\"100%\" height=\"{BAR}\"/>",
        y + (ROW - BAR) / 2
    );
    span_row(out, scale, "sandbox", &lane.pod.sandboxes, y);
    out.push_str("</g>");

    // A row per container, with its back-off periods over it.
    for name in &lane.containers {
        y += ROW;
        let spans = lane.pod.containers.get(name).unwrap_or(&no_spans);
        let _ = write!(
            out,
            "<g class=\"row container\" data-container=\"{}\"><rect class=\"track\" x=\"0\" y=\"{}\" \
             width=\"100%\" height=\"{BAR}\"/>",
            escape(name),
            y + (ROW - BAR) / 2
        );
        span_row(out, scale, name, spans, y);
        for (from, to, reasons) in backoffs(name, &lane.decisions, spans, scale.end) {
            let title = format!(
                "{name} not started: {}\n{} – {} ({}), {}",
                reasons[0],
                fmt_time(from),
                fmt_time(to),
                fmt_duration(to - from),
                plural(reasons.len(), "decision")
            );
            let _ = write!(
                out,
                "<rect class=\"backoff\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                scale.x(from),
                y + ROW / 2,
                scale.width(from, to, 0.1),
                BAR / 2 - 1,
                escape(&title)
            );
        }
        out.push_str("</g>");
    }

    for v in violations {
        violation_mark(out, scale, v, height);
    }
    out.push_str("</svg>\n</section>\n");
}

fn violation_table(
    out: &mut String,
    violations: &[ViolationMark],
    placed: &[Option<usize>],
    lanes: &[Lane<'_>],
) {
    let _ = writeln!(out, "<h2>Violations ({})</h2>", violations.len());
    if violations.is_empty() {
        out.push_str(
            "<p class=\"none\" id=\"violations\">None: every safety rule held, and every expectation.</p>\n",
        );
        return;
    }
    out.push_str(
        "<table id=\"violations\"><thead><tr><th>time</th><th>rule</th><th>pod</th><th>detail</th></tr>\
         </thead><tbody>\n",
    );
    for (v, lane) in violations.iter().zip(placed) {
        let pod = match (lane, v.pod.as_deref()) {
            (Some(i), _) => format!("<a href=\"#lane-{i}\">{}</a>", escape(&lanes[*i].name)),
            (None, Some(p)) => escape(p),
            (None, None) => "—".into(),
        };
        let _ = writeln!(
            out,
            "<tr class=\"violation-row\" data-rule=\"{rule}\"><td class=\"mono\">{}</td><td class=\"rule\">{rule}</td>\
             <td>{pod}</td><td>{}</td></tr>",
            fmt_time(v.t),
            escape(&v.detail),
            rule = escape(&v.rule),
        );
    }
    out.push_str("</tbody></table>\n");
}

fn fault_table(out: &mut String, faults: &[FaultSpan]) {
    let _ = writeln!(out, "<h2>Faults ({})</h2>", faults.len());
    if faults.is_empty() {
        out.push_str("<p class=\"none\" id=\"fault-list\">None.</p>\n");
        return;
    }
    out.push_str(
        "<table id=\"fault-list\"><thead><tr><th>from</th><th>to</th><th>kind</th><th>parameters</th></tr>\
         </thead><tbody>\n",
    );
    for f in faults {
        let to = if f.to > f.from { fmt_time(f.to) } else { "instant".into() };
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{to}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
            fmt_time(f.from),
            escape(&f.kind),
            escape(&fault_params(f)),
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The Events the API server holds: when last and first seen, the pod (linked to its lane), type,
/// reason, container, count and message, in order of creation.
fn event_table(out: &mut String, events: &[EventRecord], lanes: &[Lane<'_>]) {
    let _ = writeln!(out, "<h2>Events ({})</h2>", events.len());
    if events.is_empty() {
        out.push_str("<p class=\"none\" id=\"events\">None.</p>\n");
        return;
    }
    out.push_str(
        "<table id=\"events\"><thead><tr><th>last</th><th>first</th><th>pod</th><th>type</th>\
         <th>reason</th><th>container</th><th>count</th><th>message</th></tr></thead><tbody>\n",
    );
    for e in events.iter().take(MAX_EVENT_ROWS) {
        let name = format!("{}/{}", e.namespace, e.pod_name);
        let pod = match lanes.iter().position(|l| l.uid == e.pod_uid) {
            Some(i) => format!("<a href=\"#lane-{i}\">{}</a>", escape(&name)),
            None => escape(&name),
        };
        let _ = writeln!(
            out,
            "<tr class=\"event-row {class}\" data-type=\"{kind}\" data-reason=\"{reason}\"><td class=\"mono\">{}</td>\
             <td class=\"mono\">{}</td><td>{pod}</td><td>{kind}</td><td>{reason}</td><td>{}</td>\
             <td class=\"mono\">{}</td><td>{}</td></tr>",
            fmt_time(e.last),
            fmt_time(e.first),
            escape(e.container.as_deref().unwrap_or("—")),
            e.count,
            escape(&e.message),
            class = if e.event_type == EventType::Warning { "warning" } else { "normal" },
            kind = e.event_type.as_str(),
            reason = escape(&e.reason),
        );
    }
    out.push_str("</tbody></table>\n");
    if events.len() > MAX_EVENT_ROWS {
        let _ = writeln!(out, "<p class=\"none\">… and {} more.</p>", events.len() - MAX_EVENT_ROWS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn formats_times_and_ticks() {
        assert_eq!(fmt_time(60_002), "1m00.002s");
        assert_eq!(fmt_time(4), "0.004s");
        assert_eq!(fmt_duration(90_000), "1m30s");
        assert_eq!(tick_step(600_000), 60_000);
        assert_eq!(tick_step(180_000), 15_000);
        assert_eq!(tick_label(90_000, 30_000), "1m30s");
        assert_eq!(pct(12.5), "12.5%");
        assert_eq!(pct(100.0), "100%");
    }

    #[test]
    fn orders_numbers_numerically() {
        let mut names = vec!["pod-10", "pod-2", "pod-1", "a"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["a", "pod-1", "pod-2", "pod-10"]);
    }

    #[test]
    fn reads_exit_codes() {
        assert_eq!(exit_code("container-2 restart 0, exit 143 Error"), Some(143));
        assert_eq!(exit_code("container-2 restart 0"), None);
    }

    #[test]
    fn events_are_listed_with_type_reason_count_and_message() {
        let mut history = History::new("x", "d", 3);
        history.events.push(EventRecord {
            name: "web.1".into(),
            namespace: "default".into(),
            pod_name: "web".into(),
            pod_uid: "u1".into(),
            container: Some("app".into()),
            field_path: Some("spec.containers{app}".into()),
            event_type: EventType::Warning,
            reason: "BackOff".into(),
            message: "Back-off restarting failed container app in pod web_default(u1)".into(),
            count: 4,
            first: 11_000,
            last: 75_000,
            source_component: "kubelet".into(),
            source_host: "node-1".into(),
            written: 75_000,
        });
        let page = render(&history);
        assert!(page.contains("<h2>Events (1)</h2>"));
        assert!(page.contains("data-type=\"Warning\" data-reason=\"BackOff\""));
        assert!(page.contains("<td class=\"mono\">4</td><td>Back-off restarting failed container app"));
        assert!(page.contains("<dd id=\"event-count\">1</dd>"));
    }

    #[test]
    fn an_empty_history_renders_a_page() {
        let page = render(&History::new("x<y", "d", 3));
        assert!(page.starts_with("<!doctype html>"));
        assert!(page.contains("podsim: x&lt;y"));
        assert!(page.contains("PASS"));
    }
}
