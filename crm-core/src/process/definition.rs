//! Process definitions: a directed graph (petgraph) whose nodes are steps and whose edges are
//! outcomes.
//!
//! A [`ProcessDefinition`] is only ever built from a [`DefinitionSpec`] (the plain lists of
//! steps and edges) through [`ProcessDefinition::try_from`], which checks the whole definition
//! and reports every problem at once. Deserializing a definition from JSON goes through the
//! same check, so a definition read from a file is held to the same rules as one built in code.

use super::guard::Guard;
use crate::calendar::BusinessDuration;
use crate::error::{Error, Result};
use crate::ids::DefinitionId;
use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::{Dfs, EdgeRef, Reversed};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Who performs a step.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Performer {
    /// A named internal queue, e.g. `first_line` or `back_office`.
    Queue {
        /// The queue's name.
        name: String,
    },
    /// An outside partner, by role, e.g. `field_technician` or `debt_collection_agency`.
    Partner {
        /// The partner's role or name.
        name: String,
    },
    /// The customer.
    Customer,
    /// An automated handler, by name, e.g. `provisioning` or `compensation_policy`.
    Handler {
        /// The handler's name.
        name: String,
    },
}

impl Performer {
    /// A named internal queue.
    pub fn queue(name: impl Into<String>) -> Self {
        Performer::Queue { name: name.into() }
    }

    /// An outside partner, by role.
    pub fn partner(name: impl Into<String>) -> Self {
        Performer::Partner { name: name.into() }
    }

    /// An automated handler.
    pub fn handler(name: impl Into<String>) -> Self {
        Performer::Handler { name: name.into() }
    }

    /// The performer's name; `customer` for the customer.
    pub fn name(&self) -> &str {
        match self {
            Performer::Queue { name }
            | Performer::Partner { name }
            | Performer::Handler { name } => name,
            Performer::Customer => "customer",
        }
    }

    /// The kind of performer as a snake_case word: `queue`, `partner`, `customer`, `handler`.
    pub fn kind(&self) -> &'static str {
        match self {
            Performer::Queue { .. } => "queue",
            Performer::Partner { .. } => "partner",
            Performer::Customer => "customer",
            Performer::Handler { .. } => "handler",
        }
    }
}

impl fmt::Display for Performer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Performer::Customer => f.write_str("customer"),
            other => write!(f, "{} {}", other.kind(), other.name()),
        }
    }
}

/// What kind of step a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The step every instance starts in. Exactly one per definition.
    Start,
    /// Work done by the organisation (a queue or a handler).
    Task,
    /// Waiting for someone outside (the customer, a partner): the instance's SLA clock stops.
    Wait,
    /// A final step: the instance has ended. No edges leave it.
    End,
}

impl StepKind {
    /// The snake_case name used in JSON and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Start => "start",
            StepKind::Task => "task",
            StepKind::Wait => "wait",
            StepKind::End => "end",
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a process: a node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The step's id, unique in its definition (an id: printable, no outer white space).
    pub id: String,
    /// A readable name, e.g. `First line`.
    pub name: String,
    /// What is done in the step, e.g. `resolve in one touch where possible`.
    pub action: String,
    /// Who performs the step.
    pub performer: Performer,
    /// Start, task, wait or end.
    pub kind: StepKind,
    /// The target time in the step, in business time, when the step has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<BusinessDuration>,
}

impl Step {
    /// A step without an SLA.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        action: impl Into<String>,
        performer: Performer,
        kind: StepKind,
    ) -> Self {
        Step {
            id: id.into(),
            name: name.into(),
            action: action.into(),
            performer,
            kind,
            sla: None,
        }
    }

    /// The same step with a step SLA.
    pub fn with_sla(mut self, sla: BusinessDuration) -> Self {
        self.sla = Some(sla);
        self
    }
}

/// An outcome: the weight of an edge of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The outcome's name, unique among the edges leaving one step, e.g. `resolved`.
    pub name: String,
    /// A condition over the instance's data that must hold to take this edge.
    pub guard: Option<Guard>,
    /// True when the edge hands the case to another performer while the contact stays open.
    pub warm_transfer: bool,
}

/// One edge as listed in a [`DefinitionSpec`]: from a step, by an outcome, to a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeSpec {
    /// The id of the step the edge leaves.
    pub from: String,
    /// The outcome's name.
    pub outcome: String,
    /// The id of the step the edge enters.
    pub to: String,
    /// A condition over the instance's data that must hold to take this edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Guard>,
    /// True when the edge is a warm transfer to another performer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warm_transfer: bool,
}

impl EdgeSpec {
    /// An unguarded edge.
    pub fn new(from: impl Into<String>, outcome: impl Into<String>, to: impl Into<String>) -> Self {
        EdgeSpec {
            from: from.into(),
            outcome: outcome.into(),
            to: to.into(),
            guard: None,
            warm_transfer: false,
        }
    }

    /// The same edge with a guard.
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// The same edge marked as a warm transfer.
    pub fn warm_transfer(mut self) -> Self {
        self.warm_transfer = true;
        self
    }
}

/// The plain, unchecked form of a definition: the JSON shape, and what a host fills in to
/// build one in code. Turn it into a [`ProcessDefinition`] with `ProcessDefinition::try_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionSpec {
    /// The definition's id.
    pub id: DefinitionId,
    /// A readable name.
    pub name: String,
    /// The version, from 1; instances record the version they run on.
    pub version: u32,
    /// The interaction kinds this process serves, e.g. `complaint`.
    #[serde(default)]
    pub interaction_kinds: Vec<String>,
    /// The resolution target for a whole instance, in business time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<BusinessDuration>,
    /// The steps, in display order.
    pub steps: Vec<Step>,
    /// The edges, in display order.
    pub edges: Vec<EdgeSpec>,
}

impl DefinitionSpec {
    /// An empty spec to fill in.
    pub fn new(id: DefinitionId, name: impl Into<String>, version: u32) -> Self {
        DefinitionSpec {
            id,
            name: name.into(),
            version,
            interaction_kinds: Vec::new(),
            sla: None,
            steps: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// Adds an interaction kind served.
    pub fn serves(mut self, kind: impl Into<String>) -> Self {
        self.interaction_kinds.push(kind.into());
        self
    }

    /// Sets the whole-instance SLA.
    pub fn with_sla(mut self, sla: BusinessDuration) -> Self {
        self.sla = Some(sla);
        self
    }

    /// Adds a step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Adds an edge.
    pub fn edge(mut self, edge: EdgeSpec) -> Self {
        self.edges.push(edge);
        self
    }

    /// Checks the spec and builds the definition; see [`ProcessDefinition::try_from`].
    pub fn build(self) -> Result<ProcessDefinition> {
        ProcessDefinition::try_from(self)
    }
}

/// The index of a step in its definition: its position in the definition's step list.
pub type StepIndex = u32;
/// The index of an edge in its definition: its position in the definition's edge list.
pub type OutcomeIndex = u32;

/// A checked process definition: a directed graph of steps (nodes) and outcomes (edges).
///
/// Node and edge indices are the positions in [`DefinitionSpec::steps`] and
/// [`DefinitionSpec::edges`]; instances record moves by these indices, so a move costs no
/// string copies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "DefinitionSpec", into = "DefinitionSpec")]
pub struct ProcessDefinition {
    id: DefinitionId,
    name: String,
    version: u32,
    interaction_kinds: Vec<String>,
    sla: Option<BusinessDuration>,
    graph: DiGraph<Step, Outcome, u32>,
    start: NodeIndex<u32>,
}

/// A borrowed view of one edge of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeView<'a> {
    /// The edge's index (its position in the edge list).
    pub index: OutcomeIndex,
    /// The index of the step the edge leaves.
    pub from_index: StepIndex,
    /// The index of the step the edge enters.
    pub to_index: StepIndex,
    /// The step the edge leaves.
    pub from: &'a Step,
    /// The step the edge enters.
    pub to: &'a Step,
    /// The outcome.
    pub outcome: &'a Outcome,
}

impl ProcessDefinition {
    /// The definition's id.
    pub fn id(&self) -> &DefinitionId {
        &self.id
    }

    /// The readable name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The interaction kinds this process serves.
    pub fn interaction_kinds(&self) -> &[String] {
        &self.interaction_kinds
    }

    /// The whole-instance SLA (resolution target) defined here, if any.
    pub fn sla(&self) -> Option<BusinessDuration> {
        self.sla
    }

    /// The underlying petgraph graph (read-only).
    pub fn graph(&self) -> &DiGraph<Step, Outcome, u32> {
        &self.graph
    }

    /// The number of steps.
    pub fn step_count(&self) -> usize {
        self.graph.node_count()
    }

    /// The start step's index.
    pub fn start_index(&self) -> StepIndex {
        self.start.index() as StepIndex
    }

    /// The step at `index`, if there is one.
    pub fn step(&self, index: StepIndex) -> Option<&Step> {
        self.graph.node_weight(NodeIndex::new(index as usize))
    }

    /// The index of the step with id `id`, if there is one.
    pub fn step_index(&self, id: &str) -> Option<StepIndex> {
        self.graph
            .node_indices()
            .find(|&n| self.graph.node_weight(n).is_some_and(|s| s.id == id))
            .map(|n| n.index() as StepIndex)
    }

    /// The step with id `id`, if there is one.
    pub fn step_by_id(&self, id: &str) -> Option<&Step> {
        self.graph.node_weights().find(|s| s.id == id)
    }

    /// The steps in order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.graph.node_weights()
    }

    /// The edges in order.
    pub fn edges(&self) -> impl Iterator<Item = EdgeView<'_>> {
        self.graph.edge_references().filter_map(|e| {
            Some(EdgeView {
                index: e.id().index() as OutcomeIndex,
                from_index: e.source().index() as StepIndex,
                to_index: e.target().index() as StepIndex,
                from: self.graph.node_weight(e.source())?,
                to: self.graph.node_weight(e.target())?,
                outcome: e.weight(),
            })
        })
    }

    /// The edge at `index`, if there is one.
    pub fn edge(&self, index: OutcomeIndex) -> Option<EdgeView<'_>> {
        let e = EdgeIndex::new(index as usize);
        let (from, to) = self.graph.edge_endpoints(e)?;
        Some(EdgeView {
            index,
            from_index: from.index() as StepIndex,
            to_index: to.index() as StepIndex,
            from: self.graph.node_weight(from)?,
            to: self.graph.node_weight(to)?,
            outcome: self.graph.edge_weight(e)?,
        })
    }

    /// The edges leaving the step at `index`, in definition order.
    pub fn edges_from(&self, index: StepIndex) -> impl Iterator<Item = EdgeView<'_>> {
        self.edges().filter(move |e| e.from_index == index)
    }

    /// Finds the edge leaving `from` with outcome `outcome`: (edge index, target index, outcome).
    /// This is the hot path of an advance: no allocation.
    pub(crate) fn find_edge(
        &self,
        from: StepIndex,
        outcome: &str,
    ) -> Option<(OutcomeIndex, StepIndex, &Outcome)> {
        self.graph
            .edges_directed(NodeIndex::new(from as usize), Direction::Outgoing)
            .find(|e| e.weight().name == outcome)
            .map(|e| {
                (
                    e.id().index() as OutcomeIndex,
                    e.target().index() as StepIndex,
                    e.weight(),
                )
            })
    }

    /// The plain form of this definition (what it serializes as).
    pub fn to_spec(&self) -> DefinitionSpec {
        DefinitionSpec {
            id: self.id.clone(),
            name: self.name.clone(),
            version: self.version,
            interaction_kinds: self.interaction_kinds.clone(),
            sla: self.sla,
            steps: self.graph.node_weights().cloned().collect(),
            edges: self
                .edges()
                .map(|e| EdgeSpec {
                    from: e.from.id.clone(),
                    outcome: e.outcome.name.clone(),
                    to: e.to.id.clone(),
                    guard: e.outcome.guard.clone(),
                    warm_transfer: e.outcome.warm_transfer,
                })
                .collect(),
        }
    }
}

impl PartialEq for ProcessDefinition {
    fn eq(&self, other: &Self) -> bool {
        self.to_spec() == other.to_spec()
    }
}

impl Eq for ProcessDefinition {}

impl From<ProcessDefinition> for DefinitionSpec {
    fn from(d: ProcessDefinition) -> Self {
        d.to_spec()
    }
}

impl TryFrom<DefinitionSpec> for ProcessDefinition {
    type Error = Error;

    /// Checks the spec and builds the graph. Every problem is reported at once in
    /// [`Error::InvalidDefinition`]: the step count of start steps (exactly one), steps not
    /// reachable from the start, steps that cannot reach an end, duplicate outcomes from one
    /// step, edges out of an end, unnamed performers, duplicate step ids, edges to unknown
    /// steps, malformed guards and empty names.
    fn try_from(spec: DefinitionSpec) -> Result<Self> {
        let mut problems = Vec::new();
        check_header(&spec, &mut problems);

        let mut graph: DiGraph<Step, Outcome, u32> =
            DiGraph::with_capacity(spec.steps.len(), spec.edges.len());
        let mut by_id: BTreeMap<&str, NodeIndex<u32>> = BTreeMap::new();
        let mut starts = Vec::new();
        for step in &spec.steps {
            check_step(step, &mut problems);
            if by_id.contains_key(step.id.as_str()) {
                problems.push(format!("duplicate step id {:?}", step.id));
                continue;
            }
            let n = graph.add_node(step.clone());
            by_id.insert(step.id.as_str(), n);
            if step.kind == StepKind::Start {
                starts.push(step.id.as_str());
            }
        }
        if spec.steps.is_empty() {
            problems.push("the definition has no steps".to_string());
        }
        match starts.len() {
            1 => {}
            0 => problems.push("there is no start step (exactly one is needed)".to_string()),
            _ => problems.push(format!(
                "there are {} start steps ({}); exactly one is needed",
                starts.len(),
                starts.join(", ")
            )),
        }

        let mut seen_outcomes: BTreeSet<(&str, &str)> = BTreeSet::new();
        for e in &spec.edges {
            let label = format!("edge {} --{}--> {}", e.from, e.outcome, e.to);
            let from = by_id.get(e.from.as_str()).copied();
            let to = by_id.get(e.to.as_str()).copied();
            if from.is_none() {
                problems.push(format!("{label}: unknown step {:?}", e.from));
            }
            if to.is_none() {
                problems.push(format!("{label}: unknown step {:?}", e.to));
            }
            if e.outcome.trim().is_empty() {
                problems.push(format!("{label}: the outcome has no name"));
            }
            if !seen_outcomes.insert((e.from.as_str(), e.outcome.as_str())) {
                problems.push(format!(
                    "step {:?} has more than one edge with outcome {:?}",
                    e.from, e.outcome
                ));
            }
            if let Some(guard) = &e.guard {
                for p in guard.problems() {
                    problems.push(format!("{label}: {p}"));
                }
            }
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            let (Some(fs), Some(ts)) = (graph.node_weight(from), graph.node_weight(to)) else {
                continue;
            };
            if fs.kind == StepKind::End {
                problems.push(format!("{label}: an end step has no edges out"));
            }
            if e.warm_transfer && fs.performer == ts.performer {
                problems.push(format!(
                    "{label}: a warm transfer must hand over to another performer (both are {})",
                    fs.performer
                ));
            }
            graph.add_edge(
                from,
                to,
                Outcome {
                    name: e.outcome.clone(),
                    guard: e.guard.clone(),
                    warm_transfer: e.warm_transfer,
                },
            );
        }

        // Reachability is checked from every start step, so a definition with two starts
        // still reports its unreachable steps and dead ends.
        let start_nodes: Vec<NodeIndex<u32>> = starts
            .iter()
            .filter_map(|s| by_id.get(s).copied())
            .collect();
        if !start_nodes.is_empty() {
            check_reachability(&graph, &start_nodes, &mut problems);
        }
        let start = start_nodes.first().copied();

        match start {
            Some(start) if problems.is_empty() => Ok(ProcessDefinition {
                id: spec.id,
                name: spec.name,
                version: spec.version,
                interaction_kinds: spec.interaction_kinds,
                sla: spec.sla,
                graph,
                start,
            }),
            _ => Err(Error::InvalidDefinition {
                what: format!("process definition {:?}", spec.id.as_str()),
                problems,
            }),
        }
    }
}

fn check_header(spec: &DefinitionSpec, problems: &mut Vec<String>) {
    if spec.name.trim().is_empty() {
        problems.push("the definition has no name".to_string());
    }
    if spec.version == 0 {
        problems.push("the version must be at least 1".to_string());
    }
    if spec.sla == Some(BusinessDuration::ZERO) {
        problems.push("the definition SLA must be longer than zero".to_string());
    }
    let mut kinds = BTreeSet::new();
    for kind in &spec.interaction_kinds {
        if let Err(e) = crate::ids::validate_id("interaction kind", kind) {
            problems.push(e.to_string());
        }
        if !kinds.insert(kind.as_str()) {
            problems.push(format!("interaction kind {kind:?} is listed twice"));
        }
    }
}

fn check_step(step: &Step, problems: &mut Vec<String>) {
    if let Err(e) = crate::ids::validate_id("step id", &step.id) {
        problems.push(e.to_string());
    }
    if step.name.trim().is_empty() {
        problems.push(format!("step {:?} has no name", step.id));
    }
    match &step.performer {
        Performer::Customer => {}
        other if other.name().trim().is_empty() => {
            problems.push(format!(
                "step {:?}: the {} has no name",
                step.id,
                other.kind()
            ));
        }
        _ => {}
    }
    if step.sla == Some(BusinessDuration::ZERO) {
        problems.push(format!(
            "step {:?}: the step SLA must be longer than zero",
            step.id
        ));
    }
}

fn check_reachability(
    graph: &DiGraph<Step, Outcome, u32>,
    starts: &[NodeIndex<u32>],
    problems: &mut Vec<String>,
) {
    let mut reached = vec![false; graph.node_count()];
    let mut dfs = Dfs::empty(graph);
    for &start in starts {
        dfs.move_to(start);
        while let Some(n) = dfs.next(graph) {
            if let Some(r) = reached.get_mut(n.index()) {
                *r = true;
            }
        }
    }
    let ends: Vec<NodeIndex<u32>> = graph
        .node_indices()
        .filter(|&n| {
            graph
                .node_weight(n)
                .is_some_and(|s| s.kind == StepKind::End)
        })
        .collect();
    let mut finishes = vec![false; graph.node_count()];
    let reversed = Reversed(graph);
    let mut back = Dfs::empty(reversed);
    for &end in &ends {
        back.move_to(end);
        while let Some(n) = back.next(reversed) {
            if let Some(f) = finishes.get_mut(n.index()) {
                *f = true;
            }
        }
    }
    if ends.is_empty() {
        problems.push("there is no end step".to_string());
    }
    for n in graph.node_indices() {
        let Some(step) = graph.node_weight(n) else {
            continue;
        };
        if !reached.get(n.index()).copied().unwrap_or(false) {
            problems.push(format!(
                "step {:?} is not reachable from the start step",
                step.id
            ));
        }
        if !ends.is_empty() && !finishes.get(n.index()).copied().unwrap_or(false) {
            problems.push(format!("step {:?} cannot reach an end step", step.id));
        }
    }
}
