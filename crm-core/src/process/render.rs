//! Drawing definitions: Mermaid flowcharts and Graphviz DOT, as deterministic text (steps and
//! edges in definition order, node names by position).

use super::definition::{ProcessDefinition, Step, StepKind};
use std::fmt::Write;

/// Escapes text for a quoted Mermaid label (entity codes for `#`, `"`, `<`, `>`).
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a quoted DOT string.
fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn step_label(step: &Step) -> (String, String) {
    let mut detail = step.performer.to_string();
    if let Some(sla) = step.sla {
        let _ = write!(detail, ", SLA {sla}");
    }
    (step.name.clone(), detail)
}

fn edge_label(name: &str, guard: Option<&super::guard::Guard>, warm: bool) -> String {
    let mut label = name.to_string();
    if let Some(g) = guard {
        let _ = write!(label, " [{g}]");
    }
    if warm {
        label.push_str(" (warm transfer)");
    }
    label
}

impl ProcessDefinition {
    /// The definition as a Mermaid flowchart. Start steps are stadiums, tasks rectangles, wait
    /// steps hexagons, end steps circles; warm transfers are thick arrows. Nodes are named
    /// `s0`, `s1`, ... by position, so the text is stable.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::new();
        out.push_str("flowchart TD\n");
        for (i, step) in self.steps().enumerate() {
            let (name, detail) = step_label(step);
            let label = format!("{}<br/>{}", mermaid_text(&name), mermaid_text(&detail));
            let (open, close) = match step.kind {
                StepKind::Start => ("([\"", "\"])"),
                StepKind::Task => ("[\"", "\"]"),
                StepKind::Wait => ("{{\"", "\"}}"),
                StepKind::End => ("((\"", "\"))"),
            };
            let _ = writeln!(out, "    s{i}{open}{label}{close}");
        }
        for e in self.edges() {
            let (from, to) = (e.from_index, e.to_index);
            let arrow = if e.outcome.warm_transfer {
                "==>"
            } else {
                "-->"
            };
            let label = edge_label(
                &e.outcome.name,
                e.outcome.guard.as_ref(),
                e.outcome.warm_transfer,
            );
            let _ = writeln!(
                out,
                "    s{from} {arrow}|\"{}\"| s{to}",
                mermaid_text(&label)
            );
        }
        out
    }

    /// The definition as a Graphviz DOT digraph, nodes named `s0`, `s1`, ... by position.
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", dot_text(self.id().as_str()));
        let _ = writeln!(
            out,
            "    label=\"{} (v{})\";",
            dot_text(self.name()),
            self.version()
        );
        out.push_str("    rankdir=TB;\n");
        for (i, step) in self.steps().enumerate() {
            let (name, detail) = step_label(step);
            let shape = match step.kind {
                StepKind::Start => "oval",
                StepKind::Task => "box",
                StepKind::Wait => "hexagon",
                StepKind::End => "doublecircle",
            };
            let _ = writeln!(
                out,
                "    s{i} [label=\"{}\\n{}\", shape={shape}];",
                dot_text(&name),
                dot_text(&detail)
            );
        }
        for e in self.edges() {
            let (from, to) = (e.from_index, e.to_index);
            let label = edge_label(
                &e.outcome.name,
                e.outcome.guard.as_ref(),
                e.outcome.warm_transfer,
            );
            let style = if e.outcome.warm_transfer {
                ", style=bold"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    s{from} -> s{to} [label=\"{}\"{style}];",
                dot_text(&label)
            );
        }
        out.push_str("}\n");
        out
    }
}
