//! The process catalog: which definition serves which interaction kind.

use super::definition::ProcessDefinition;
use crate::error::{Error, Result};
use crate::ids::DefinitionId;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Registered definitions, looked up by id or by the interaction kind they serve.
///
/// Each interaction kind maps to one definition. Registering a definition with an id already
/// present replaces it (how a host swaps a built-in for its own).
#[derive(Debug, Clone, Default)]
pub struct ProcessCatalog {
    definitions: BTreeMap<DefinitionId, Arc<ProcessDefinition>>,
    by_kind: BTreeMap<String, DefinitionId>,
}

impl ProcessCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        ProcessCatalog::default()
    }

    /// Registers `def`, replacing a definition with the same id.
    ///
    /// Error (nothing changes): another definition already serves one of its interaction kinds
    /// (already exists).
    pub fn register(&mut self, def: ProcessDefinition) -> Result<Arc<ProcessDefinition>> {
        for kind in def.interaction_kinds() {
            if let Some(other) = self.by_kind.get(kind)
                && other != def.id()
            {
                return Err(Error::already_exists(
                    format!("interaction kind (served by process definition {other})"),
                    kind,
                ));
            }
        }
        if let Some(old) = self.definitions.get(def.id()) {
            for kind in old.interaction_kinds() {
                self.by_kind.remove(kind);
            }
        }
        for kind in def.interaction_kinds() {
            self.by_kind.insert(kind.clone(), def.id().clone());
        }
        let def = Arc::new(def);
        self.definitions.insert(def.id().clone(), Arc::clone(&def));
        Ok(def)
    }

    /// Removes the definition `id` and its interaction kinds.
    pub fn remove(&mut self, id: &DefinitionId) -> Result<Arc<ProcessDefinition>> {
        let def = self
            .definitions
            .remove(id)
            .ok_or_else(|| Error::not_found("process definition", id))?;
        for kind in def.interaction_kinds() {
            self.by_kind.remove(kind);
        }
        Ok(def)
    }

    /// The definition `id`.
    pub fn get(&self, id: &DefinitionId) -> Result<&Arc<ProcessDefinition>> {
        self.definitions
            .get(id)
            .ok_or_else(|| Error::not_found("process definition", id))
    }

    /// The definition that serves interaction kind `kind`: how an interaction is classified
    /// into a process.
    pub fn classify(&self, kind: &str) -> Result<&Arc<ProcessDefinition>> {
        self.by_kind
            .get(kind)
            .and_then(|id| self.definitions.get(id))
            .ok_or_else(|| Error::not_found("process for interaction kind", kind))
    }

    /// The definitions, by id.
    pub fn definitions(&self) -> impl Iterator<Item = &Arc<ProcessDefinition>> {
        self.definitions.values()
    }

    /// The interaction kinds served, with the definition serving each, by kind.
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &DefinitionId)> {
        self.by_kind.iter().map(|(k, v)| (k.as_str(), v))
    }
}
