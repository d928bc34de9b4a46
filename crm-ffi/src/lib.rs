//! Bindings of crm-core (being built).
