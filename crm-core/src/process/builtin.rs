//! The built-in process definitions. Each is valid, drawn in `docs/processes.md` (generated
//! from this code), and replaceable: a host registers its own definition under the same id
//! in its [`ProcessCatalog`].
//!
//! The two line lifecycles are generated from [`crate::lifecycle::TRANSITIONS`], the table the
//! agreement engine validates line actions against: one source, not two copies.

use super::catalog::ProcessCatalog;
use super::definition::{DefinitionSpec, EdgeSpec, Performer, ProcessDefinition, Step, StepKind};
use super::guard::{Comparison, Guard};
use crate::calendar::BusinessDuration;
use crate::error::Result;
use crate::ids::DefinitionId;
use crate::lifecycle::{LineKind, LineStatus, TRANSITIONS};

/// Id of the service line lifecycle.
pub const SERVICE_LINE_LIFECYCLE: &str = "service_line_lifecycle";
/// Id of the physical product lifecycle.
pub const PHYSICAL_PRODUCT_LIFECYCLE: &str = "physical_product_lifecycle";
/// Id of the field visit (install, remove, replace a physical product).
pub const FIELD_VISIT: &str = "field_visit";
/// Id of complaint handling.
pub const COMPLAINT: &str = "complaint";
/// Id of collections.
pub const COLLECTIONS: &str = "collections";
/// Id of lead to order.
pub const LEAD_TO_ORDER: &str = "lead_to_order";

fn hours(h: i64) -> Result<BusinessDuration> {
    BusinessDuration::from_hours(h)
}

fn title(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    for (i, c) in snake.chars().enumerate() {
        match (i, c) {
            (0, c) => out.extend(c.to_uppercase()),
            (_, '_') => out.push(' '),
            (_, c) => out.push(c),
        }
    }
    out
}

/// Who acts on a line in each lifecycle status, what is done there, and its step SLA.
fn lifecycle_step(status: LineStatus) -> Result<Step> {
    use LineStatus as S;
    let (performer, kind, action, sla) = match status {
        S::Created => (
            Performer::queue("order_management"),
            StepKind::Task,
            "check the order and request activation",
            None,
        ),
        S::PendingActivation => (
            Performer::handler("provisioning"),
            StepKind::Wait,
            "wait for the delivering system to activate the service",
            Some(hours(8)?),
        ),
        S::Active => (
            Performer::queue("customer_care"),
            StepKind::Task,
            "serve the customer; suspend, renew or terminate on request",
            None,
        ),
        S::Suspended => (
            Performer::queue("customer_care"),
            StepKind::Task,
            "keep the service suspended until resumed",
            None,
        ),
        S::Restricted => (
            Performer::handler("collections"),
            StepKind::Task,
            "keep the service restricted until the debt is settled",
            None,
        ),
        S::PendingTermination => (
            Performer::handler("provisioning"),
            StepKind::Wait,
            "wait for the delivering system to end the service",
            Some(hours(8)?),
        ),
        S::Terminated => (
            Performer::queue("customer_care"),
            StepKind::Task,
            "the service has ended",
            None,
        ),
        S::Ordered => (
            Performer::queue("order_management"),
            StepKind::Task,
            "book the installation",
            None,
        ),
        S::Installed => (
            Performer::partner("field_technician"),
            StepKind::Task,
            "the device is installed; replace or remove it by a field visit",
            None,
        ),
        S::Removed => (
            Performer::partner("field_technician"),
            StepKind::Task,
            "the device has been removed",
            None,
        ),
    };
    let mut step = Step::new(
        status.as_str(),
        title(status.as_str()),
        action,
        performer,
        kind,
    );
    step.sla = sla;
    Ok(step)
}

/// The lifecycle of a line of `kind`, generated from [`TRANSITIONS`]: one step per status
/// (the initial status is the start, final statuses are ends), one edge per transition
/// (the action is the outcome).
pub fn line_lifecycle(kind: LineKind) -> Result<ProcessDefinition> {
    let (id, name, kinds): (&str, &str, &[&str]) = match kind {
        LineKind::Service => (
            SERVICE_LINE_LIFECYCLE,
            "Service line lifecycle",
            &[
                "service_activation",
                "service_suspension",
                "service_resumption",
                "service_termination",
                "service_renewal",
            ],
        ),
        LineKind::PhysicalProduct => (
            PHYSICAL_PRODUCT_LIFECYCLE,
            "Physical product lifecycle",
            &["physical_product_order"],
        ),
    };
    let initial = LineStatus::initial(kind);
    let mut statuses = vec![initial];
    for t in TRANSITIONS.iter().filter(|t| t.kind == kind) {
        for s in [t.from, t.to] {
            if !statuses.contains(&s) {
                statuses.push(s);
            }
        }
    }
    let mut spec = DefinitionSpec::new(DefinitionId::new(id)?, name, 1);
    spec.interaction_kinds = kinds.iter().map(|k| k.to_string()).collect();
    for s in statuses {
        let mut step = lifecycle_step(s)?;
        if s == initial {
            step.kind = StepKind::Start;
        } else if s.is_final() {
            step.kind = StepKind::End;
        }
        spec.steps.push(step);
    }
    for t in TRANSITIONS.iter().filter(|t| t.kind == kind) {
        spec.edges.push(EdgeSpec::new(
            t.from.as_str(),
            t.action.as_str(),
            t.to.as_str(),
        ));
    }
    spec.build()
}

/// Install, remove or replace a physical product by a field visit of a field technician.
pub fn field_visit() -> Result<ProcessDefinition> {
    let dispatch = Performer::queue("dispatch");
    DefinitionSpec::new(DefinitionId::new(FIELD_VISIT)?, "Field visit", 1)
        .serves("product_installation")
        .serves("product_removal")
        .serves("product_replacement")
        .with_sla(hours(24)?)
        .step(
            Step::new(
                "requested",
                "Requested",
                "check the order and the entitlement; book a visit slot with the customer",
                dispatch.clone(),
                StepKind::Start,
            )
            .with_sla(hours(4)?),
        )
        .step(
            Step::new(
                "visit",
                "Field visit",
                "install, remove or replace the device at the customer's site",
                Performer::partner("field_technician"),
                StepKind::Task,
            )
            .with_sla(hours(16)?),
        )
        .step(Step::new(
            "reschedule",
            "Reschedule",
            "agree a new slot with the customer",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(Step::new(
            "update_asset",
            "Update asset",
            "record the installed, removed or replaced asset on the agreement line",
            Performer::handler("asset_registry"),
            StepKind::Task,
        ))
        .step(Step::new(
            "done",
            "Done",
            "the line's asset is current",
            Performer::handler("asset_registry"),
            StepKind::End,
        ))
        .step(Step::new(
            "cancelled",
            "Cancelled",
            "the visit was cancelled",
            dispatch,
            StepKind::End,
        ))
        .edge(EdgeSpec::new("requested", "booked", "visit"))
        .edge(EdgeSpec::new("requested", "cancelled", "cancelled"))
        .edge(EdgeSpec::new("visit", "done", "update_asset"))
        .edge(EdgeSpec::new("visit", "no_access", "reschedule"))
        .edge(EdgeSpec::new("reschedule", "booked", "visit"))
        .edge(EdgeSpec::new("reschedule", "cancelled", "cancelled"))
        .edge(EdgeSpec::new("update_asset", "recorded", "done"))
        .build()
}

/// Complaint handling: the first line resolves in one touch where it can, or hands the case
/// to the back office by warm transfer; a compensation decision, a callback commitment, and
/// closing with the customer's feedback.
pub fn complaint() -> Result<ProcessDefinition> {
    let first_line = Performer::queue("first_line");
    let back_office = Performer::queue("back_office");
    DefinitionSpec::new(DefinitionId::new(COMPLAINT)?, "Complaint handling", 1)
        .serves("complaint")
        .with_sla(hours(8)?)
        .step(Step::new(
            "received",
            "Received",
            "record the complaint and attach it to the customer",
            Performer::handler("intake"),
            StepKind::Start,
        ))
        .step(
            Step::new(
                "first_line",
                "First line",
                "resolve in one touch where possible",
                first_line.clone(),
                StepKind::Task,
            )
            .with_sla(hours(1)?),
        )
        .step(Step::new(
            "waiting_for_customer",
            "Waiting for customer",
            "wait for information the customer was asked for",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(
            Step::new(
                "back_office",
                "Back office",
                "investigate and fix the cause",
                back_office.clone(),
                StepKind::Task,
            )
            .with_sla(hours(4)?),
        )
        .step(Step::new(
            "compensation_decision",
            "Compensation decision",
            "apply the compensation policy to the case",
            Performer::handler("compensation_policy"),
            StepKind::Task,
        ))
        .step(
            Step::new(
                "callback",
                "Callback",
                "call the customer back as committed",
                back_office,
                StepKind::Task,
            )
            .with_sla(hours(2)?),
        )
        .step(Step::new(
            "feedback",
            "Feedback",
            "ask the customer for feedback",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(Step::new(
            "closed",
            "Closed",
            "the complaint is closed",
            first_line,
            StepKind::End,
        ))
        .edge(EdgeSpec::new("received", "accepted", "first_line"))
        .edge(
            EdgeSpec::new("first_line", "resolved", "feedback")
                .with_guard(Guard::is_true("resolved_first_line")),
        )
        .edge(EdgeSpec::new("first_line", "transfer", "back_office").warm_transfer())
        .edge(EdgeSpec::new(
            "first_line",
            "need_information",
            "waiting_for_customer",
        ))
        .edge(EdgeSpec::new(
            "waiting_for_customer",
            "information_given",
            "first_line",
        ))
        .edge(EdgeSpec::new(
            "back_office",
            "resolved",
            "compensation_decision",
        ))
        .edge(EdgeSpec::new(
            "compensation_decision",
            "decided",
            "callback",
        ))
        .edge(EdgeSpec::new("callback", "called_back", "feedback"))
        .edge(EdgeSpec::new("feedback", "feedback_given", "closed"))
        .edge(EdgeSpec::new("feedback", "no_response", "closed"))
        .build()
}

/// Collections: reminder, notice, restriction, handover to an agency; settled the moment the
/// debt is paid, from any step.
pub fn collections() -> Result<ProcessDefinition> {
    let agency = Performer::partner("debt_collection_agency");
    DefinitionSpec::new(DefinitionId::new(COLLECTIONS)?, "Collections", 1)
        .serves("overdue_payment")
        .step(Step::new(
            "overdue",
            "Overdue",
            "a charge is overdue: check approved exceptions and open the case",
            Performer::handler("collections"),
            StepKind::Start,
        ))
        .step(Step::new(
            "reminder",
            "Reminder",
            "reminder sent; wait for payment",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(Step::new(
            "notice",
            "Notice",
            "formal notice sent; wait for payment",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(Step::new(
            "restriction",
            "Restriction",
            "service restricted; wait for payment",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(Step::new(
            "handover",
            "Handover",
            "debt handed over to the collection agency",
            agency,
            StepKind::Wait,
        ))
        .step(Step::new(
            "settled",
            "Settled",
            "debt settled: lift restrictions, stop collections",
            Performer::handler("collections"),
            StepKind::End,
        ))
        .step(Step::new(
            "written_off",
            "Written off",
            "debt written off",
            Performer::queue("finance"),
            StepKind::End,
        ))
        .edge(EdgeSpec::new("overdue", "remind", "reminder"))
        .edge(EdgeSpec::new("overdue", "paid", "settled"))
        .edge(EdgeSpec::new("reminder", "paid", "settled"))
        .edge(
            EdgeSpec::new("reminder", "still_overdue", "notice").with_guard(Guard::new(
                "days_overdue",
                Comparison::Ge,
                14,
            )),
        )
        .edge(EdgeSpec::new("notice", "paid", "settled"))
        .edge(
            EdgeSpec::new("notice", "still_overdue", "restriction")
                .with_guard(Guard::is_true("restriction_allowed")),
        )
        .edge(EdgeSpec::new("restriction", "paid", "settled"))
        .edge(
            EdgeSpec::new("restriction", "still_overdue", "handover").with_guard(Guard::new(
                "days_overdue",
                Comparison::Ge,
                60,
            )),
        )
        .edge(EdgeSpec::new("handover", "paid", "settled"))
        .edge(EdgeSpec::new("handover", "written_off", "written_off"))
        .build()
}

/// Lead to order: lead, qualified, offer; accepted (the agreement is created) or lost.
pub fn lead_to_order() -> Result<ProcessDefinition> {
    let sales = Performer::queue("sales");
    DefinitionSpec::new(DefinitionId::new(LEAD_TO_ORDER)?, "Lead to order", 1)
        .serves("lead")
        .serves("sales_inquiry")
        .step(
            Step::new(
                "lead",
                "Lead",
                "contact the lead and qualify it",
                sales.clone(),
                StepKind::Start,
            )
            .with_sla(hours(8)?),
        )
        .step(
            Step::new(
                "qualified",
                "Qualified",
                "prepare an offer",
                sales.clone(),
                StepKind::Task,
            )
            .with_sla(hours(16)?),
        )
        .step(Step::new(
            "offer",
            "Offer",
            "offer sent; wait for the customer's answer",
            Performer::Customer,
            StepKind::Wait,
        ))
        .step(Step::new(
            "accepted",
            "Accepted",
            "create the agreement from the accepted offer",
            Performer::handler("agreement_repository"),
            StepKind::End,
        ))
        .step(Step::new(
            "lost",
            "Lost",
            "record why the lead was lost",
            sales,
            StepKind::End,
        ))
        .edge(EdgeSpec::new("lead", "qualified", "qualified"))
        .edge(EdgeSpec::new("lead", "disqualified", "lost"))
        .edge(EdgeSpec::new("qualified", "offer_sent", "offer"))
        .edge(EdgeSpec::new("qualified", "dropped", "lost"))
        .edge(EdgeSpec::new("offer", "accepted", "accepted"))
        .edge(EdgeSpec::new("offer", "revise", "qualified"))
        .edge(EdgeSpec::new("offer", "declined", "lost"))
        .build()
}

/// Every built-in definition, in documentation order.
pub fn all() -> Result<Vec<ProcessDefinition>> {
    Ok(vec![
        line_lifecycle(LineKind::Service)?,
        line_lifecycle(LineKind::PhysicalProduct)?,
        field_visit()?,
        complaint()?,
        collections()?,
        lead_to_order()?,
    ])
}

impl ProcessCatalog {
    /// A catalog holding every built-in definition.
    pub fn builtin() -> Result<ProcessCatalog> {
        let mut catalog = ProcessCatalog::new();
        for def in all()? {
            catalog.register(def)?;
        }
        Ok(catalog)
    }
}

/// Escapes a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown page that documents `defs`: per definition its interaction kinds, SLA and a
/// Mermaid diagram. `docs/processes.md` is this page for [`all`], checked by a test.
pub fn markdown(defs: &[ProcessDefinition]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    out.push_str("# Built-in processes\n\n");
    out.push_str(
        "<!-- Generated from crm-core/src/process/builtin.rs; do not edit by hand.\n     \
         Regenerate: UPDATE_DOCS=1 cargo test -p crm-core process::tests::docs -->\n\n",
    );
    out.push_str(
        "Each process is a directed graph: steps are nodes (stadium: start, rectangle: task, \
         hexagon: waiting for someone outside, which stops the SLA clock, circle: end), \
         outcomes are edges (a thick arrow is a warm transfer; a guard over the instance's \
         data is shown in brackets). A host may replace any of them by registering its own \
         definition under the same id.\n\n",
    );
    out.push_str(
        "The two line lifecycles are generated from `crate::lifecycle::TRANSITIONS`, the \
         table the agreement engine checks line actions against.\n",
    );
    for def in defs {
        let _ = write!(
            out,
            "\n## {} (`{}`, v{})\n\n",
            def.name(),
            def.id(),
            def.version()
        );
        let kinds: Vec<String> = def
            .interaction_kinds()
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        let _ = writeln!(
            out,
            "- Interaction kinds: {}",
            if kinds.is_empty() {
                "none".to_string()
            } else {
                kinds.join(", ")
            }
        );
        match def.sla() {
            Some(sla) => {
                let _ = writeln!(out, "- Resolution SLA: {sla} business time");
            }
            None => out.push_str("- Resolution SLA: none\n"),
        }
        out.push_str("\n| step | kind | performer | action | step SLA |\n");
        out.push_str("|---|---|---|---|---|\n");
        for s in def.steps() {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell(&s.id),
                s.kind,
                cell(&s.performer.to_string()),
                cell(&s.action),
                s.sla.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
            );
        }
        out.push_str("\n```mermaid\n");
        out.push_str(&def.to_mermaid());
        out.push_str("```\n");
    }
    out
}
