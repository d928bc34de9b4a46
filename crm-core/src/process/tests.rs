//! Tests of the process module (story 5 and calendar-based tests live in `story.rs`).

use super::*;
use crate::calendar::{BusinessDuration, TimeRange};
use crate::ids::*;
use crate::{ErrorKind, Instant};

/// A clock where every second is business time (for graph tests without a calendar).
pub(super) struct AlwaysOpen;

impl BusinessClock for AlwaysOpen {
    fn add(
        &self,
        at: Instant,
        d: BusinessDuration,
        paused: &[TimeRange],
    ) -> crate::Result<Instant> {
        let mut t = at + chrono::Duration::seconds(d.as_secs());
        let mut ranges = paused.to_vec();
        ranges.sort();
        for r in ranges {
            if r.start() <= t && r.end() > at {
                let s = r.start().max(at);
                t += r.end() - s;
            }
        }
        Ok(t)
    }
    fn between(
        &self,
        a: Instant,
        b: Instant,
        paused: &[TimeRange],
    ) -> crate::Result<BusinessDuration> {
        let mut secs = (b - a).num_seconds();
        for r in paused {
            let s = r.start().max(a);
            let e = r.end().min(b);
            if e > s {
                secs -= (e - s).num_seconds();
            }
        }
        BusinessDuration::from_secs(secs.max(0))
    }
}

pub(super) fn t(s: &str) -> Instant {
    s.parse().unwrap()
}

pub(super) fn new_instance(id: &str, at: Instant, sla: SlaTargets) -> NewInstance {
    NewInstance {
        id: InstanceId::new(id).unwrap(),
        customer: CustomerId::new("C1").unwrap(),
        agreement: Some(AgreementId::new("A1").unwrap()),
        calendar: CalendarId::new("berlin").unwrap(),
        at,
        data: InstanceData::new(),
        sla,
    }
}

fn no_data() -> InstanceData {
    InstanceData::new()
}

#[test]
fn every_builtin_validates_and_round_trips_through_json() {
    let all = builtin::all().unwrap();
    assert_eq!(all.len(), 6);
    for def in &all {
        let json = serde_json::to_string_pretty(def).unwrap();
        let back: ProcessDefinition = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, def, "{}", def.id());
        assert_eq!(back.to_mermaid(), def.to_mermaid());
        assert_eq!(back.to_dot(), def.to_dot());
    }
    let catalog = ProcessCatalog::builtin().unwrap();
    assert_eq!(
        catalog.classify("complaint").unwrap().id().as_str(),
        "complaint"
    );
    assert_eq!(
        catalog
            .classify("product_replacement")
            .unwrap()
            .id()
            .as_str(),
        "field_visit"
    );
}

#[test]
fn lifecycles_follow_the_agreement_transition_table() {
    use crate::lifecycle::{LineKind, TRANSITIONS};
    for kind in [LineKind::Service, LineKind::PhysicalProduct] {
        let def = builtin::line_lifecycle(kind).unwrap();
        let rows: Vec<_> = TRANSITIONS.iter().filter(|t| t.kind == kind).collect();
        let edges: Vec<_> = def.edges().collect();
        assert_eq!(edges.len(), rows.len());
        for (e, t) in edges.iter().zip(rows) {
            assert_eq!(e.from.id, t.from.as_str());
            assert_eq!(e.to.id, t.to.as_str());
            assert_eq!(e.outcome.name, t.action.as_str());
        }
    }
}

#[test]
fn an_invalid_definition_reports_all_of_its_problems_at_once() {
    let q = Performer::queue("q");
    let spec = DefinitionSpec::new(DefinitionId::new("bad").unwrap(), "Bad", 1)
        .step(Step::new("a", "A", "x", q.clone(), StepKind::Start))
        .step(Step::new(
            "b",
            "B",
            "x",
            Performer::queue(""),
            StepKind::Start,
        ))
        .step(Step::new("a", "A again", "x", q.clone(), StepKind::Task))
        .step(Step::new(
            "island",
            "Island",
            "x",
            q.clone(),
            StepKind::Task,
        ))
        .step(Step::new("loop", "Loop", "x", q.clone(), StepKind::Task))
        .step(Step::new("end", "End", "x", q.clone(), StepKind::End))
        .edge(EdgeSpec::new("a", "go", "loop"))
        .edge(EdgeSpec::new("a", "go", "end"))
        .edge(EdgeSpec::new("a", "fly", "nowhere"))
        .edge(EdgeSpec::new("loop", "again", "loop"))
        .edge(EdgeSpec::new("end", "back", "a"))
        .edge(EdgeSpec::new("b", "go", "end").with_guard(Guard::new("k", Comparison::Gt, "text")));
    let err = ProcessDefinition::try_from(spec.clone()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidDefinition);
    let crate::Error::InvalidDefinition { problems, .. } = &err else {
        panic!("{err}")
    };
    let all = problems.join("\n");
    for needle in [
        "duplicate step id \"a\"",
        "2 start steps",
        "the queue has no name",
        "unknown step \"nowhere\"",
        "more than one edge with outcome \"go\"",
        "an end step has no edges out",
        "compares only numbers",
        "step \"island\" is not reachable",
        "step \"loop\" cannot reach an end",
        "step \"island\" cannot reach an end",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    // The same problems come back when the definition is read from JSON.
    let json = serde_json::to_string(&spec).unwrap();
    let from_json = serde_json::from_str::<ProcessDefinition>(&json).unwrap_err();
    assert!(
        from_json.to_string().contains("duplicate step id"),
        "{from_json}"
    );
}

#[test]
fn rendering_is_deterministic_and_escaped() {
    let def = builtin::complaint().unwrap();
    let m = def.to_mermaid();
    assert!(m.starts_with("flowchart TD\n"));
    assert!(m.contains("s1 ==>|\"transfer (warm transfer)\"| s3"), "{m}");
    assert!(m.contains("resolved [resolved_first_line == true]"), "{m}");
    assert_eq!(m, builtin::complaint().unwrap().to_mermaid());
    let dot = def.to_dot();
    assert!(dot.starts_with("digraph \"complaint\" {"));
    assert!(dot.contains("style=bold"));
    let q = Performer::queue("q\"<x>");
    let weird = DefinitionSpec::new(DefinitionId::new("w").unwrap(), "W \"quoted\"", 1)
        .step(Step::new(
            "a",
            "A \"#1\" <b>",
            "x",
            q.clone(),
            StepKind::Start,
        ))
        .step(Step::new("e", "E\\", "x", q, StepKind::End))
        .edge(EdgeSpec::new("a", "go \"now\"", "e"))
        .build()
        .unwrap();
    let m = weird.to_mermaid();
    assert!(m.contains("A #quot;#35;1#quot; #lt;b#gt;"), "{m}");
    let d = weird.to_dot();
    assert!(d.contains("go \\\"now\\\""), "{d}");
    assert!(d.contains("E\\\\"), "{d}");
}

#[test]
fn catalog_lookups_are_typed() {
    let mut catalog = ProcessCatalog::builtin().unwrap();
    let err = catalog.classify("fax_from_mars").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        catalog
            .get(&DefinitionId::new("nope").unwrap())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // A host replaces the built-in complaint process with its own under the same id.
    let mut spec = builtin::complaint().unwrap().to_spec();
    spec.version = 2;
    catalog.register(spec.build().unwrap()).unwrap();
    assert_eq!(catalog.classify("complaint").unwrap().version(), 2);
    // Another definition may not take a kind that is served already.
    let mut other = builtin::lead_to_order().unwrap().to_spec();
    other.id = DefinitionId::new("other").unwrap();
    let err = catalog.register(other.build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    catalog
        .remove(&DefinitionId::new("lead_to_order").unwrap())
        .unwrap();
    assert!(catalog.classify("lead").is_err());
}

#[test]
fn bad_advances_are_typed_errors_and_change_nothing() {
    let def = builtin::complaint().unwrap();
    let at = t("2026-03-02T09:00:00Z");
    let mut inst = ProcessInstance::start(
        &def,
        new_instance("I1", at, SlaTargets::from_definition(&def)),
    )
    .unwrap();
    let clock = AlwaysOpen;
    let intake = Performer::handler("intake");
    let fl = Performer::queue("first_line");
    let before = inst.clone();

    // unknown outcome
    let e = inst
        .advance(&def, &clock, "teleport", at, &intake, &no_data())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    assert!(e.to_string().contains("accepted"), "{e}");
    // wrong performer
    let e = inst
        .advance(&def, &clock, "accepted", at, &fl, &no_data())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(inst, before);

    inst.advance(&def, &clock, "accepted", at, &intake, &no_data())
        .unwrap();
    let before = inst.clone();
    let later = t("2026-03-02T09:10:00Z");
    // a guard over missing data
    let e = inst
        .advance(&def, &clock, "resolved", later, &fl, &no_data())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("resolved_first_line"), "{e}");
    // a guard of the wrong type
    let mut data = InstanceData::new();
    data.insert("resolved_first_line".into(), DataValue::Integer(1));
    let e = inst
        .advance(&def, &clock, "resolved", later, &fl, &data)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    // a false guard
    data.insert("resolved_first_line".into(), DataValue::Bool(false));
    let e = inst
        .advance(&def, &clock, "resolved", later, &fl, &data)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    // time going backwards
    let e = inst
        .advance(
            &def,
            &clock,
            "transfer",
            t("2026-03-02T08:00:00Z"),
            &fl,
            &no_data(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    // another definition
    let other = builtin::lead_to_order().unwrap();
    let e = inst
        .advance(&other, &clock, "transfer", later, &fl, &no_data())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(inst, before);

    // the guard holds with the data passed in, and the data is kept
    data.insert("resolved_first_line".into(), DataValue::Bool(true));
    inst.advance(&def, &clock, "resolved", later, &fl, &data)
        .unwrap();
    assert_eq!(
        inst.value("resolved_first_line"),
        Some(&DataValue::Bool(true))
    );
    inst.advance(
        &def,
        &clock,
        "no_response",
        later,
        &Performer::Customer,
        &no_data(),
    )
    .unwrap();
    assert!(inst.is_ended());
    let before = inst.clone();
    let e = inst
        .advance(
            &def,
            &clock,
            "feedback_given",
            later,
            &Performer::Customer,
            &no_data(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    assert_eq!(inst, before);
    assert!(inst.available_outcomes(&def).is_empty());

    // unknown step in SLA overrides
    let sla = SlaTargets::none().with_step(
        "nope",
        SlaTarget::new(
            BusinessDuration::from_hours(1).unwrap(),
            SlaSource::Tier {
                tier: "gold".into(),
            },
        ),
    );
    assert_eq!(
        ProcessInstance::start(&def, new_instance("I2", at, sla))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn instances_round_trip_through_json_and_replay_identically() {
    let def = builtin::complaint().unwrap();
    let at = t("2026-03-02T09:00:00Z");
    let start = new_instance("I1", at, SlaTargets::from_definition(&def));
    let inputs = vec![
        AdvanceInput {
            outcome: "accepted".into(),
            at,
            performer: Performer::handler("intake"),
            data: no_data(),
        },
        AdvanceInput {
            outcome: "transfer".into(),
            at: t("2026-03-02T09:20:00Z"),
            performer: Performer::queue("first_line"),
            data: no_data(),
        },
    ];
    let run = || {
        let mut i = ProcessInstance::start(&def, start.clone()).unwrap();
        for input in &inputs {
            i.apply(&def, &AlwaysOpen, input).unwrap();
        }
        i
    };
    let a = run();
    let b = ProcessInstance::replay(&def, &AlwaysOpen, start.clone(), &inputs).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let back: ProcessInstance = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);
    let h = a.history(&def).unwrap();
    assert_eq!(h[1].from, "first_line");
    assert_eq!(h[1].to, "back_office");
    assert!(h[1].warm_transfer);
    assert_eq!(h[1].performer, &Performer::queue("first_line"));
    assert_eq!(h[1].to_performer, &Performer::queue("back_office"));
    assert_eq!(
        h[1].business_time,
        BusinessDuration::from_minutes(20).unwrap()
    );
}

#[test]
fn docs_processes_md_is_generated_from_the_builtins() {
    let text = builtin::markdown(&builtin::all().unwrap());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/processes.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/processes.md is stale: run `UPDATE_DOCS=1 cargo test -p crm-core process::tests::docs`"
    );
}

/// Data under which `guard` holds.
pub(super) fn satisfying(guard: &Guard) -> DataValue {
    match (guard.op, &guard.value) {
        (Comparison::Gt, DataValue::Integer(i)) => DataValue::Integer(i + 1),
        (Comparison::Lt, DataValue::Integer(i)) => DataValue::Integer(i - 1),
        (Comparison::Ne, DataValue::Bool(b)) => DataValue::Bool(!b),
        (_, v) => v.clone(),
    }
}

/// Runs random valid outcomes (`choices`) with random gaps (minutes) on `def`, checking after
/// every move that the instance stays on defined steps, and at the end that the time in steps
/// adds up to the business time between start and end minus the paused (wait) time.
pub(super) fn run_random_walk<C: BusinessClock>(
    def: &ProcessDefinition,
    clock: &C,
    start: Instant,
    steps: &[(usize, u32)],
) -> ProcessInstance {
    let mut inst = ProcessInstance::start(
        def,
        new_instance("P1", start, SlaTargets::from_definition(def)),
    )
    .unwrap();
    let mut at = start;
    for &(choice, gap) in steps {
        let edges: Vec<_> = def.edges_from(inst.current()).collect();
        if edges.is_empty() {
            break;
        }
        let edge = edges[choice % edges.len()];
        let mut data = InstanceData::new();
        if let Some(g) = &edge.outcome.guard {
            data.insert(g.key.clone(), satisfying(g));
        }
        at += chrono::Duration::minutes(i64::from(gap));
        let performer = def.step(inst.current()).unwrap().performer.clone();
        // A bad outcome is refused and changes nothing.
        let before = inst.clone();
        let err = inst
            .advance(def, clock, "no_such_outcome", at, &performer, &data)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidTransition);
        assert_eq!(inst, before);
        let mv = inst
            .advance(def, clock, &edge.outcome.name, at, &performer, &data)
            .unwrap();
        assert_eq!(mv.to, inst.current());
        assert!(def.step(inst.current()).is_some());
        assert_eq!(def.edge(mv.edge).unwrap().from_index, mv.from);
        assert_eq!(
            inst.is_ended(),
            def.step(inst.current()).unwrap().kind == StepKind::End
        );
    }
    // Time in steps adds up.
    let h = inst.history(def).unwrap();
    let end = inst.entered_at();
    let paused: Vec<TimeRange> = h
        .iter()
        .filter(|m| m.clock_paused)
        .map(|m| TimeRange::new(m.entered_at, m.at).unwrap())
        .collect();
    let counted: i64 = h
        .iter()
        .filter(|m| !m.clock_paused)
        .map(|m| m.business_time.as_secs())
        .sum();
    let all: i64 = h.iter().map(|m| m.business_time.as_secs()).sum();
    assert_eq!(
        counted,
        clock.between(start, end, &paused).unwrap().as_secs()
    );
    assert_eq!(all, clock.between(start, end, &[]).unwrap().as_secs());
    assert_eq!(counted, inst.active_time().as_secs());
    if inst.is_ended()
        && let Some(r) = inst.status(def, clock, end).unwrap().resolution
    {
        assert_eq!(r.used, inst.active_time());
        assert!(matches!(r.state, SlaState::Met | SlaState::Breached));
    }
    inst
}

proptest::proptest! {
    #[test]
    fn random_walks_stay_on_defined_steps_and_time_adds_up(
        which in 0usize..6,
        steps in proptest::collection::vec((0usize..8, 0u32..3000), 0..40),
    ) {
        let def = &builtin::all().unwrap()[which];
        run_random_walk(def, &AlwaysOpen, t("2026-03-06T15:00:00Z"), &steps);
    }
}

/// The bench's definition: five steps in a cycle, each with a 1h SLA, and an end.
pub(super) fn cycle() -> ProcessDefinition {
    let mut spec = DefinitionSpec::new(DefinitionId::new("cycle").unwrap(), "Cycle", 1);
    for i in 0..5 {
        let kind = if i == 0 {
            StepKind::Start
        } else {
            StepKind::Task
        };
        spec.steps.push(
            Step::new(
                format!("s{i}"),
                format!("S{i}"),
                "work",
                Performer::queue(format!("q{i}")),
                kind,
            )
            .with_sla(BusinessDuration::from_hours(1).unwrap()),
        );
        spec.edges.push(EdgeSpec::new(
            format!("s{i}"),
            "next",
            format!("s{}", (i + 1) % 5),
        ));
    }
    spec.steps.push(Step::new(
        "end",
        "End",
        "done",
        Performer::queue("q0"),
        StepKind::End,
    ));
    spec.edges.push(EdgeSpec::new("s4", "finish", "end"));
    spec.build().unwrap()
}

fn cycle_instances(
    def: &ProcessDefinition,
    instances: usize,
    moves: usize,
) -> Vec<ProcessInstance> {
    let t0 = t("2026-03-02T09:00:00Z");
    let performers: Vec<Performer> = (0..5).map(|i| Performer::queue(format!("q{i}"))).collect();
    let template =
        ProcessInstance::start(def, new_instance("I", t0, SlaTargets::from_definition(def)))
            .unwrap();
    (0..instances)
        .map(|n| {
            let mut inst = template.clone();
            let mut at = t0;
            for k in 0..moves {
                // step k%5 takes (n + 7k) % 97 minutes: some over the 1h target
                at += chrono::Duration::minutes(((n + 7 * k) % 97) as i64);
                inst.advance(
                    def,
                    &AlwaysOpen,
                    "next",
                    at,
                    &performers[k % 5],
                    &InstanceData::new(),
                )
                .unwrap();
            }
            inst
        })
        .collect()
}

#[test]
fn analytics_time_per_step_breaches_bottlenecks_and_workload() {
    let def = cycle();
    let instances = cycle_instances(&def, 20, 7);
    let report = analyze(&def, &instances).unwrap();
    assert_eq!(report.instances, 20);
    assert_eq!(report.moves, 140);
    // Recompute step s0 by hand.
    let mut s0: Vec<i64> = instances
        .iter()
        .flat_map(|i| {
            i.moves()
                .iter()
                .filter(|m| m.from == 0)
                .map(|m| m.business_time.as_secs())
        })
        .collect();
    s0.sort();
    let st = &report.steps[0];
    assert_eq!(st.count, s0.len() as u64);
    assert_eq!(st.total_seconds, s0.iter().sum::<i64>());
    assert_eq!(st.max.as_secs(), *s0.last().unwrap());
    let rank = |p: usize| s0[(p * s0.len()).div_ceil(100) - 1];
    assert_eq!(st.p50.as_secs(), rank(50));
    assert_eq!(st.p90.as_secs(), rank(90));
    let over = s0.iter().filter(|&&s| s > 3600).count() as u64;
    assert_eq!(st.breached, over);
    assert_eq!(st.with_target, st.count);
    // Every instance is open in step s2 (7 moves around a 5-cycle).
    assert_eq!(report.steps[2].open, 20);
    // Rankings are sorted.
    assert!(
        report
            .bottlenecks_by_time
            .windows(2)
            .all(|w| w[0].total_seconds >= w[1].total_seconds)
    );
    assert!(
        report
            .bottlenecks_by_breach_share
            .windows(2)
            .all(|w| w[0].breach_share >= w[1].breach_share)
    );
    // Workload: each queue performs exactly one step here.
    assert_eq!(report.performers.len(), 5);
    let q0 = report
        .performers
        .iter()
        .find(|p| p.performer == Performer::queue("q0"))
        .unwrap();
    assert_eq!(q0.moves, st.count);
    assert_eq!(q0.open, 0);
    // Instances of another definition are refused.
    let other = builtin::complaint().unwrap();
    assert_eq!(
        analyze(&other, &instances).unwrap_err().kind(),
        ErrorKind::Validation
    );
}

/// 1,000,000 recorded moves analysed in under a second (release build:
/// `cargo test --release -p crm-core analytics_over_a_million -- --ignored --nocapture`).
#[test]
#[ignore = "timing test: run in release"]
fn analytics_over_a_million_moves() {
    let def = cycle();
    let instances = cycle_instances(&def, 100_000, 10);
    let started = std::time::Instant::now();
    let report = analyze(&def, &instances).unwrap();
    let took = started.elapsed();
    println!("analyze: {} moves in {took:?}", report.moves);
    assert_eq!(report.moves, 1_000_000);
    if !cfg!(debug_assertions) {
        assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    }
}
