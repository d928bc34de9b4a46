//! Advancing a process instance: one move around a 5-step cycle, the move record included
//! (the business time in the step is measured on the calendar passed in).
//!
//! `process_advance/berlin_calendar`: Mon-Fri 09:00-17:00 Europe/Berlin, moves 7 minutes apart
//! (so some cross nights and weekends). `process_advance/always_open`: every second counts,
//! which isolates the process module's own cost.
// Benchmark code, like test code, may unwrap and index: a failure should stop the run loudly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use criterion::{Criterion, criterion_group, criterion_main};
use crm_core::calendar::{
    BusinessCalendar, BusinessDuration, TimeRange, WeeklyHours, WorkingInterval,
};
use crm_core::process::{
    BusinessClock, DefinitionSpec, EdgeSpec, InstanceData, NewInstance, Performer,
    ProcessDefinition, ProcessInstance, SlaTargets, Step, StepKind,
};
use crm_core::{AgreementId, CalendarId, CustomerId, DefinitionId, InstanceId, Instant};
use std::hint::black_box;

#[path = "support/mod.rs"]
mod summary;
use summary::{Summary, Unit, interleaved, pick};

/// Every second is business time.
struct AlwaysOpen;

impl BusinessClock for AlwaysOpen {
    fn add(&self, at: Instant, d: BusinessDuration, _: &[TimeRange]) -> crm_core::Result<Instant> {
        Ok(at + chrono::Duration::seconds(d.as_secs()))
    }
    fn between(
        &self,
        a: Instant,
        b: Instant,
        _: &[TimeRange],
    ) -> crm_core::Result<BusinessDuration> {
        BusinessDuration::from_secs((b - a).num_seconds())
    }
}

fn cycle() -> ProcessDefinition {
    let q = |i: usize| Performer::queue(format!("q{i}"));
    let mut spec = DefinitionSpec::new(DefinitionId::new("cycle").unwrap(), "Cycle", 1);
    for i in 0..5 {
        let kind = if i == 0 {
            StepKind::Start
        } else {
            StepKind::Task
        };
        let step = Step::new(format!("s{i}"), format!("S{i}"), "work", q(i), kind)
            .with_sla(BusinessDuration::from_hours(1).unwrap());
        spec.steps.push(step);
        spec.edges.push(EdgeSpec::new(
            format!("s{i}"),
            "next",
            format!("s{}", (i + 1) % 5),
        ));
    }
    spec.steps
        .push(Step::new("end", "End", "done", q(0), StepKind::End));
    spec.edges.push(EdgeSpec::new("s4", "finish", "end"));
    spec.build().unwrap()
}

fn bench(c: &mut Criterion) {
    let def = cycle();
    let t0: Instant = "2026-03-02T09:00:00Z".parse().unwrap();
    let template = ProcessInstance::start(
        &def,
        NewInstance {
            id: InstanceId::new("I1").unwrap(),
            customer: CustomerId::new("C1").unwrap(),
            agreement: Some(AgreementId::new("A1").unwrap()),
            calendar: CalendarId::new("cal").unwrap(),
            at: t0,
            data: InstanceData::new(),
            sla: SlaTargets::from_definition(&def),
        },
    )
    .unwrap();
    let performers: Vec<Performer> = (0..5).map(|i| Performer::queue(format!("q{i}"))).collect();
    let step = chrono::Duration::minutes(7);
    let berlin = BusinessCalendar::new(
        CalendarId::new("cal").unwrap(),
        "Europe/Berlin",
        WeeklyHours::monday_to_friday(&[WorkingInterval::from_hm(9, 0, 17, 0).unwrap()]),
        Vec::new(),
    )
    .unwrap();
    summary(&berlin, &def, &template, &performers, step);
    let mut group = c.benchmark_group("process_advance");
    run(
        &mut group,
        "berlin_calendar",
        &berlin,
        &def,
        &template,
        &performers,
        step,
    );
    run(
        &mut group,
        "always_open",
        &AlwaysOpen,
        &def,
        &template,
        &performers,
        step,
    );
    group.finish();
}

/// One advance around the cycle, the instance reset (untimed would be better, but a reset is
/// one clone per 4,096 advances) when its history reaches 4,096 moves.
fn stepper<'a, C: BusinessClock>(
    clock: &'a C,
    def: &'a ProcessDefinition,
    template: &'a ProcessInstance,
    performers: &'a [Performer],
    step: chrono::Duration,
) -> impl FnMut() + 'a {
    let no_data = InstanceData::new();
    let t0 = template.started_at();
    let mut inst = template.clone();
    let mut at = t0;
    let mut k = 0usize;
    move || {
        if inst.moves().len() >= 4096 {
            inst = template.clone();
            at = t0;
            k = 0;
        }
        at += step;
        let mv = inst
            .advance(def, clock, black_box("next"), at, &performers[k], &no_data)
            .unwrap();
        k = (k + 1) % 5;
        black_box(mv);
    }
}

fn summary(
    berlin: &BusinessCalendar,
    def: &ProcessDefinition,
    template: &ProcessInstance,
    performers: &[Performer],
    step: chrono::Duration,
) {
    let mut real = stepper(berlin, def, template, performers, step);
    let mut open = stepper(&AlwaysOpen, def, template, performers, step);
    let m = interleaved(pick(25, 1), pick(100_000, 50), &mut [&mut real, &mut open]);
    Summary {
        id: "process_advance",
        what: "one advance around a 5-step cycle incl. the recorded move, Berlin business calendar",
        ours: m[0],
        peer: None,
        unit: Unit::Ns,
        ratio: None,
        target: "< 100 ns",
        met: m[0] < 100.0,
    }
    .print();
    Summary {
        id: "process_advance_always_open",
        what: "the same on a clock where every second counts (the process module alone)",
        ours: m[1],
        peer: None,
        unit: Unit::Ns,
        ratio: None,
        target: "(for information)",
        met: true,
    }
    .print();
}

fn run<C: BusinessClock>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    clock: &C,
    def: &ProcessDefinition,
    template: &ProcessInstance,
    performers: &[Performer],
    step: chrono::Duration,
) {
    let no_data = InstanceData::new();
    let t0 = template.started_at();
    group.bench_function(name, |b| {
        let mut inst = template.clone();
        let mut at = t0;
        let mut k = 0usize;
        b.iter(|| {
            if inst.moves().len() >= 4096 {
                inst = template.clone();
                at = t0;
                k = 0;
            }
            at += step;
            let mv = inst
                .advance(def, clock, black_box("next"), at, &performers[k], &no_data)
                .unwrap();
            k = (k + 1) % 5;
            black_box(mv)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
